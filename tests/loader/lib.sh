# Sourced by the loader's test scripts: the check lines and what a VM run needs.
#   ok NAME / bad NAME WHY     one line each ("ok   NAME" / "FAIL NAME: WHY")
#   finish                     "N passed, M failed", exit 0 only when nothing failed
#   vm_ready LOADER            KERNEL (Debian's 6.1 kernel, as scripts/vmtest caches it under
#                              $VMDIR), qemu, a static busybox and a static LOADER, or fail
# shellcheck source=scripts/vm/setup.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/vm/setup.sh"	# vm_accel
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }
vm_ready() {
	KERNEL=$(ls "$VMDIR"/kernel/vmlinu[xz]-* 2>/dev/null | head -n 1)
	[ -n "$KERNEL" ] || { bad setup "no kernel under $VMDIR/kernel (run scripts/vmtest once)"; finish; }
	command -v qemu-system-x86_64 >/dev/null || { bad setup "no qemu-system-x86_64"; finish; }
	[ -x /bin/busybox ] || { bad setup "no static /bin/busybox"; finish; }
	if LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q INTERP; then bad setup "$1 is not static"; finish; fi
}
