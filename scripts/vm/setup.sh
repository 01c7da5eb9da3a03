#!/usr/bin/env bash
# Setup for scripts/vmtest: host packages and the guest kernel.
#
# Source it for the functions (scripts/vmtest does; scripts/install-deps can):
#   vm_install_deps   apt-get install what the rig needs on the host, if missing
#   vm_kernel DIR     download + extract Debian's 6.1 kernel image into DIR once;
#                     prints the path of the vmlinuz
#   vm_accel KERNEL   qemu's -accel arguments: KVM where it really works, else TCG
# or run it: scripts/vm/setup.sh deps | kernel [DIR]
#
# The kernel is only downloaded (`apt-get download`) and unpacked with
# dpkg-deb, never installed: nothing is written to /boot.  Everything used in
# the guest (AppArmor, audit, devtmpfs, securityfs, 8250 serial, tmpfs) is
# built into Debian's image, so no modules are needed.

# package -> a file it provides (checked before installing anything)
VM_PKGS=(
	"qemu-system-x86:/usr/bin/qemu-system-x86_64"
	"busybox-static:/bin/busybox"
	"cpio:/usr/bin/cpio"
	"apparmor:/sbin/apparmor_parser"
	"libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a"
	"gcc:/usr/bin/gcc"
)

vm_sudo() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

vm_install_deps() {
	local missing=() e pkg file
	for e in "${VM_PKGS[@]}"; do
		pkg=${e%%:*} file=${e#*:}
		# busybox must be the static build: the guest has no libc.so
		if [ "$pkg" = busybox-static ]; then
			dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
				missing+=("$pkg")
		elif [ ! -e "$file" ]; then
			missing+=("$pkg")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "vmtest: installing ${missing[*]}" >&2
	vm_sudo apt-get update -qq
	# --no-install-recommends: qemu's recommends pull in a desktop's worth
	DEBIAN_FRONTEND=noninteractive vm_sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
}

# The kernel package: whatever linux-image-amd64 currently depends on
# (linux-image-6.1.0-NN-amd64 on Debian 12).
vm_kernel_pkg() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
	if [ -z "$p" ]; then
		vm_sudo apt-get update -qq >&2
		p=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
	fi
	[ -n "$p" ] || { echo "vmtest: cannot resolve linux-image-amd64 with apt-cache" >&2; return 1; }
	echo "$p"
}

# vm_kernel DIR: cached after the first call (a second run downloads nothing).
# Prints the path of the kernel to boot: the uncompressed ELF vmlinux when it
# could be extracted, else the vmlinuz.  qemu boots the ELF through its PVH
# entry point (CONFIG_PVH=y in Debian's image), which skips the bzImage's XZ
# decompression: under software emulation that alone takes ~4 s of each boot.
vm_kernel() {
	local dir=$1 k pkg tmp v
	k=$(ls "$dir"/kernel/boot/vmlinuz-* 2>/dev/null | head -1)
	if [ -z "$k" ]; then
		pkg=$(vm_kernel_pkg) || return 1
		echo "vmtest: downloading $pkg (once; cached in $dir/kernel)" >&2
		tmp=$(mktemp -d "$dir/dl.XXXXXX")
		# apt-get download writes into the current directory; _apt cannot
		# enter a root-only mktemp dir, hence the chmod (else apt warns and
		# downloads unsandboxed)
		chmod 755 "$tmp"
		(cd "$tmp" && apt-get download -qq "$pkg" >&2) || { rm -rf "$tmp"; return 1; }
		mkdir -p "$dir/kernel"
		dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb |
			tar -x -C "$dir/kernel" --wildcards './boot/vmlinuz-*' './boot/config-*' ||
			{ rm -rf "$tmp"; return 1; }
		rm -rf "$tmp" # 70 MB .deb; only vmlinuz (8 MB) is kept
		k=$(ls "$dir"/kernel/boot/vmlinuz-* | head -1)
	fi
	v=$dir/kernel/vmlinux-${k##*/vmlinuz-}
	if [ ! -s "$v" ] && command -v python3 >/dev/null; then
		if python3 - "$k" "$v.tmp" <<'PY'; then mv "$v.tmp" "$v"; else rm -f "$v.tmp"; fi
import lzma, sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'\xfd7zXZ\x00')  # the bzImage payload (CONFIG_KERNEL_XZ)
if i < 0:
    sys.exit(1)
elf = lzma.LZMADecompressor().decompress(d[i:])
if elf[:4] != b'\x7fELF':
    sys.exit(1)
open(sys.argv[2], 'wb').write(elf)
PY
	fi
	if [ -s "$v" ]; then echo "$v"; else echo "$k"; fi
}

# vm_accel KERNEL: the -accel arguments of every boot: KVM when /dev/kvm is there and
# a KVM guest with the rig's CPU model (-cpu max) reaches the kernel's panic (no root
# given) within 30 s, else software emulation (TCG).  A /dev/kvm is not enough: nested
# KVM on these machines aborts (qemu cannot set MSR 0x10a) or hangs.  The probe's answer
# is kept beside the kernel, once per kernel and qemu.
vm_accel() {
	local k=$1 c
	[ -w /dev/kvm ] || { echo "-accel tcg,thread=multi"; return; }
	c=$(dirname "$k")/kvm-$(basename "$k")-qemu-$(qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }')
	if [ ! -e "$c" ]; then
		if timeout 30 qemu-system-x86_64 -accel kvm -cpu max -smp 1 -m 256 -no-reboot -nodefaults \
			-display none -monitor none -serial stdio -kernel "$k" \
			-append "console=ttyS0 panic=-1 quiet" </dev/null 2>/dev/null | grep -q 'Kernel panic'; then
			echo yes >"$c"
		else
			echo no >"$c"
		fi
	fi
	if [ "$(cat "$c")" = yes ]; then echo "-accel kvm"; else echo "-accel tcg,thread=multi"; fi
}

# vm_initrd ROOT OUT: ROOT packed as the guest's initramfs (newc cpio, every file root's,
# in name order so that the same tree gives the same bytes), gzip'd into OUT
vm_initrd() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$2"
}

# vm_boot SECONDS MEM_MB INITRD CONSOLE RESULTS LOG APPEND...: $KERNEL booted under qemu
# (vm_accel's accelerator, 2 CPUs) with INITRD, the first serial port written to CONSOLE and
# the second (the guest's results) to RESULTS, qemu's own output to LOG, APPEND added to the
# kernel's command line; killed after SECONDS.  Its status is qemu's: 1 when the guest wrote
# 0 to the isa-debug-exit port (ran to its end), 124 on the timeout.
vm_boot() {
	local secs=$1 mem=$2 initrd=$3 console=$4 results=$5 log=$6 accel=()
	shift 6
	read -ra accel <<<"$(vm_accel "$KERNEL")"
	timeout "$secs" qemu-system-x86_64 "${accel[@]}" -cpu max -smp 2 -m "$mem" -no-reboot \
		-nodefaults -display none -monitor none -serial "file:$console" -serial "file:$results" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$KERNEL" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 $*" </dev/null >"$log" 2>&1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case "${1:-}" in
	deps) vm_install_deps ;;
	kernel) vm_kernel "${2:-$(cd "$(dirname "$0")/../.." && pwd)/build/vm}" ;;
	*) echo "usage: $0 deps | kernel [DIR]" >&2; exit 2 ;;
	esac
fi
