#!/usr/bin/env bash
# Syscall rules on this host, for real (bpf/karmor.h "syscall rules"): the raw tracepoints
# on sys_enter/sys_exit load and attach where BPF-LSM does not (`apply --without-lsm`
# loads them when an image has syscall rules), and the events of processes in a bound
# cgroup are KubeArmor's Syscall alerts: Operation Syscall, Action Audit, Data
# syscall=SYS_NAME with the arguments, Resource the absolute path (relative ones resolved
# against the working directory or the directory descriptor, "." and ".." removed),
# Result what the syscall returned; nothing for a process outside the cgroup, a syscall
# no rule names, or a path outside the rules.
#
#   tests/loader/syscalls.sh [BUILD_DIR]      (default build; build/san for SAN=1)
#
# Needs root and a cgroup v2 mount; a private bpf file system and --state-dir, as
# tests/loader/run.sh.  One line per check, then "N passed, M failed".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
L=$BUILD/karmor-loader
KC=$BUILD/karmorc
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

for f in "$L" "$KC"; do
	[ -x "$f" ] || { bad setup "no executable $f"; finish; }
done
command -v python3 >/dev/null || { bad setup "python3 is needed (JSON checks)"; finish; }
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the syscall tracepoint test needs root (BPF maps, cgroups)"
	finish
fi
CG2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo 2>/dev/null)
[ -n "$CG2" ] || { bad setup "no cgroup v2 mount"; finish; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T=$(mktemp -d /tmp/karmor-sys-test.XXXXXX) || exit 1
BPFFS=$T/bpffs
PIN=$BPFFS/karmor
STATE=$T/state
CG=$CG2/karmor-sys-test-$$
W=$T/w
cleanup() {
	[ -n "${PIN:-}" ] && "$L" detach --pin-dir "$PIN" --state-dir "$STATE" >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	mountpoint -q "$BPFFS" 2>/dev/null && umount "$BPFFS"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || { bad setup "cannot mount a bpf file system at $BPFFS"; finish; }
mkdir "$CG" || { bad setup "cannot make cgroup $CG"; finish; }
D=(--pin-dir "$PIN" --state-dir "$STATE")

# the rules: a path is made of the test's own temporary directory
cat >"$T/sys.yaml" <<EOF
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: sys-watch
  namespace: default
spec:
  severity: 4
  message: "layout change"
  selector:
    matchLabels:
      app: web
  syscalls:
    matchSyscalls:
    - syscall:
      - setgid
    matchPaths:
    - path: $W/
      recursive: true
      syscall:
      - unlink
      - unlinkat
      - rmdir
      - mkdir
    - path: $W/f
      syscall:
      - chmod
      - truncate
  action: Audit
EOF
cat >"$T/inventory.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: nginx, image: "nginx:1.25"}]
EOF
if ! "$KC" compile --target=bpf --workloads "$T/inventory.yaml" -o "$T/out" "$T/sys.yaml" >"$T/kc.out" 2>"$T/kc.err"; then
	bad setup "karmorc compile --target=bpf failed: $(cat "$T/kc.err")"
	finish
fi
IMG=$(ls "$T"/out/bpf/*.kmi 2>/dev/null | head -n 1)
TGT=$(basename "$IMG" .kmi)
if grep -q "syscall entries" "$T/kc.out"; then ok "compile counts the syscall entries"; else bad "compile counts the syscall entries" "$(cat "$T/kc.out")"; fi

if ! timeout 120 "$L" apply --without-lsm "${D[@]}" "$T/out/bpf" --bind "$TGT=$CG" >"$T/apply.out" 2>"$T/apply.err"; then
	bad apply "$(grep -v '^[0-9]*: (' "$T/apply.err" | tail -5)"
	finish
fi
ok "apply --without-lsm loads and attaches the syscall tracepoints"
if "$L" status "${D[@]}" >"$T/status" 2>&1 && grep -qE '^map karmor_sys \(syscall map\): ([0-9]+) of \1 entries' "$T/status"; then
	ok "status: the syscall map is sized from the image and full"
else
	bad "status: the syscall map" "$(grep -i sys "$T/status")"
fi

# the workload: in the bound cgroup, from inside $W (relative paths), then outside
mkdir -p "$W/sub" "$W/d"
: >"$W/a"
: >"$W/sub/b"
: >"$W/f"
: >"$T/outside"
python3 - "$CG" "$W" "$T" <<'EOF'
import os, sys
cg, w, t = sys.argv[1:4]
with open(os.path.join(cg, "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
os.chdir(w)
os.unlink("a")                                     # unlink relative to the cwd
d = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
os.unlink("b", dir_fd=d)                           # unlinkat relative to a descriptor
os.close(d)
os.rmdir("./sub/../sub")                           # rmdir, "." and ".." removed
os.mkdir(w + "//new/")                             # mkdir, "//" and the trailing '/'
os.chmod("f", 0o600)                               # chmod
os.truncate(w + "/f", 0)                           # truncate
os.setgid(0)                                       # matchSyscalls, no path
try:
    os.rmdir("no-such-dir")                        # the result: ENOENT
except FileNotFoundError:
    pass
os.unlink(t + "/outside")                          # outside the rules: no event
os.mkdir(t + "/elsewhere")
os.setuid(0)                                       # a syscall no rule names: no event
EOF
# a process outside the cgroup: nothing
: >"$W/mine"
rm -f "$W/mine"
sleep 0.2
"$L" events --json --drain "${D[@]}" >"$T/events" 2>"$T/events.err" || bad events "$(cat "$T/events.err")"
python3 - "$T/events" "$W" "$TGT" >"$T/check" 2>&1 <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
w, tgt = sys.argv[2], sys.argv[3]
want = [
    ("unlink", w + "/a", "syscall=SYS_UNLINK", "Passed"),
    ("unlinkat", w + "/sub/b", "syscall=SYS_UNLINKAT flags=", "Passed"),
    ("rmdir", w + "/sub", "syscall=SYS_RMDIR", "Passed"),
    ("mkdir", w + "/new", "syscall=SYS_MKDIR", "Passed"),
    ("chmod", w + "/f", "syscall=SYS_CHMOD", "Passed"),
    ("truncate", w + "/f", "syscall=SYS_TRUNCATE", "Passed"),
    ("setgid", None, "syscall=SYS_SETGID userid=0", "Passed"),
    ("rmdir", w + "/no-such-dir", "syscall=SYS_RMDIR", "No such file or directory"),
]
got = [(e.get("KarmorArg"), e.get("Resource"), e.get("Data"), e.get("Result")) for e in lines]
bad = 0
if got != want:
    print("FAIL the events: got %r, wanted %r" % (got, want))
    bad = 1
for e in lines:
    for k, v in (("Operation", "Syscall"), ("Action", "Audit"), ("Type", "MatchedPolicy"),
                 ("PolicyName", "sys-watch"), ("Severity", "4"), ("Message", "layout change"),
                 ("Enforcer", "eBPF Monitor"), ("KarmorOp", "syscall"), ("KarmorTarget", tgt),
                 ("NamespaceName", "default"), ("ContainerName", "nginx")):
        if e.get(k) != v:
            print("FAIL %s is %r, not %r in %s" % (k, e.get(k), v, json.dumps(e)))
            bad = 1
    if "Syscall" not in e.get("EventData", {}):
        print("FAIL no EventData.Syscall in %s" % json.dumps(e))
        bad = 1
print("ok" if not bad else "")
EOF
if [ "$(tail -n 1 "$T/check")" = ok ]; then
	ok "events: KubeArmor's Syscall alerts, absolute paths, results, nothing else"
else
	bad "events" "$(cat "$T/check")"
fi
if "$L" status "${D[@]}" 2>&1 | grep -qE 'audited 8, blocked 0'; then
	ok "status counts the audits"
else
	bad "status counts the audits" "$("$L" status "${D[@]}" 2>&1 | grep -E 'audited')"
fi
"$L" detach "${D[@]}" >/dev/null 2>&1 && [ -z "$(ls -A "$PIN" 2>/dev/null)" ] && ok "detach removes every pin" ||
	bad detach "left: $(ls -A "$PIN" 2>/dev/null)"
finish
