#!/usr/bin/env bash
# karmor-loader apply with the SELinux backend, for real, in one boot of Debian's 6.1 kernel
# with SELinux as its LSM (lsm=...,selinux) and a policy store in the guest: the rig's small
# base (scripts/vm/selinux-base.cil) installed by semodule into the root the guest boots
# (/etc/selinux/karmorc, /var/lib/selinux/karmorc), its policy loaded and enforcing.
#   probe and apply pick selinux for a bundle of a host policy (BPF-LSM and AppArmor absent);
#   --mode=monitor is refused (nothing applied); the apply installs the module into the
#   store, loads the policy the store built and relabels the file: the blocked file cannot
#   be read, its sibling can; status lists the module; events reads the AVC record live as
#   a Block alert naming the policy; a re-apply with another bundle replaces the module (the
#   first file readable again, the other refused); a bundle whose module the store refuses
#   changes nothing; a loader killed at every step of the replacing apply leaves the old
#   module or the new one (status finishes or undoes it, nothing staged left); detach
#   removes the module and relabels (both files readable, no state).
#
#   tests/loader/vm-selinux.sh [BUILD_DIR]   (default build; the loader must be static)
#
# One line per check ("ok   name" / "FAIL name: why"), then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
L=$BUILD/karmor-loader
LF=$BUILD/karmor-loader-faults
KC=$BUILD/karmorc
VMDIR=${VMDIR:-$ROOT/build/vm}
. "$HERE/lib.sh"
vm_ready "$L"
command -v semodule >/dev/null || { bad setup "semodule is missing (scripts/install-deps installs policycoreutils)"; finish; }
[ -x "$LF" ] || { bad setup "no $LF (make $LF)"; finish; }

T=$(mktemp -d /tmp/karmor-loader-vms.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
# host policies: A blocks /srv/secret, B /srv/other
host_policy() {	# NAME PATH
	cat <<POL
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: $1
spec:
  severity: 5
  message: "the host keeps $2"
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: vm
  file:
    matchPaths:
    - path: $2
  action: Block
POL
}
host_policy hsp-secret /srv/secret >"$T/a.yaml"
host_policy hsp-other /srv/other >"$T/b.yaml"
for n in a b; do
	"$KC" bundle -o "$T/$n.kb" "$T/$n.yaml" >"$T/kb.log" 2>&1 || { bad setup "karmorc bundle $n: $(cat "$T/kb.log")"; finish; }
done
TGT=$(grep -a '^target	' "$T/a.kb" | head -n 1 | cut -f2)
[ -n "$TGT" ] || { bad setup "no target in the bundle's manifest"; finish; }

R=$T/root
mkdir -p "$R/.vmt/bin" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/srv" "$R/etc/selinux" "$R/var/lib/selinux"
cp /bin/busybox "$R/.vmt/bin/"
for a in sh cat mkdir mount umount dd printf sleep poweroff sync rm grep dmesg ls sed wc tr kill; do
	ln -s busybox "$R/.vmt/bin/$a"
done
install -m 755 "$L" "$R/.vmt/karmor-loader"
install -m 755 "$LF" "$R/.vmt/karmor-loader-faults"
cp "$T/a.kb" "$T/b.kb" "$R/.vmt/"
# the programs libsemanage runs while it commits, as a host with SELinux has them (dynamic:
# their libraries too): sefcontext_compile compiles the file contexts, setfiles checks them
mkdir -p "$R/usr/sbin"
ln -s usr/sbin "$R/sbin"
for p in sefcontext_compile setfiles; do
	bin=$(PATH=/usr/sbin:/sbin:$PATH command -v $p) || { bad setup "$p is missing (scripts/install-deps installs selinux-utils, policycoreutils)"; finish; }
	cp "$bin" "$R/usr/sbin/$p"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
done
echo "top secret" >"$R/srv/secret"
echo "other" >"$R/srv/other"
# the policy store the guest boots with: the rig's base, installed by the stock tool
printf 'module-store = direct\nexpand-check = 0\ndisable-genhomedircon = true\n' >"$R/etc/selinux/semanage.conf"
printf 'SELINUX=enforcing\nSELINUXTYPE=karmorc\n' >"$R/etc/selinux/config"
# (and, as every distribution's policy has, a default file context: what restorecon gives a
# path no module names any more)
printf '(filecon "/.*" any (system_u object_r file_t ((s0) (s0))))\n' >"$T/files.cil"
semodule -n -p "$R" -s karmorc -X 100 -i "$ROOT/scripts/vm/selinux-base.cil" -i "$T/files.cil" >"$T/semodule.log" 2>&1 &&
	[ -f "$R/etc/selinux/karmorc/policy/policy.33" ] ||
	{ bad setup "semodule could not make the guest's store: $(grep -v genhomedircon "$T/semodule.log" | head -3)"; finish; }

cat >"$R/.vmt/guest.sh" <<GUEST
export PATH=/.vmt/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security; mount -t selinuxfs selinuxfs /sys/fs/selinux
mount -t tmpfs tmpfs /run
exec >/dev/ttyS1 2>&1
L=/.vmt/karmor-loader
cat /etc/selinux/karmorc/policy/policy.33 >/sys/fs/selinux/load; echo "BASE-LOAD rc=\$?"
echo 1 >/sys/fs/selinux/enforce; echo "BASE-ENFORCE rc=\$? \$(cat /sys/fs/selinux/enforce)"
cat /srv/secret >/dev/null; echo "BEFORE rc=\$?"
\$L probe; echo "PROBE rc=\$?"
\$L apply /.vmt/a.kb --mode=monitor; echo "M-APPLY rc=\$? \$(ls /run/karmor 2>/dev/null | wc -l)"
\$L apply /.vmt/a.kb; echo "A-APPLY rc=\$?"
cat /srv/secret >/dev/null; echo "A-SECRET rc=\$?"
cat /srv/other >/dev/null; echo "A-OTHER rc=\$?"
\$L status --json; echo "A-STATUS rc=\$?"
\$L events --json >/tmp/ev 2>&1 & ev=\$!
sleep 1
cat /srv/secret >/dev/null 2>&1; echo "A-READ2 rc=\$?"
sleep 1; kill \$ev; wait \$ev; echo "EV-BEGIN"; cat /tmp/ev; echo "EV-END"
\$L apply /.vmt/b.kb; echo "B-APPLY rc=\$?"
cat /srv/secret >/dev/null; echo "B-SECRET rc=\$?"
cat /srv/other >/dev/null; echo "B-OTHER rc=\$?"
\$L status; echo "B-STATUS rc=\$?"
\$L detach; echo "D-DETACH rc=\$?"
cat /srv/secret >/dev/null; echo "D-SECRET rc=\$?"
cat /srv/other >/dev/null; echo "D-OTHER rc=\$?"
ls /run/karmor 2>/dev/null | wc -l; echo "D-STATE"
# killed at every step of replacing A by B: which file is refused, read without the loader
who() {
	s=0; o=0
	cat /srv/secret >/dev/null 2>&1 || s=1
	cat /srv/other >/dev/null 2>&1 || o=1
	case \$s\$o in 10) echo A ;; 01) echo B ;; 00) echo open ;; *) echo both ;; esac
}
LF=/.vmt/karmor-loader-faults
\$L apply /.vmt/a.kb >/dev/null 2>&1
KARMOR_LOADER_TRACE=1 \$LF apply /.vmt/b.kb >/dev/null 2>/tmp/trace; r=\$?
n=\$(grep -c ': step [0-9]*:' /tmp/trace)
echo "K-STEPS rc=\$r \$n \$(sed -n 's/.*step \\([0-9]*\\): the store committed\$/\\1/p' /tmp/trace) \$(who) \$(sed -n 's/.*step \\([0-9]*\\): the policy loaded\$/\\1/p' /tmp/trace)"
k=1
while [ \$k -le \$n ]; do
	\$L detach >/dev/null 2>&1
	\$L apply /.vmt/a.kb >/dev/null 2>&1
	KARMOR_LOADER_KILL_AT=\$k \$LF apply /.vmt/b.kb >/dev/null 2>/tmp/kerr; rc=\$?
	now=\$(who)
	\$L status >/dev/null 2>&1; st=\$?
	after=\$(who)
	left=\$(ls /run/karmor 2>/dev/null | grep -cE '[.]new\$|[.]next\$')
	echo "K \$k rc=\$rc now=\$now status=\$st after=\$after left=\$left (\$(sed -n 's/.*killed at step [0-9]*, //p' /tmp/kerr))"
	k=\$((k + 1))
done
\$L detach >/dev/null 2>&1; echo "K-DETACH rc=\$? \$(who)"
GUEST
cat >"$R/init" <<'INIT'
#!/.vmt/bin/sh
/.vmt/bin/sh /.vmt/guest.sh
/.vmt/bin/sync
/.vmt/bin/printf '\000' | /.vmt/bin/dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
/.vmt/bin/poweroff -f
INIT
chmod 755 "$R/init"
vm_initrd "$R" "$T/initrd.gz"
vm_boot 1200 512 "$T/initrd.gz" "$T/console" "$T/results" "$T/qemu" lsm=lockdown,capability,landlock,yama,selinux
qrc=$?
[ -n "${KEEP:-}" ] && cp "$T/results" "$T/console" "$KEEP/" 2>/dev/null
out=$(tr -d '\r' <"$T/results" 2>/dev/null)
rc_of() { sed -n "s/^$1 rc=\([0-9]*\).*/\1/p" <<<"$out" | head -n 1; }
[ "$qrc" -eq 1 ] && ok "boot (SELinux, no BPF-LSM, no AppArmor): the guest ran to the end" ||
	bad "boot" "qemu exit $qrc: $(tail -5 "$T/console")"
[ "$(rc_of BASE-LOAD)" = 0 ] && grep -q '^BASE-ENFORCE rc=0 1' <<<"$out" &&
	ok "the store's base policy loaded and enforcing" || bad "base policy" "$(grep BASE- <<<"$out")"
[ "$(rc_of BEFORE)" = 0 ] && ok "before apply the file is readable" || bad "before" "$(grep BEFORE <<<"$out")"
grep -q '^selinux: active' <<<"$out" && [ "$(rc_of PROBE)" = 0 ] &&
	ok "probe: SELinux active" || bad "probe" "$(sed -n '1,/^PROBE/p' <<<"$out" | tail -8)"
grep -q '^M-APPLY rc=1 0' <<<"$out" && grep -q 'mode=monitor: SELinux has no complain mode' <<<"$out" &&
	ok "--mode=monitor is refused with its reason, nothing applied" || bad "monitor" "$(grep -B3 M-APPLY <<<"$out" | head -5)"
grep -q 'apply: backend selinux (.*SELinux is active' <<<"$out" && [ "$(rc_of A-APPLY)" = 0 ] &&
	grep -q "^applied 1 target (SELinux: 1 module in the policy store, the policy loaded, 1 path relabelled)" <<<"$out" &&
	ok "apply picks SELinux and installs the module, loads, relabels" ||
	bad "apply a" "$(sed -n '/^M-APPLY/,/^A-APPLY/p' <<<"$out" | head -8)"
[ "$(rc_of A-SECRET)" = 1 ] && grep -q 'cat: can.t open ./srv/secret.: Permission denied' <<<"$out" &&
	ok "the blocked file is refused (EACCES)" || bad "blocked read" "$(grep -B2 A-SECRET <<<"$out")"
[ "$(rc_of A-OTHER)" = 0 ] && ok "its sibling is read" || bad "other read" "$(grep -B2 A-OTHER <<<"$out")"
grep -q '"backend":"selinux"' <<<"$out" && grep -q "\"module\":\"$TGT\",\"installed\":true" <<<"$out" &&
	[ "$(rc_of A-STATUS)" = 0 ] && ok "status: the module is in the store" ||
	bad "status" "$(grep -B2 A-STATUS <<<"$out" | head -3)"
ev=$(sed -n '/^EV-BEGIN/,/^EV-END/p' <<<"$out")
grep -q '"PolicyName":"hsp-secret"' <<<"$ev" && grep -q '"Resource":"/srv/secret"' <<<"$ev" &&
	grep -q '"Action":"Block"' <<<"$ev" && grep -q '"Enforcer":"SELinux"' <<<"$ev" &&
	ok "events: the AVC record is a Block alert of hsp-secret" || bad "events" "$(head -c 600 <<<"$ev")"
[ "$(rc_of B-APPLY)" = 0 ] && [ "$(rc_of B-SECRET)" = 0 ] && [ "$(rc_of B-OTHER)" = 1 ] &&
	grep -q 'it replaced the modules applied before' <<<"$out" &&
	ok "a re-apply replaces the module: the first file readable, the other refused" ||
	bad "re-apply" "$(sed -n '/^A-READ2/,/^B-OTHER/p' <<<"$out" | grep -v '^{' | head -8)"
[ "$(rc_of D-DETACH)" = 0 ] && [ "$(rc_of D-SECRET)" = 0 ] && [ "$(rc_of D-OTHER)" = 0 ] &&
	grep -q '^0$' <<<"$(sed -n '/^D-OTHER/,/^D-STATE/p' <<<"$out")" &&
	ok "detach removes the module and relabels; no state left" ||
	bad "detach" "$(sed -n '/^B-STATUS/,/^D-STATE/p' <<<"$out" | head -8)"
steps=$(grep '^K-STEPS' <<<"$out")
read -r _ trc n commit final loaded <<<"$steps"
if [ "$trc" = rc=0 ] && [ "${n:-0}" -ge 4 ] && [ -n "$commit" ] && [ "$final" = B ] && [ -n "$loaded" ]; then
	ok "the replacing apply has $n steps, the store committed at step $commit, the policy loaded at $loaded"
	kills=$(grep '^K [0-9]' <<<"$out")
	nk=$(grep -c . <<<"$kills")
	# K k rc=R now=X status=S after=Y left=Z: until the policy the store built is loaded A
	# enforces; killed after the load but before the relabel, B's types are in the kernel and
	# A's are gone while B's files are not labelled yet: neither enforces until the next
	# command relabels (the one window, karmor-loader(8)); from the relabel on B does.  Status
	# then finishes (B) or undoes (A, killed before the record) the apply, nothing staged left
	wrong=$(awk -v c="$commit" -v l="$loaded" '{ split($4, now, "="); split($6, after, "="); split($7, left, "=")
		if ($2 < l && now[2] != "A") { print; next }
		if ($2 == l && now[2] != "open") { print; next }
		if ($2 > l && now[2] != "B") { print; next }
		if ((after[2] != "A" && after[2] != "B") || ($2 >= c && after[2] != "B")) { print; next }
		if (left[2] != 0) print }' <<<"$kills")
	[ "$nk" -eq "$n" ] && [ -z "$wrong" ] &&
		ok "killed at each of the $n steps: A enforces until the load, B from the relabel, neither only between them; status settles it, nothing staged left" ||
		bad "kills" "$nk of $n: $(head -c 600 <<<"$wrong$kills")"
else
	bad "kill steps" "$steps"
fi
grep -q '^K-DETACH rc=0 open' <<<"$out" && ok "detach after the kills: both files readable" ||
	bad "detach after kills" "$(grep K-DETACH <<<"$out")"
finish
