#!/usr/bin/env bash
# karmor-loader in BPF-LSM mode, for real: boots Debian's 6.1 kernel (the one
# scripts/vmtest caches under build/vm) with lsm=...,bpf and runs apply (LSM
# programs), a blocked file read and socket in a bound cgroup, every path hook
# against a readOnly tree (unlink, rename both ways, hard link from it,
# symlink, mkdir, rmdir, chmod, chown, truncate, create, append), a hard link to
# a blocked file, a rename by another user over an ownerOnly file, tasks nested
# 20, 1,000 and 1,030 cgroups below the bound one, run, status, events and
# detach in the guest; then the bench corpus of a node (10,000 policies, 110
# Deployments: ../shared/bench/gen-corpus.py, generated here) compiled with its
# inventory and applied with BPF-LSM, every map sized from its images (status
# text kept in $VMDIR/maps-status.txt).  The last step of `make vmtest` (after
# scripts/vmtest, which fetches the kernel); ~2 min under TCG.
#
#   tests/loader/vm.sh [BUILD_DIR]      (default build; the loader must be static)
#
# One line per check ("ok   name" / "FAIL name: why"), then "N passed, M failed".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
L=$BUILD/karmor-loader
KC=$BUILD/karmorc
VMDIR=${VMDIR:-$ROOT/build/vm}
. "$HERE/lib.sh"
vm_ready "$L"
# scripts/vmtest's actor performs truncate(2) by path (busybox opens the file first)
ACTOR=$VMDIR/bin/actor
[ -x "$ACTOR" ] || { bad setup "no $ACTOR (run scripts/vmtest once)"; finish; }

T=$(mktemp -d /tmp/karmor-loader-vm.XXXXXX) || exit 1
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
    - path: /srv/own/f
      ownerOnly: true
    matchDirectories:
    - dir: /srv/ro/
      recursive: true
      readOnly: true
  network:
    matchProtocols:
    - protocol: tcp
  action: Block
POL
"$KC" compile --target=bpf -o "$T/out" "$T/p.yaml" >"$T/kc.log" 2>&1 || { bad setup "karmorc: $(cat "$T/kc.log")"; finish; }
TGT=$(basename "$(ls "$T"/out/bpf/*.kmi | head -n 1)" .kmi)
# literal file paths only: the name filter (bpf/karmor.h) decides most opens by the name alone
cat >"$T/n.yaml" <<'POL'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: ksp-names
  namespace: default
spec:
  selector:
    matchLabels:
      app: names
  file:
    matchPaths:
    - path: /etc/nsecret
    - path: /etc/bindme
  action: Block
POL
"$KC" compile --target=bpf -o "$T/nout" "$T/n.yaml" >"$T/kn.log" 2>&1 || { bad setup "karmorc: $(cat "$T/kn.log")"; finish; }
NTGT=$(basename "$(ls "$T"/nout/bpf/*.kmi)" .kmi)
# the same policy as a signed bundle (karmor-bundle(5)), applied after the images are detached
command -v minisign >/dev/null || { bad setup "minisign is missing (scripts/install-deps installs it)"; finish; }
minisign -G -W -p "$T/k.pub" -s "$T/k.key" >/dev/null 2>&1 &&
	"$KC" bundle --target=bpf --sign "$T/k.key" -o "$T/p.kb" "$T/p.yaml" >"$T/kb.log" 2>&1 ||
	{ bad setup "karmorc bundle: $(cat "$T/kb.log")"; finish; }
# the bench corpus: more path and network entries than the object used to fix (65,536 and 4,096)
GEN=$ROOT/../shared/bench/gen-corpus.py
[ -r "$GEN" ] || { bad setup "no $GEN (../shared beside the clone)"; finish; }
python3 "$GEN" 10000 "$T/c10k" --workloads="$T/c10k.inv" >/dev/null || { bad setup "gen-corpus.py failed"; finish; }
"$KC" compile --target=bpf --workloads "$T/c10k.inv" -o "$T/c10k-out" "$T/c10k" >"$T/c10k.txt" 2>"$T/c10k.err" ||
	{ bad setup "karmorc on the bench corpus: $(tail -n 3 "$T/c10k.err")"; finish; }
BIGTOTAL=$(grep '^bpf: total' "$T/c10k.txt")
BIGTGT=$(basename "$(ls "$T"/c10k-out/bpf/*.kmi | head -n 1)" .kmi)	# bound to a cgroup, as a workload's would be

R=$T/root
mkdir -p "$R/.vmt/bin" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/etc"
cp /bin/busybox "$R/.vmt/bin/"
for a in sh cat mkdir mount dd printf nc sleep poweroff sync rm mv ln rmdir chmod chown truncate touch su unshare; do ln -s busybox "$R/.vmt/bin/$a"; done
install -m 755 "$L" "$R/.vmt/karmor-loader"
install -m 755 "$ACTOR" "$R/.vmt/actor"
cp -r "$T/out/bpf" "$R/.vmt/img"
cp -r "$T/nout/bpf" "$R/.vmt/names"
cp "$T/p.kb" "$T/p.kb.minisig" "$T/k.pub" "$R/.vmt/"
mkdir "$R/.vmt/big" && cp "$T"/c10k-out/bpf/*.kmi "$R/.vmt/big/"
echo "top secret" >"$R/etc/secret"
# the path hooks, in the bound cgroup: every way of changing a readOnly tree,
# a hard link to a blocked file, a rename over an ownerOnly file by another
# user; then tasks nested below the bound cgroup (deeper than the ancestor
# walk reaches: refused)
cat >"$R/.vmt/paths.sh" <<'PATHS'
web() { sh -c 'echo $$ > /sys/fs/cgroup/web/cgroup.procs; eval "$1"' web "$1" </dev/null >/dev/null 2>&1; echo "$2 rc=$?"; }
mkdir -p /srv/ro/sub /srv/own; echo data > /srv/ro/f; chmod 777 /srv/own
echo root > /srv/own/f; chmod 666 /srv/own/f; echo root > /srv/own/g
echo mine > /tmp/mine; echo mine > /tmp/mine2; chown 1000:1000 /tmp/mine /tmp/mine2; chmod 777 /tmp; echo y > /tmp/y
web 'cat /srv/ro/f' READ-RO
web 'rm -f /srv/ro/f' UNLINK-RO
web 'mv /srv/ro/f /tmp/moved' RENAME-FROM-RO
web 'mv /tmp/y /srv/ro/y' RENAME-INTO-RO
web 'ln /srv/ro/f /tmp/hl' LINK-FROM-RO
web 'ln /etc/secret /tmp/hs' LINK-FROM-BLOCKED
web 'ln -s /etc/hosts /srv/ro/sl' SYMLINK-INTO-RO
web 'mkdir /srv/ro/d' MKDIR-RO
web 'rmdir /srv/ro/sub' RMDIR-RO
web 'chmod 600 /srv/ro/f' CHMOD-RO
web 'chown 1000 /srv/ro/f' CHOWN-RO
web 'truncate -s 0 /srv/ro/f' TRUNCATE-RO
web '/.vmt/actor syscall truncate /srv/ro/f' TRUNCATE-PATH-RO
web 'touch /srv/ro/new' CREATE-RO
web 'echo x >> /srv/ro/f' APPEND-RO
web 'su -s /.vmt/bin/sh u -c "cat /srv/own/f"' OWNERONLY-OTHER-READ
web 'cat /srv/own/f' OWNERONLY-OWNER-READ
web 'su -s /.vmt/bin/sh u -c "mv -f /tmp/mine /srv/own/f"' RENAME-OVER-OWNERONLY
web 'su -s /.vmt/bin/sh u -c "mv -f /tmp/mine2 /srv/own/g"' RENAME-OVER-OTHER
ln /srv/ro/f /tmp/hl-out; echo "LINK-OUTSIDE rc=$?"; rm -f /tmp/hl-out
echo "RO-CONTENT $(cat /srv/ro/f) $(ls /srv/ro | tr '\n' ' ')"
echo "OWN-CONTENT $(cat /srv/own/f)"
# nested cgroups: d(N) = N levels below web (web is level 1)
deep() { d=/sys/fs/cgroup/web; i=0; while [ $i -lt $1 ]; do d=$d/n; i=$((i + 1)); done; mkdir -p $d && echo $d; }
D20=$(deep 20); D1000=$(deep 1000); D1030=$(deep 1030)
sh -c 'echo $$ > "$1/cgroup.procs"; cat /etc/secret' d "$D20" >/dev/null 2>&1; echo "DEEP20-SECRET rc=$?"
sh -c 'echo $$ > "$1/cgroup.procs"; cat /etc/secret' d "$D1000" >/dev/null 2>&1; echo "DEEP1000-SECRET rc=$?"
sh -c 'echo $$ > "$1/cgroup.procs"; cat /etc/hosts' d "$D1000" >/dev/null 2>&1; echo "DEEP1000-OTHER rc=$?"
sh -c 'echo $$ > "$1/cgroup.procs"; cat /etc/hosts' d "$D1030" >/dev/null 2>&1; echo "DEEP1030-OTHER rc=$?"
PATHS
echo "127.0.0.1 localhost" >"$R/etc/hosts"
printf 'root:x:0:0::/:/.vmt/bin/sh\nu:x:1000:1000::/tmp:/.vmt/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nu:x:1000:\n' >"$R/etc/group"
cat >"$R/init" <<INIT
#!/.vmt/bin/sh
export PATH=/.vmt/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security; mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup; mount -t tmpfs tmpfs /run
exec >/dev/ttyS1 2>&1
L=/.vmt/karmor-loader
echo "LSM \$(cat /sys/kernel/security/lsm)"
mkdir /sys/fs/cgroup/web
\$L apply /.vmt/img --bind $TGT=/sys/fs/cgroup/web; echo "APPLY rc=\$?"
sh -c 'echo \$\$ > /sys/fs/cgroup/web/cgroup.procs; cat /etc/secret'; echo "READ-IN rc=\$?"
cat /etc/secret >/dev/null; echo "READ-OUT rc=\$?"
sh -c 'echo \$\$ > /sys/fs/cgroup/web/cgroup.procs; nc 127.0.0.1 9 </dev/null'; echo "NC-IN rc=\$?"
sh /.vmt/paths.sh
sh -c 'echo \$\$ > /sys/fs/cgroup/web/cgroup.procs; unshare -p -f cat /etc/secret'; echo "PIDNS rc=\$?"
\$L run --target $TGT -- cat /etc/secret; echo "RUN rc=\$?"
\$L run --target $TGT -- sh -c 'echo \$\$ > /sys/fs/cgroup/cgroup.procs && cat /etc/secret'; echo "RUN-ESCAPE rc=\$?"
\$L run --target $TGT -- rm -rf /sys/fs/bpf/karmor; echo "RUN-UNPIN rc=\$?"
ls /sys/fs/bpf/karmor >/dev/null && echo "PINS-KEPT"
\$L status --json; echo "STATUS rc=\$?"
\$L events --json --drain; echo "EVENTS rc=\$?"
\$L detach; echo "DETACH rc=\$?"
ls /sys/fs/bpf; echo "PINS-END"
cat /etc/secret >/dev/null; sh -c 'echo \$\$ > /sys/fs/cgroup/web/cgroup.procs; cat /etc/secret >/dev/null'; echo "READ-AFTER rc=\$?"
\$L apply /.vmt/p.kb --key /.vmt/k.pub --require-signature --bind $TGT=/sys/fs/cgroup/web; echo "KB-APPLY rc=\$?"
sh -c 'echo \$\$ > /sys/fs/cgroup/web/cgroup.procs; cat /etc/secret >/dev/null'; echo "KB-READ rc=\$?"
\$L detach; echo "KB-DETACH rc=\$?"
mkdir /sys/fs/cgroup/names
echo s > /etc/nsecret; echo s > /tmp/nsecret; echo b > /tmp/bsrc; echo m > /etc/bindme; mount --bind /tmp/bsrc /etc/bindme
\$L apply /.vmt/names --bind $NTGT=/sys/fs/cgroup/names; echo "N-APPLY rc=\$?"
names() { sh -c 'echo \$\$ > /sys/fs/cgroup/names/cgroup.procs; cat "\$1"' n "\$1" >/dev/null 2>&1; echo "\$2 rc=\$?"; }
names /etc/nsecret N-NAMED
names /etc/hosts N-OTHER
names /tmp/nsecret N-SAME-NAME
names /etc/bindme N-BIND
names /tmp/bsrc N-BIND-SOURCE
\$L detach; echo "N-DETACH rc=\$?"
mkdir /sys/fs/cgroup/big
B0=\$(cut -d' ' -f1 /proc/uptime)
\$L apply /.vmt/big --bind $BIGTGT=/sys/fs/cgroup/big >/dev/null; echo "BIG-APPLY rc=\$? \$B0 \$(cut -d' ' -f1 /proc/uptime)"
echo BIG-STATUS-BEGIN; \$L status; echo "BIG-STATUS-END rc=\$?"
\$L status --json; echo "BIG-JSON rc=\$?"
\$L detach; echo "BIG-DETACH rc=\$?"
sync
printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
INIT
chmod 755 "$R/init"
vm_initrd "$R" "$T/initrd.gz"
vm_boot 480 1024 "$T/initrd.gz" "$T/console" "$T/results" "$T/qemu" lsm=lockdown,capability,landlock,yama,apparmor,bpf
qrc=$?
out=$(tr -d '\r' <"$T/results" 2>/dev/null)
[ -n "${VERBOSE:-}" ] && echo "$out"
[ "$qrc" -eq 1 ] && ok "the guest ran to the end" || bad "guest" "qemu exit $qrc: $(tail -5 "$T/console")"
grep -q '^LSM .*bpf' <<<"$out" && ok "BPF-LSM active in the guest" || bad "BPF-LSM active" "$(grep '^LSM' <<<"$out")"
grep -q '^APPLY rc=0' <<<"$out" && ok "apply (BPF-LSM programs)" || bad "apply" "$(grep -B5 '^APPLY' <<<"$out")"
grep -q 'p.kb: verified (signature good); backends bpf' <<<"$out" &&
	grep -q 'apply: backend bpf (BPF-LSM is active)' <<<"$out" && grep -q '^KB-APPLY rc=0' <<<"$out" &&
	grep -q '^KB-READ rc=1' <<<"$out" && grep -q '^KB-DETACH rc=0' <<<"$out" &&
	ok "a signed bundle: verified, applied with BPF-LSM, enforcing, detached" ||
	bad "bundle in the VM" "$(grep -B3 -A1 '^KB-' <<<"$out")"
grep -q 'Permission denied' <<<"$(grep -B2 '^READ-IN' <<<"$out")" && grep -q '^READ-IN rc=1' <<<"$out" &&
	ok "a read of /etc/secret in the bound cgroup is refused" || bad "blocked read" "$(grep -B2 '^READ-IN' <<<"$out")"
grep -q '^READ-OUT rc=0' <<<"$out" && ok "the same read outside is allowed" || bad "read outside" "$(grep '^READ-OUT' <<<"$out")"
grep -B1 '^NC-IN' <<<"$out" | grep -q 'Permission denied' && ok "a TCP socket in the bound cgroup is refused" ||
	bad "socket" "$(grep -B2 '^NC-IN' <<<"$out")"
grep -B1 '^RUN rc=1' <<<"$out" | grep -q 'Permission denied' && ok "run: cat refused, its status passed on" ||
	bad "run" "$(grep -B3 '^RUN' <<<"$out")"
st=$(grep -B1 '^STATUS rc=0' <<<"$out" | head -n 1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); t=d["targets"][0]; assert d["mode"]=="lsm" and t["counters"]["blocked"]>=3 and t["entries"]["paths"]["used"]>=1, d' "$st" 2>/dev/null &&
	ok "status --json: lsm mode, blocked >= 3, path entries" || bad "status" "$st"
ev=$(sed -n '/^STATUS rc=/,/^EVENTS rc=/p' <<<"$out" | grep '^{')
python3 - "$ev" <<'PY' 2>"$T/py.err" && ok "events: file (exec'd cat, run, a new pid namespace), hard link, every path hook and network Block events, attributed, PID in the task's namespace" || bad "events" "$ev $(tail -n 1 "$T/py.err")"
import json, sys
evs = [json.loads(l) for l in sys.argv[1].splitlines()]
files = [e for e in evs if e["Operation"] == "File" and e["Resource"] == "/etc/secret" and e["KarmorOp"] != "link"]
links = [e for e in evs if e["KarmorOp"] == "link" and e["Action"] == "Block"]
assert {e["Resource"] for e in links} >= {"/srv/ro/f", "/etc/secret"}, links
# every refusal of the path hooks came from the hook (not a missing applet or
# plain Unix permissions): a Block event of that operation on that path
blocks = {(e["KarmorOp"], e["Resource"]) for e in evs if e["Action"] == "Block"}
want = {("unlink", "/srv/ro/f"), ("rename", "/srv/ro/f"), ("rename", "/srv/ro/y"), ("symlink", "/srv/ro/sl"),
        ("mkdir", "/srv/ro/d"), ("rmdir", "/srv/ro/sub"), ("chmod", "/srv/ro/f"), ("chown", "/srv/ro/f"),
        ("truncate", "/srv/ro/f"), ("mknod", "/srv/ro/new"), ("open", "/srv/ro/f"), ("open", "/srv/own/f"),
        ("rename", "/srv/own/f")}
assert want <= blocks, sorted(want - blocks)
nets = [e for e in evs if e["Operation"] == "Network"]
assert len(files) >= 2, files
for e in files + nets:
    assert e["Action"] == "Block" and e["PolicyName"] == "ksp-web" and e["Severity"] == "7", e
    assert e["Enforcer"] == "BPFLSM" and e["Message"] == "web is confined", e
assert all(e["Result"] == "Permission denied" for e in files), files
assert all(e["KarmorOp"] in ("open", "permission") for e in files), files
# PID/PPID in the task's own pid namespace: cat as pid 1 of a new one (its parent
# outside it: PPID 0); in the initial namespace they equal HostPID/HostPPID
# (KubeArmor's encoder omits a zero or empty field, so a missing one is 0)
pidns = [e for e in files if e.get("PID", 0) == 1]
assert len(pidns) == 1 and pidns[0].get("PPID", 0) == 0 and pidns[0]["HostPID"] > 1, pidns
assert all(e.get("PID", 0) == e["HostPID"] and e.get("PPID", 0) == e.get("HostPPID", 0) for e in files if e not in pidns), files
assert nets and nets[0]["KarmorArg"] == "tcp" and nets[0]["Result"] == "Permission denied", nets
assert any(e["ProcessName"].endswith("busybox") or e["ProcessName"] == "cat" for e in files), files
PY
# the path hooks
rc_is() { grep -q "^$1 rc=$2\$" <<<"$out"; }
refused() { grep -q "^$1 rc=" <<<"$out" && ! rc_is "$1" 0; }
rc_is READ-RO 0 && ok "readOnly tree: a read passes" || bad "readOnly read" "$(grep '^READ-RO' <<<"$out")"
for c in UNLINK-RO RENAME-FROM-RO RENAME-INTO-RO LINK-FROM-RO LINK-FROM-BLOCKED SYMLINK-INTO-RO MKDIR-RO RMDIR-RO \
	CHMOD-RO CHOWN-RO TRUNCATE-RO TRUNCATE-PATH-RO CREATE-RO APPEND-RO; do
	refused $c && ok "refused in the bound cgroup: $c" || bad "$c" "$(grep "^$c" <<<"$out")"
done
rc_is LINK-OUTSIDE 0 && ok "the same hard link outside the cgroup is made" || bad "link outside" "$(grep '^LINK-OUTSIDE' <<<"$out")"
grep -q '^RO-CONTENT data f sub $' <<<"$out" && ok "the readOnly tree is unchanged" || bad "readOnly tree" "$(grep '^RO-CONTENT' <<<"$out")"
refused OWNERONLY-OTHER-READ && rc_is OWNERONLY-OWNER-READ 0 && ok "ownerOnly: the owner reads, another user does not" ||
	bad "ownerOnly read" "$(grep '^OWNERONLY' <<<"$out")"
refused RENAME-OVER-OWNERONLY && rc_is RENAME-OVER-OTHER 0 && grep -q '^OWN-CONTENT root$' <<<"$out" &&
	ok "ownerOnly: another user cannot rename a file of its own over it (but can over a file no rule names)" || bad "rename over ownerOnly" "$(grep -E '^(RENAME-OVER|OWN-CONTENT)' <<<"$out")"
refused DEEP20-SECRET && refused DEEP1000-SECRET && rc_is DEEP1000-OTHER 0 &&
	ok "tasks 20 and 1,000 cgroups below the bound one are still its target's" || bad "nested cgroups" "$(grep '^DEEP' <<<"$out")"
refused DEEP1030-OTHER && ok "a task deeper than the walk reaches is refused" || bad "too deep" "$(grep '^DEEP1030' <<<"$out")"
refused RUN-ESCAPE && refused RUN-UNPIN && grep -q '^PINS-KEPT' <<<"$out" &&
	ok "a child of run can neither leave its cgroup nor remove the pins" || bad "run child" "$(grep -E '^(RUN-|PINS-KEPT)' <<<"$out")"
grep -q '^DETACH rc=0' <<<"$out" && ! sed -n '/^DETACH rc=/,/^PINS-END/p' <<<"$out" | grep -q karmor &&
	ok "detach leaves no pins" || bad "detach" "$(sed -n '/^EVENTS rc=/,/^PINS-END/p' <<<"$out")"
grep -q '^READ-AFTER rc=0' <<<"$out" && ok "after detach nothing is enforced" || bad "after detach" "$(grep '^READ-AFTER' <<<"$out")"
# the name filter: a file named by no rule passes on its name, one whose name a rule ends
# with is judged by its path, and a file bind-mounted over a blocked path by that path
rc_is N-APPLY 0 && rc_is N-NAMED 1 && rc_is N-OTHER 0 && rc_is N-SAME-NAME 0 && rc_is N-BIND 1 &&
	rc_is N-BIND-SOURCE 0 && rc_is N-DETACH 0 &&
	ok "literal paths only (the name filter): blocked file refused, other names and the same name elsewhere read, a file bind-mounted over a blocked path refused" ||
	bad "name filter" "$(grep '^N-' <<<"$out")"
# the bench corpus: applied, every sized map as large as the images need, all of it filled
sed -n '/^BIG-STATUS-BEGIN/,/^BIG-STATUS-END/p' <<<"$out" | sed '1d;$d' >"$VMDIR/maps-status.txt"
big=$(grep -A1 '^BIG-STATUS-END rc=0' <<<"$out" | tail -n 1)
if grep -q '^BIG-APPLY rc=0 ' <<<"$out" &&
	"$ROOT/tests/loader/maps-full.py" "$big" "$BIGTOTAL" --mode lsm 2>"$T/big.err"; then
	read -r _ _ t0 t1 <<<"$(grep '^BIG-APPLY' <<<"$out")"
	ok "the bench corpus (10,000 policies, its inventory): applied with BPF-LSM in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, every map sized from the images and full"
	grep -E '^(map |maps: )' "$VMDIR/maps-status.txt" | sed 's/^/     /'
else
	bad "bench corpus" "$(grep -E '^BIG-(APPLY|DETACH)' <<<"$out") $(head -c 400 <<<"$big") $(tail -n 1 "$T/big.err")"
fi
grep -q '^BIG-DETACH rc=0' <<<"$out" && ok "the bench corpus detached" || bad "bench corpus detach" "$(grep '^BIG-DETACH' <<<"$out")"
finish
