#!/usr/bin/env bash
# karmor-loader's bundle backends and modes, for real, in two boots of Debian's 6.1
# kernel (the one scripts/vmtest caches under build/vm):
#   boot 1, lsm=...,apparmor,bpf   probe picks bpf; a signed bundle applied with BPF-LSM
#                                   blocks a read (Block event); the same bundle with
#                                   --mode=monitor permits it (Audit event, status says
#                                   monitor); --backend apparmor insists on AppArmor;
#                                   events --follow reads AppArmor's records, the BPF
#                                   ring buffer once BPF is applied in its place, and
#                                   AppArmor's again after a switch back;
#                                   an apply replacing bundle A by B killed (SIGKILL) at
#                                   the steps where both generations' LSM programs are
#                                   attached: the last attach, the last pin, the state
#                                   written (A enforces), the switch and a rename after it
#                                   (B enforces); never both or neither, and the next
#                                   command finishes or undoes it (no -next/-prev left).
#                                   Then the state's disk full (refused, the old bundle
#                                   enforcing), two applies at once (serialized), the bpf
#                                   file system unmounted under the pins (said; detach and
#                                   apply recover).
#                                   Every step is killed on the host (tests/loader/kill.sh,
#                                   the same generation switch with the cgroup program):
#                                   under TCG one apply here verifies every program, ~40 s
#   boot 2, lsm=...,apparmor        (no BPF-LSM) probe picks apparmor; apply picks
#                                   AppArmor and loads the bundle's binary policy (built
#                                   for the guest's feature set); run confines a command
#                                   (blocked file refused, others read); monitor loads the
#                                   complain build (read permitted, logged ALLOWED);
#                                   events reads the audit records live: the refused
#                                   read is a Block alert, the monitored one an Audit;
#                                   a re-apply replaces the profiles in place, and one
#                                   that cannot load (no binary policy for this kernel, no
#                                   apparmor_parser) leaves them as they were; detach
#                                   removes the profiles; BPF options are refused;
#                                   an AppArmor apply killed at every step (a first one,
#                                   and one replacing bundle A by B): A (or nothing)
#                                   enforces until the one write that loads B, B from it
#                                   on, and status undoes or finishes it
#
#   [KILL_STEPS=all] tests/loader/vm-bundle.sh [BUILD_DIR]   (default build; the loader must be static)
#
# One line per check ("ok   name" / "FAIL name: why"), then "N passed, M failed".
set -u
# KILL_STEPS=all: kill the BPF-LSM apply at every step, not only at the switch's boundary
# ones (each kill costs an apply, ~40 s under TCG: an hour; not part of make vmtest)
KILL_STEPS=${KILL_STEPS:-boundary}
boot_timeout=1800	# a hang guard: boot 1 applies BPF-LSM some 20 times (~40 s each under TCG)
[ "$KILL_STEPS" = all ] && boot_timeout=9000
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
L=$BUILD/karmor-loader
KC=$BUILD/karmorc
VMDIR=${VMDIR:-$ROOT/build/vm}
. "$HERE/lib.sh"
vm_ready "$L"
command -v minisign >/dev/null || { bad setup "minisign is missing (scripts/install-deps installs it)"; finish; }
command -v apparmor_parser >/dev/null || { bad setup "apparmor_parser is missing (scripts/install-deps installs it)"; finish; }

T=$(mktemp -d /tmp/karmor-loader-vmb.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
cat >"$T/p.yaml" <<'POL'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: ksp-web
  namespace: default
spec:
  severity: 7
  message: "web is confined"
  selector:
    matchLabels:
      app: web
  file:
    matchPaths:
    - path: /etc/secret
  action: Block
POL
# the bundle carries every backend, and AppArmor binary policy for the guest's kernel
minisign -G -W -p "$T/k.pub" -s "$T/k.key" >/dev/null 2>&1 &&
	"$KC" bundle --sign "$T/k.key" --apparmor-binary "$ROOT/testdata/apparmor-features-debian-6.1" \
		-o "$T/p.kb" "$T/p.yaml" >"$T/kb.log" 2>&1 || { bad setup "karmorc bundle: $(cat "$T/kb.log")"; finish; }
TGT=$(grep -a '^target	' "$T/p.kb" | head -n 1 | cut -f2)
[ -n "$TGT" ] || { bad setup "no target in the bundle's manifest"; finish; }
# bundles A and B for the kill test: the same workload, A blocks /etc/secret-a, B /etc/secret-b
LF=$BUILD/karmor-loader-faults
[ -x "$LF" ] || { bad setup "no $LF (make $LF)"; finish; }
for n in a b; do
	sed -e "s/ksp-web/ksp-$n/" -e "s|/etc/secret$|/etc/secret-$n|" "$T/p.yaml" >"$T/$n.yaml"
	"$KC" bundle --target=bpf -o "$T/k$n.kb" "$T/$n.yaml" >"$T/kb.log" 2>&1 || { bad setup "karmorc bundle $n: $(cat "$T/kb.log")"; finish; }
done
# AppArmor bundles for the kill test: A confines web (/etc/secret-a) and old, B web
# (/etc/secret-b) and db, so a re-apply replaces one profile, removes one and adds one
for n in a b; do
	other=old
	[ $n = b ] && other=db
	{
		sed -e "s/ksp-web/ksp-$n/" -e "s|/etc/secret$|/etc/secret-$n|" "$T/p.yaml"
		echo "---"
		sed -e "s/ksp-web/ksp-$other/" -e "s|/etc/secret$|/etc/secret-$other|" -e "s/app: web/app: $other/" "$T/p.yaml"
	} >"$T/aa$n.yaml"
	"$KC" bundle --target=apparmor --apparmor-binary "$ROOT/testdata/apparmor-features-debian-6.1" -o "$T/aa$n.kb" \
		"$T/aa$n.yaml" >"$T/kb.log" 2>&1 || { bad setup "karmorc bundle aa$n: $(cat "$T/kb.log")"; finish; }
done
TOLD=$(grep -a '^target	' "$T/aaa.kb" | cut -f2 | grep -vx "$TGT")
TDB=$(grep -a '^target	' "$T/aab.kb" | cut -f2 | grep -vx "$TGT")
[ -n "$TOLD" ] && [ -n "$TDB" ] || { bad setup "the AppArmor kill bundles lack their second target"; finish; }
# the same policy without binary AppArmor policy: the guest has no apparmor_parser to build it
"$KC" bundle -o "$T/nobin.kb" "$T/p.yaml" >"$T/kb.log" 2>&1 || { bad setup "karmorc bundle (no binary): $(cat "$T/kb.log")"; finish; }

R=$T/root
mkdir -p "$R/.vmt/bin" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/etc"
cp /bin/busybox "$R/.vmt/bin/"
for a in sh cat mkdir mount dd printf sleep poweroff sync rm grep dmesg ls sed wc awk tr; do ln -s busybox "$R/.vmt/bin/$a"; done
install -m 755 "$L" "$R/.vmt/karmor-loader"
install -m 755 "$LF" "$R/.vmt/karmor-loader-faults"
cp "$T/p.kb" "$T/p.kb.minisig" "$T/k.pub" "$T/ka.kb" "$T/kb.kb" "$T/nobin.kb" "$T/aaa.kb" "$T/aab.kb" "$R/.vmt/"
echo "top secret" >"$R/etc/secret"
echo "a" >"$R/etc/secret-a"
echo "b" >"$R/etc/secret-b"
echo "old" >"$R/etc/secret-old"
echo "db" >"$R/etc/secret-db"
echo "127.0.0.1 localhost" >"$R/etc/hosts"
cat >"$R/.vmt/common.sh" <<'COMMON'
export PATH=/.vmt/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security; mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup; mount -t tmpfs tmpfs /run
exec >/dev/ttyS1 2>&1
L=/.vmt/karmor-loader
web() { sh -c 'echo $$ > /sys/fs/cgroup/web/cgroup.procs; exec "$@"' web "$@"; }
mkdir /sys/fs/cgroup/web
COMMON
cat >"$R/.vmt/boot1.sh" <<BOOT1
. /.vmt/common.sh
\$L probe; echo "PROBE rc=\$?"
\$L apply /.vmt/p.kb --key /.vmt/k.pub --require-signature --bind $TGT=/sys/fs/cgroup/web; echo "E-APPLY rc=\$?"
web cat /etc/secret; echo "E-READ rc=\$?"
\$L status --json; echo "E-STATUS rc=\$?"
\$L events --json --drain; echo "E-EVENTS rc=\$?"
\$L detach; echo "E-DETACH rc=\$?"
\$L apply /.vmt/p.kb --mode=monitor --bind $TGT=/sys/fs/cgroup/web; echo "M-APPLY rc=\$?"
web cat /etc/secret >/dev/null; echo "M-READ rc=\$?"
\$L status --json; echo "M-STATUS rc=\$?"
\$L status; echo "M-STATUS-TEXT rc=\$?"
\$L events --json --drain; echo "M-EVENTS rc=\$?"
\$L detach; echo "M-DETACH rc=\$?"
\$L apply /.vmt/p.kb --backend apparmor; echo "F-APPLY rc=\$?"
\$L run --target $TGT -- cat /etc/secret; echo "F-READ rc=\$?"
\$L detach; echo "F-DETACH rc=\$?"
# events --follow across backends: AppArmor's records, then the BPF ring buffer once BPF
# is applied in AppArmor's place, then AppArmor's again
\$L apply /.vmt/p.kb --backend apparmor >/dev/null 2>&1; echo "S-APPLY1 rc=\$?"
\$L events --json --follow >/tmp/as 2>&1 & ev=\$!
sleep 2
\$L run --target $TGT -- cat /etc/secret >/dev/null 2>&1; echo "S-READ1 rc=\$?"
\$L detach >/dev/null 2>&1
\$L apply /.vmt/p.kb --bind $TGT=/sys/fs/cgroup/web >/dev/null 2>&1; echo "S-APPLY2 rc=\$?"
sleep 2
web cat /etc/secret >/dev/null 2>&1; echo "S-READ2 rc=\$?"
sleep 2
\$L detach >/dev/null 2>&1
\$L apply /.vmt/p.kb --backend apparmor >/dev/null 2>&1; echo "S-APPLY3 rc=\$?"
sleep 3
\$L run --target $TGT -- cat /etc/secret >/dev/null 2>&1; echo "S-READ3 rc=\$?"
sleep 2; kill \$ev; wait \$ev; echo "AS-BEGIN"; cat /tmp/as; echo "AS-EVENTS rc=\$?"
\$L detach >/dev/null 2>&1
# kill at every step: which of A and B enforces in the bound cgroup
which() {
	a=0; b=0
	web cat /etc/secret-a >/dev/null 2>&1 || a=1
	web cat /etc/secret-b >/dev/null 2>&1 || b=1
	case \$a\$b in 10) echo A ;; 01) echo B ;; 00) echo none ;; *) echo both ;; esac
}
LF=/.vmt/karmor-loader-faults
KB="--bind $TGT=/sys/fs/cgroup/web"
\$L apply /.vmt/ka.kb \$KB >/dev/null 2>&1; echo "K-A rc=\$? \$(which)"
KARMOR_LOADER_TRACE=1 \$LF apply /.vmt/kb.kb \$KB >/dev/null 2>/tmp/trace; echo "K-B rc=\$? \$(which)"
# the steps: the last attach, the last pin, and from the state written to the first rename after the switch
KS=\$(awk -F': ' '/: step [0-9]+: / { n = substr(\$2, 6) + 0; last[\$3] = n; if (\$3 == "the state written" || \$3 == "the switch" || \$3 == "the applied state moved aside") pick[n] = 1 }
	END { pick[last["an attach"]] = 1; pick[last["a pin"]] = 1; for (n in pick) print n }' /tmp/trace | sort -n | tr '\n' ' ')
[ "$KILL_STEPS" = all ] && KS=\$(grep ': step [0-9]*:' /tmp/trace | sed 's/.*step \([0-9]*\):.*/\1/' | tr '\n' ' ')
SW=\$(grep ': the switch\$' /tmp/trace | sed 's/.*step \([0-9]*\):.*/\1/')
echo "K-STEPS \$(grep -c ': step [0-9]*:' /tmp/trace) \$SW \$KS"
# each kill replaces the one that enforces by the other (A and B take the same steps)
from=B
for k in \$KS; do
	to=A; [ \$from = A ] && to=B
	KARMOR_LOADER_KILL_AT=\$k \$LF apply /.vmt/k\$(echo \$to | tr AB ab).kb \$KB >/dev/null 2>/tmp/kerr; rc=\$?
	now=\$(which)
	\$L status >/dev/null 2>&1; st=\$?
	after=\$(which)
	left=\$(ls -d /sys/fs/bpf/karmor-* /run/karmor-* 2>/dev/null | wc -l)
	echo "K \$k from=\$from rc=\$rc now=\$now status=\$st after=\$after left=\$left (\$(sed -n 's/.*killed at step [0-9]*, //p' /tmp/kerr))"
	from=\$after
done
\$L detach >/dev/null; echo "K-DETACH rc=\$? \$(ls /sys/fs/bpf | grep -c karmor) \$(which)"
# other faults with BPF-LSM: the state directory's disk full (a first apply, a replacing
# one), two applies at once, the bpf file system unmounted under the pins
mkdir /run/full && mount -t tmpfs -o size=256k tmpfs /run/full
FS="--state-dir /run/full/state"
fill() { dd if=/dev/zero of=/run/full/fill bs=4k >/dev/null 2>&1; }
fill
\$L apply /.vmt/ka.kb \$KB \$FS >/tmp/o 2>&1; echo "FD-FIRST rc=\$? \$(which) \$(ls /sys/fs/bpf | grep -c karmor) \$(grep -c 'No space left on device' /tmp/o)"
rm /run/full/fill
\$L apply /.vmt/ka.kb \$KB \$FS >/dev/null 2>&1; echo "FD-A rc=\$? \$(which)"
fill
\$L apply /.vmt/kb.kb \$KB \$FS >/tmp/o 2>&1; echo "FD-REPLACE rc=\$? \$(which) \$(grep -c 'No space left on device' /tmp/o) \$(ls -d /sys/fs/bpf/karmor-* /run/full/state-* /run/full/state.* 2>/dev/null | wc -l)"
rm /run/full/fill
\$L detach \$FS >/dev/null 2>&1; echo "FD-DETACH rc=\$? \$(which)"
\$L apply /.vmt/ka.kb \$KB >/tmp/o1 2>&1 & p1=\$!
\$L apply /.vmt/kb.kb \$KB >/tmp/o2 2>&1 & p2=\$!
wait \$p1; r1=\$?; wait \$p2; r2=\$?
second=B; grep -q 'it replaced the images applied before' /tmp/o1 && second=A
echo "TWO r1=\$r1 r2=\$r2 second=\$second now=\$(which) sides=\$(ls -d /sys/fs/bpf/karmor-* /run/karmor-* 2>/dev/null | wc -l)"
\$L detach >/dev/null 2>&1
\$L apply /.vmt/ka.kb \$KB >/dev/null 2>&1; echo "GONE-A rc=\$? \$(which)"
umount -l /sys/fs/bpf; echo "GONE-UMOUNT \$(which)"
\$L status >/tmp/o 2>&1; echo "GONE-STATUS rc=\$? \$(grep -c 'the pins are incomplete' /tmp/o)"
mount -t bpf bpf /sys/fs/bpf
\$L apply /.vmt/ka.kb \$KB >/tmp/o 2>&1; echo "GONE-APPLY rc=\$? \$(grep -c 'that are gone' /tmp/o)"
\$L detach >/dev/null 2>&1; \$L apply /.vmt/ka.kb \$KB >/dev/null 2>&1; echo "GONE-AGAIN rc=\$? \$(which)"
\$L detach >/dev/null 2>&1; echo "GONE-DETACH rc=\$? \$(which)"
BOOT1
cat >"$R/.vmt/boot2.sh" <<BOOT2
. /.vmt/common.sh
\$L probe; echo "PROBE rc=\$?"
\$L apply /.vmt/p.kb --bind $TGT=/sys/fs/cgroup/web; echo "X-APPLY rc=\$?"
\$L apply /.vmt/p.kb --backend bpf; echo "Y-APPLY rc=\$?"
\$L apply /.vmt/p.kb --key /.vmt/k.pub --require-signature; echo "E-APPLY rc=\$?"
\$L run --target $TGT -- cat /etc/secret; echo "E-READ rc=\$?"
\$L run --target $TGT -- cat /etc/hosts >/dev/null; echo "E-OTHER rc=\$?"
cat /etc/secret >/dev/null; echo "E-UNCONFINED rc=\$?"
\$L status --json; echo "E-STATUS rc=\$?"
\$L apply /.vmt/p.kb; echo "E-AGAIN rc=\$?"
# events, live from the audit records, while a read is refused and while it is permitted
# in monitor mode (AE- and AM- blocks)
\$L events --json --drain; echo "E-DRAIN rc=\$?"
\$L events --json >/tmp/ae 2>&1 & ev=\$!
sleep 1
\$L run --target $TGT -- cat /etc/secret; echo "E-READ2 rc=\$?"
sleep 1; kill \$ev; wait \$ev; echo "AE-BEGIN"; cat /tmp/ae; echo "AE-EVENTS rc=\$?"
\$L detach; echo "E-DETACH rc=\$?"
grep -c karmorc /sys/kernel/security/apparmor/profiles; echo "E-GONE"
\$L apply /.vmt/p.kb; echo "R-APPLY rc=\$?"
\$L apply /.vmt/p.kb --mode=monitor; echo "M-APPLY rc=\$?"
\$L events --json >/tmp/am 2>&1 & ev=\$!
sleep 1
\$L run --target $TGT -- cat /etc/secret >/dev/null; echo "M-READ rc=\$?"
sleep 1; kill \$ev; wait \$ev; echo "AM-BEGIN"; cat /tmp/am; echo "AM-EVENTS rc=\$?"
\$L status --json; echo "M-STATUS rc=\$?"
\$L apply /.vmt/nobin.kb; echo "N-APPLY rc=\$?"
\$L run --target $TGT -- cat /etc/secret >/dev/null; echo "N-READ rc=\$?"
\$L status --json; echo "N-STATUS rc=\$?"
dmesg | grep 'apparmor=' | grep 'name="/etc/secret"'; echo "M-LOG"
\$L detach; echo "M-DETACH rc=\$?"
ls /run; echo "M-RUN"
# events follows a re-apply: the new bundle's tables name the new records
\$L apply /.vmt/p.kb >/dev/null 2>&1
\$L events --json --follow >/tmp/aw 2>&1 & ev=\$!
sleep 1
\$L run --target $TGT -- cat /etc/secret >/dev/null 2>&1; echo "W-READ1 rc=\$?"
\$L apply /.vmt/aaa.kb >/dev/null 2>&1; echo "W-REAPPLY rc=\$?"
\$L run --target $TGT -- cat /etc/secret-a >/dev/null 2>&1; echo "W-READ2 rc=\$?"
sleep 1; kill \$ev; wait \$ev; echo "AW-BEGIN"; cat /tmp/aw; echo "AW-EVENTS rc=\$?"
\$L detach >/dev/null 2>&1
# AppArmor killed at every step of an apply, a first one (nothing -> A) and a replacing one
# (A -> B).  Which bundle enforces is read without the loader (whose commands recover):
# web's profile run directly; then status (which finishes or undoes the apply) and again.
LF=/.vmt/karmor-loader-faults
P=/sys/kernel/security/apparmor/profiles
aaw() {
	grep -q "^$TGT " \$P || { echo none; return; }
	a=0; b=0
	sh -c "printf 'exec $TGT' >/proc/self/attr/exec && exec cat /etc/secret-a" >/dev/null 2>&1 || a=1
	sh -c "printf 'exec $TGT' >/proc/self/attr/exec && exec cat /etc/secret-b" >/dev/null 2>&1 || b=1
	o=; grep -q "^$TOLD " \$P && o=+old; grep -q "^$TDB " \$P && o=\$o+db
	case \$a\$b in 10) echo A\$o ;; 01) echo B\$o ;; 00) echo open\$o ;; *) echo both\$o ;; esac
}
aakill() { # aakill NAME FROM BUNDLE: every step of applying BUNDLE over FROM (none or aaa.kb)
	\$L detach >/dev/null 2>&1
	[ \$2 = none ] || \$L apply /.vmt/\$2 >/dev/null 2>&1
	KARMOR_LOADER_TRACE=1 \$LF apply /.vmt/\$3 >/dev/null 2>/tmp/trace; r=\$?
	echo "\$1-STEPS rc=\$r \$(grep -c ': step [0-9]*:' /tmp/trace) \$(sed -n 's/.*step \\([0-9]*\\): the apply recorded\$/\\1/p' /tmp/trace) \$(sed -n 's/.*step \\([0-9]*\\): the profiles loaded\$/\\1/p' /tmp/trace) \$(aaw) \$(sed -n 's/.*step \\([0-9]*\\): a profile the new bundle lacks removed\$/\\1/p' /tmp/trace)"
	n=\$(grep -c ': step [0-9]*:' /tmp/trace)
	k=1
	while [ \$k -le \$n ]; do
		\$L detach >/dev/null 2>&1
		[ \$2 = none ] || \$L apply /.vmt/\$2 >/dev/null 2>&1
		KARMOR_LOADER_KILL_AT=\$k \$LF apply /.vmt/\$3 >/dev/null 2>/tmp/kerr; rc=\$?
		now=\$(aaw)
		\$L status >/dev/null 2>&1; st=\$?
		after=\$(aaw)
		left=\$(ls /run/karmor 2>/dev/null | grep -cE '[.]new\$|[.]next\$')
		echo "\$1 \$k rc=\$rc now=\$now status=\$st after=\$after left=\$left (\$(sed -n 's/.*killed at step [0-9]*, //p' /tmp/kerr))"
		k=\$((k + 1))
	done
	\$L detach >/dev/null 2>&1
}
aakill AK1 none aaa.kb
aakill AK2 aaa.kb aab.kb
BOOT2
cat >"$R/init" <<'INIT'
#!/.vmt/bin/sh
/.vmt/bin/mount -t proc proc /proc
case " $(/.vmt/bin/cat /proc/cmdline) " in *" vmb=2 "*) s=/.vmt/boot2.sh ;; *) s=/.vmt/boot1.sh ;; esac
/.vmt/bin/umount /proc 2>/dev/null
/.vmt/bin/sh $s
/.vmt/bin/sync
/.vmt/bin/printf '\000' | /.vmt/bin/dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
/.vmt/bin/poweroff -f
INIT
ln -s busybox "$R/.vmt/bin/umount"
chmod 755 "$R/init"
vm_initrd "$R" "$T/initrd.gz"

# boot N LSM_LIST: the guest's results in $T/results-N
boot() {
	vm_boot "$boot_timeout" 512 "$T/initrd.gz" "$T/console-$1" "$T/results-$1" "$T/qemu-$1" "lsm=$2" "vmb=$1"
}

# ---- boot 1: BPF-LSM and AppArmor
boot 1 lockdown,capability,landlock,yama,apparmor,bpf
qrc=$?
out=$(tr -d '\r' <"$T/results-1" 2>/dev/null)
[ -n "${VERBOSE:-}" ] && echo "$out"
[ "$qrc" -eq 1 ] && ok "boot 1 (BPF-LSM and AppArmor): the guest ran to the end" ||
	bad "boot 1" "qemu exit $qrc: $(tail -5 "$T/console-1")"
grep -q '^backend: bpf (BPF-LSM is active)' <<<"$out" && ok "probe: bpf, BPF-LSM active" ||
	bad "probe (boot 1)" "$(sed -n '1,/^PROBE/p' <<<"$out")"
grep -q 'apply: backend bpf (BPF-LSM is active)' <<<"$out" && grep -q '^E-APPLY rc=0' <<<"$out" &&
	grep -q '^E-READ rc=1' <<<"$out" && grep -B1 '^E-READ' <<<"$out" | grep -q 'Permission denied' &&
	ok "enforce: a signed bundle applied with BPF-LSM refuses the blocked read" ||
	bad "enforce (BPF)" "$(sed -n '/^PROBE rc/,/^E-READ/p' <<<"$out")"
events() { sed -n "/^$1-STATUS rc=/,/^$1-EVENTS rc=/p" <<<"$out" | grep '^{'; }
# events_say LINES ACTION RESULT ENFORCER [FLAGS]: the alerts about /etc/secret say so, policy ksp-web
events_say() {
	python3 - "$@" <<'PY' 2>"$T/py.err"
import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines()]
mine = [e for e in evs if e["Resource"] == "/etc/secret"]
assert mine and all(e["Action"] == sys.argv[2] and e["PolicyName"] == "ksp-web" for e in mine), mine
assert all(e["Result"] == sys.argv[3] and e["Enforcer"] == sys.argv[4] for e in mine), mine
assert len(sys.argv) < 6 or all(sys.argv[5] in e.get("KarmorFlags", "").split(",") for e in mine), mine
assert all(e["Severity"] == "7" and e["Message"] == "web is confined" and e["Operation"] == "File" for e in mine), mine
PY
}
events_say "$(events E)" Block "Permission denied" BPFLSM &&
	ok "enforce: the event says Block, Permission denied, policy ksp-web" || bad "enforce events" "$(events E) $(tail -n 1 "$T/py.err")"
grep -q '^M-APPLY rc=0' <<<"$out" && grep -q '^M-READ rc=0' <<<"$out" &&
	ok "monitor: the same bundle with --mode=monitor permits the read" ||
	bad "monitor (BPF)" "$(sed -n '/^E-DETACH/,/^M-READ/p' <<<"$out")"
events_say "$(events M)" Audit Passed BPFLSM &&
	ok "monitor: the event says Audit, Passed, policy ksp-web" || bad "monitor events" "$(events M) $(tail -n 1 "$T/py.err")"
st=$(grep -B1 '^M-STATUS rc=0' <<<"$out" | head -n 1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["enforcement"]=="monitor" and d["targets"][0]["counters"]["blocked"]==0 and d["targets"][0]["counters"]["audited"]>=1, d' "$st" 2>/dev/null &&
	grep -q '^mode monitor: every Block is reported as Audit' <<<"$out" &&
	ok "status: mode monitor, nothing blocked, the read audited" || bad "monitor status" "$st"
grep -q 'apply: backend apparmor (--backend apparmor)' <<<"$out" && grep -q '^F-APPLY rc=0' <<<"$out" &&
	grep -q '^F-READ rc=1' <<<"$out" && grep -q '^F-DETACH rc=0' <<<"$out" &&
	ok "--backend apparmor while BPF-LSM is active: AppArmor enforces" ||
	bad "--backend apparmor" "$(sed -n '/^M-DETACH/,/^F-DETACH/p' <<<"$out")"
w=$(sed -n '/^S-APPLY1 rc=/,/^AS-EVENTS/p' <<<"$out")
python3 - "$(grep '^{' <<<"$w")" <<'PY' 2>"$T/py.err" && grep -q '^S-READ1 rc=1' <<<"$w" && grep -q '^S-READ2 rc=1' <<<"$w" &&
import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines()]
got = [(e["Enforcer"], e["Action"], e["PolicyName"]) for e in evs if e["Resource"] == "/etc/secret"]
assert got == [("AppArmor", "Block", "ksp-web"), ("BPFLSM", "Block", "ksp-web"), ("AppArmor", "Block", "ksp-web")], got
PY
	grep -q '^S-READ3 rc=1' <<<"$w" && grep -q 'following generation' <<<"$w" && grep -q 'following the AppArmor profiles applied now' <<<"$w" &&
	ok "events --follow reads AppArmor's records, then the BPF ring buffer once BPF is applied in its place, then AppArmor's again" ||
	bad "events --follow across backends" "$w $(tail -n 1 "$T/py.err")"
read -r _ nsteps switch ksteps <<<"$(grep '^K-STEPS ' <<<"$out")"
if grep -q '^K-A rc=0 A$' <<<"$out" && grep -q '^K-B rc=0 B$' <<<"$out" && [ "${nsteps:-0}" -gt 10 ] && [ -n "${switch:-}" ] &&
	[ "$(wc -w <<<"${ksteps:-}")" -eq "$([ "$KILL_STEPS" = all ] && echo "$nsteps" || echo 5)" ]; then
	kbad="" from=B names=""
	for k in $ksteps; do
		line=$(grep "^K $k " <<<"$out")
		to=A
		[ $from = A ] && to=B
		want=$from
		[ "$k" -ge "$switch" ] && want=$to
		[[ $line == "K $k from=$from rc=137 now=$want status=0 after=$want left=0 "* ]] || kbad+=" [$line, wanted $want]"
		n=${line##*(}
		names+="${n%)}, "
		from=$want
	done
	[ -z "$kbad" ] &&
		ok "BPF-LSM: an apply replacing one bundle by another killed at steps ${ksteps% } of $nsteps (${names%, }): the old one enforces before the switch (step $switch), the new one from it on, never both or neither; status finishes or undoes it" ||
		bad "kill at the steps (BPF-LSM)" "$kbad"
else
	bad "kill at the steps (BPF-LSM)" "$(grep -E '^K-(A|B|STEPS)' <<<"$out")"
fi
grep -q '^K-DETACH rc=0 0 none$' <<<"$out" && ok "detach after it: no pins, nothing enforced" ||
	bad "detach after the kill test" "$(grep '^K-DETACH' <<<"$out")"
grep -q '^FD-FIRST rc=1 none 0 1$' <<<"$out" && grep -q '^FD-A rc=0 A$' <<<"$out" && grep -q '^FD-REPLACE rc=1 A 1 0$' <<<"$out" &&
	grep -q '^FD-DETACH rc=0 none$' <<<"$out" &&
	ok "BPF-LSM, the state's disk full: a first apply and a replacing one refused saying so (No space left on device); nothing attached, then A still enforcing, nothing staged left" ||
	bad "BPF-LSM, disk full" "$(grep '^FD-' <<<"$out")"
grep -qE '^TWO r1=0 r2=0 second=(A now=A|B now=B) sides=0$' <<<"$out" &&
	ok "BPF-LSM, two applies at once: the lock serializes them, the second one enforces, nothing left aside" ||
	bad "BPF-LSM, two applies at once" "$(grep '^TWO' <<<"$out")"
grep -q '^GONE-A rc=0 A$' <<<"$out" && grep -q '^GONE-UMOUNT none$' <<<"$out" && grep -q '^GONE-STATUS rc=1 1$' <<<"$out" &&
	grep -q '^GONE-APPLY rc=1 1$' <<<"$out" && grep -q '^GONE-AGAIN rc=0 A$' <<<"$out" && grep -q '^GONE-DETACH rc=0 none$' <<<"$out" &&
	ok "BPF-LSM, the bpf file system unmounted under the pins: the LSM programs go with it; status and apply say the pins are gone; detach, then apply, enforces again" ||
	bad "BPF-LSM, bpffs unmounted" "$(grep '^GONE-' <<<"$out")"

# ---- boot 2: AppArmor, no BPF-LSM
boot 2 lockdown,capability,landlock,yama,apparmor
qrc=$?
out=$(tr -d '\r' <"$T/results-2" 2>/dev/null)
[ -n "${VERBOSE:-}" ] && echo "$out"
[ "$qrc" -eq 1 ] && ok "boot 2 (AppArmor, no BPF-LSM): the guest ran to the end" ||
	bad "boot 2" "qemu exit $qrc: $(tail -5 "$T/console-2")"
grep -q '^bpf-lsm: no' <<<"$out" && grep -q '^backend: apparmor (bpf: BPF-LSM is not active' <<<"$out" &&
	ok "probe: apparmor, and why not bpf" || bad "probe (boot 2)" "$(sed -n '1,/^PROBE/p' <<<"$out")"
grep -q '^X-APPLY rc=1' <<<"$out" && grep -q -- '--bind, --host and --without-lsm are BPF' <<<"$out" &&
	grep -q '^Y-APPLY rc=1' <<<"$out" && grep -q -- '--backend bpf: BPF-LSM is not active' <<<"$out" &&
	ok "BPF options and --backend bpf are refused, saying why" || bad "refusals" "$(sed -n '/^PROBE rc/,/^Y-APPLY/p' <<<"$out")"
e=$(sed -n '/^Y-APPLY/,/^E-APPLY/p' <<<"$out")
grep -q 'apply: backend apparmor (bpf: BPF-LSM is not active.*so AppArmor is enabled)' <<<"$e" &&
	grep -q "binary policy, built for this kernel's AppArmor features" <<<"$e" && grep -q '^E-APPLY rc=0' <<<"$e" &&
	ok "apply picks AppArmor and loads the bundle's binary policy" || bad "apply (AppArmor)" "$e"
grep -q '^E-READ rc=1' <<<"$out" && grep -B1 '^E-READ' <<<"$out" | grep -q 'Permission denied' &&
	grep -q '^E-OTHER rc=0' <<<"$out" && grep -q '^E-UNCONFINED rc=0' <<<"$out" &&
	ok "run: the blocked file is refused, another file is read, nothing outside run is confined" ||
	bad "run (AppArmor)" "$(sed -n '/^E-APPLY/,/^E-UNCONFINED/p' <<<"$out")"
st=$(grep -B1 '^E-STATUS rc=0' <<<"$out" | head -n 1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); t=d["targets"][0]; assert d["backend"]=="apparmor" and d["enforcement"]=="enforce" and d["source"]=="binary" and t["loaded"] and t["profile_mode"]=="enforce", d' "$st" 2>/dev/null &&
	ok "status: AppArmor, enforce, the profile loaded" || bad "status (AppArmor)" "$st"
grep -q '^E-AGAIN rc=0' <<<"$out" && grep -q "it replaced the profiles applied before" <<<"$out" &&
	grep -q '^E-READ2 rc=1' <<<"$out" &&
	ok "a second apply replaces the profiles in place: still enforcing" || bad "re-apply" "$(sed -n '/^E-STATUS/,/^E-READ2/p' <<<"$out")"
grep -q '^E-DRAIN rc=2' <<<"$out" && grep -q "its events are read live from the audit records" <<<"$out" &&
	ok "events --drain: AppArmor's events are read live, said so" || bad "events --drain (AppArmor)" "$(sed -n '/^E-AGAIN/,/^E-DRAIN/p' <<<"$out")"
aevents() { sed -n "/^$1-BEGIN/,/^$1-EVENTS rc=/p" <<<"$out" | grep '^{'; }
events_say "$(aevents AE)" Block "Permission denied" AppArmor &&
	ok "events (AppArmor, enforce): the audit record as an alert: Block, Permission denied, policy ksp-web" ||
	bad "events (AppArmor, enforce)" "$(sed -n '/^AE-BEGIN/,/^AE-EVENTS/p' <<<"$out") $(tail -n 1 "$T/py.err")"
grep -q '^E-DETACH rc=0' <<<"$out" && grep -B1 '^E-GONE' <<<"$out" | grep -q '^0$' &&
	ok "detach removes every profile" || bad "detach (AppArmor)" "$(sed -n '/^AE-EVENTS/,/^E-GONE/p' <<<"$out")"
grep -q '^R-APPLY rc=0' <<<"$out" && grep -q '^M-APPLY rc=0' <<<"$out" && grep -q '^M-READ rc=0' <<<"$out" &&
	ok "monitor: a re-apply with --mode=monitor loads the complain build in place; the read is permitted" ||
	bad "monitor (AppArmor)" "$(sed -n '/^E-GONE/,/^M-READ/p' <<<"$out")"
st=$(grep -B1 '^M-STATUS rc=0' <<<"$out" | head -n 1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); t=d["targets"][0]; assert d["enforcement"]=="monitor" and t["profile_mode"]=="complain", d' "$st" 2>/dev/null &&
	ok "status: monitor, the profile in complain mode" || bad "monitor status (AppArmor)" "$st"
events_say "$(aevents AM)" Audit Passed AppArmor monitor &&
	ok "events (AppArmor, monitor): the ALLOWED record as an alert: Audit, Passed, policy ksp-web" ||
	bad "events (AppArmor, monitor)" "$(sed -n '/^AM-BEGIN/,/^AM-EVENTS/p' <<<"$out") $(tail -n 1 "$T/py.err")"
log=$(sed -n '/^M-STATUS rc=/,/^M-LOG/p' <<<"$out")
grep -q 'apparmor="ALLOWED".*name="/etc/secret"' <<<"$log" && grep -q 'apparmor="DENIED".*name="/etc/secret"' <<<"$log" &&
	ok "the kernel logged the read DENIED in enforce mode and ALLOWED in monitor mode" || bad "AppArmor log" "$log"
e=$(sed -n '/^M-STATUS rc=/,/^N-APPLY/p' <<<"$out")
st=$(grep -B1 '^N-STATUS rc=0' <<<"$out" | head -n 1)
grep -q '^N-APPLY rc=1' <<<"$e" && grep -q "the bundle has no binary policy, and apparmor_parser is not installed" <<<"$e" &&
	grep -q '^N-READ rc=0' <<<"$out" &&
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["enforcement"]=="monitor" and d["targets"][0]["profile_mode"]=="complain", d' "$st" 2>/dev/null &&
	ok "a re-apply that cannot load (no binary policy, no apparmor_parser) is refused and leaves the profiles as they were" ||
	bad "refused re-apply" "$e $st"
grep -q '^M-DETACH rc=0' <<<"$out" && ! grep -B3 '^M-RUN' <<<"$out" | grep -q '^karmor' &&
	ok "detach (monitor): the state and the builds it kept are gone" || bad "detach (monitor)" "$(sed -n '/^M-LOG/,/^M-RUN/p' <<<"$out")"
w=$(sed -n '/^AW-BEGIN/,/^AW-EVENTS/p' <<<"$out")
python3 - "$(grep '^{' <<<"$w")" <<'PY' 2>"$T/py.err" && grep -q 'following the AppArmor state applied now' <<<"$w" &&
import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines()]
got = sorted((e["Resource"], e["PolicyName"], e["Action"]) for e in evs)
assert got == [("/etc/secret", "ksp-web", "Block"), ("/etc/secret-a", "ksp-a", "Block")], got
PY
	ok "events follows a re-apply: the records after it are named by the new bundle's rule tables" ||
	bad "events across a re-apply" "$w $(tail -n 1 "$T/py.err")"
# the AppArmor kill test: before the apply is recorded the old bundle enforces and status
# undoes it; once recorded, status finishes it (the new one enforces from its load on)
aakill_check() { # NAME FROM TO MIX WHAT: MIX, what enforces between the load and the removal of
	# the profiles only FROM has (AppArmor cannot remove and replace in one write)
	local name=$1 from=$2 to=$3 mix=$4 what=$5 kbad="" names="" line want_now want_after
	read -r _ rc n rec ld first rm <<<"$(grep "^$name-STEPS " <<<"$out")"
	if [ "$rc" != rc=0 ] || [ "$first" != "$to" ] || [ -z "$rec" ] || [ -z "$ld" ] || [ "${n:-0}" -lt 4 ]; then
		bad "AppArmor: $what killed at every step" "$(grep "^$name-STEPS " <<<"$out")"
		return
	fi
	for ((k = 1; k <= n; k++)); do
		line=$(grep "^$name $k " <<<"$out")
		want_now=$from want_after=$from
		[ "$k" -ge "$rec" ] && want_after=$to
		[ "$k" -ge "$ld" ] && want_now=$to
		[ "$k" -ge "$ld" ] && [ -n "$rm" ] && [ "$k" -lt "$rm" ] && want_now=$mix
		[[ $line == "$name $k rc=137 now=$want_now status=0 after=$want_after left=0 "* ]] || kbad+=" [$line, wanted now=$want_now after=$want_after]"
		n2=${line##*(}
		names+="${n2%)}, "
	done
	[ -z "$kbad" ] &&
		ok "AppArmor: $what killed at each of its $n steps (${names%, }): $from enforces until the profiles load in one write (step $ld), $to from it on${rm:+ (the profiles only $from has go at step $rm)}; status undoes an apply not yet recorded (step $rec) and finishes one that was; nothing staged is left" ||
		bad "AppArmor: $what killed at every step" "$kbad"
}
aakill_check AK1 none A+old - "a first apply"
aakill_check AK2 A+old B+db B+old+db "an apply replacing A by B (one profile replaced, one removed, one added)"
finish
