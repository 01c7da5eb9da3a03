#!/usr/bin/env bash
# Host tests of karmor-loader, for real: maps filled, the cgroup/sock_create
# program attached to a fresh cgroup v2 directory and refusing TCP sockets
# there, status, events, run and detach, and every bad input refused with
# nothing left pinned or attached.
#
#   tests/loader/run.sh [BUILD_DIR]      (default build; build/san for SAN=1)
#
# Needs root, a cgroup v2 mount and a kernel that loads cgroup programs (this
# host does; BPF-LSM itself is tested in the VM by scripts/vmtest).  Uses a
# private bpf file system mounted under a temporary directory and a private
# --state-dir, so it never touches /sys/fs/bpf/karmor or /run/karmor.
# One line per test ("ok   name" or "FAIL name: why"), then "N passed, M failed".
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
	if [ ! -x "$f" ]; then
		bad setup "no executable $f (make $f)"
		finish
	fi
done
if ! command -v python3 >/dev/null; then
	bad setup "python3 is needed (JSON checks, image mutations)"
	finish
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the loader tests need root (BPF maps, cgroups)"
	finish
fi
CG2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo 2>/dev/null)
if [ -z "$CG2" ]; then
	bad setup "no cgroup v2 mount"
	finish
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T=$(mktemp -d /tmp/karmor-loader-test.XXXXXX) || exit 1
BPFFS=$T/bpffs
PIN=$BPFFS/karmor
STATE=$T/state
CG=$CG2/karmor-loader-test-$$
cleanup() {
	[ -n "${PIN:-}" ] && "$L" detach --pin-dir "$PIN" --state-dir "$STATE" >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	mountpoint -q "$BPFFS" 2>/dev/null && umount "$BPFFS"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	bad setup "cannot mount a bpf file system at $BPFFS"
	finish
}
mkdir "$CG" || {
	bad setup "cannot make cgroup $CG"
	finish
}
D=(--pin-dir "$PIN" --state-dir "$STATE")

# runs the loader: $out, $err, $rc; a hang, a crash or sanitizer report is a failure of its own
run() {
	timeout 30 "$L" "$@" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	out=$(cat "$T/stdout")
	err=$(cat "$T/stderr")
	# 124: timeout; 134, 136, 139: abort, FPE, SEGV (run passes CMD's 128+N on, so not every >= 128)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 134 ] || [ "$rc" -eq 136 ] || [ "$rc" -eq 139 ] || grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$T/stderr"; then
		bad "crash" "karmor-loader $* -> exit $rc: $(head -c 400 "$T/stderr")"
	fi
}
# nothing of ours pinned, no state, no program on the test cgroup
nothing_left() {
	local left
	left=$(ls -A "$PIN" 2>/dev/null; ls -A "$STATE" 2>/dev/null)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
	if command -v bpftool >/dev/null; then
		left=$(bpftool cgroup show "$CG" 2>/dev/null | tail -n +2)
		[ -z "$left" ] || { echo "attached to $CG: $left"; return 1; }
	fi
	return 0
}
# expect_fail NAME EXIT PATTERN ARGS...: exits EXIT, stderr matches PATTERN, nothing left
expect_fail() {
	local name=$1 want=$2 pat=$3
	shift 3
	run "$@"
	local why
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, wanted $want; stderr: $err"
	elif ! grep -qE -- "$pat" <<<"$err"; then
		bad "$name" "stderr does not match /$pat/: $err"
	elif ! why=$(nothing_left); then
		bad "$name" "$why"
	else
		ok "$name"
	fi
}
# a TCP socket from a process in cgroup $1 ("" = here): prints created or the error
tcp_socket() {
	local code='import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close(); print("created")
except OSError as e:
    print(e.strerror)'
	if [ -n "$1" ]; then
		sh -c 'echo $$ > "$1/cgroup.procs" && exec python3 -c "$2"' sh "$1" "$code"
	else
		python3 -c "$code"
	fi
}
jget() { python3 -c 'import json,sys
d = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1" "$2" 2>/dev/null; }

# ---------------------------------------------------------------- the image
POL=$T/net.yaml
cat >"$POL" <<'EOF'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: ksp-block-tcp
  namespace: default
spec:
  severity: 5
  tags: ["MITRE", "T1046"]
  message: "no tcp here"
  selector:
    matchLabels:
      app: web
  network:
    matchProtocols:
    - protocol: tcp
  action: Block
EOF
if ! "$KC" compile --target=bpf -o "$T/out" "$POL" >"$T/kc.out" 2>"$T/kc.err"; then
	bad setup "karmorc compile --target=bpf failed: $(cat "$T/kc.err")"
	finish
fi
IMG=$(ls "$T"/out/bpf/*.kmi 2>/dev/null | head -n 1)
if [ -z "$IMG" ]; then
	bad setup "karmorc wrote no map image in $T/out/bpf"
	finish
fi
TGT=$(basename "$IMG" .kmi)

# ---------------------------------------------------------------- command line
run help
if [ "$rc" -eq 0 ] && for c in apply run detach status events help version; do grep -qE "^  $c " <<<"$out" || exit 1; done; then
	ok "help lists every command"
else
	bad "help lists every command" "exit $rc: $out"
fi
for c in apply run detach status events; do
	run "$c" --help
	if [ "$rc" -eq 0 ] && grep -q "usage: karmor-loader $c" <<<"$out"; then ok "$c --help"; else bad "$c --help" "exit $rc: $out$err"; fi
done
run version
[ "$rc" -eq 0 ] && grep -qE '^karmor-loader [0-9]' <<<"$out" && ok "version" || bad "version" "exit $rc: $out"
# help, man page and completion agree (every command, every option of each command's help)
MAN=$ROOT/man/karmor-loader.8
COMP=$ROOT/scripts/completion/karmor-loader
docs_agree() {
	local c o opts
	for c in apply run detach status events help version; do
		grep -q "^\.SS $c\$" "$MAN" || { echo "$c is not a section of $MAN"; return 1; }
		grep -qE "commands=\".*\b$c\b" "$COMP" || { echo "$c is not in the commands of $COMP"; return 1; }
	done
	for c in apply run detach status events; do
		opts=$("$L" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
		for o in $opts; do
			# the page escapes every hyphen: \-\-pin\-dir
			grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$MAN" || { echo "$c $o is not in $MAN"; return 1; }
			grep -qE -- "(^|[ \"])$o( |\"|\\)|\$)" "$COMP" ||
				[ "$o" = --pin-dir ] || [ "$o" = --state-dir ] || { echo "$c $o is not in $COMP"; return 1; }
		done
	done
	grep -q -- '--pin-dir --state-dir' "$COMP" || { echo "--pin-dir/--state-dir not in $COMP"; return 1; }
	if command -v groff >/dev/null; then
		local w
		w=$(groff -t -man -Tutf8 -ww -z "$MAN" 2>&1)
		[ -z "$w" ] || { echo "groff: $w"; return 1; }
	fi
	bash -n "$COMP" || { echo "$COMP: syntax error"; return 1; }
}
if why=$(docs_agree); then ok "help, man page and completion agree"; else bad "help, man page and completion agree" "$why"; fi
# the JSON writer on hostile bytes (a unit test of runtime-loader/json.c)
san=
case $BUILD in */san) san="-fsanitize=address,undefined -fno-omit-frame-pointer" ;; esac
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $san -I"$ROOT/runtime-loader" -o "$T/json_test" \
	"$HERE/json_test.c" "$ROOT/runtime-loader/json.c" 2>"$T/cc.err"; then
	bad "JSON escaping" "cannot build tests/loader/json_test.c: $(cat "$T/cc.err")"
elif r=$("$T/json_test" 2>&1); then
	ok "JSON escaping and structure ($(tail -n 1 <<<"$r"))"
else
	bad "JSON escaping" "$r"
fi
expect_fail "unknown command: usage error" 2 "no command 'frob'" frob
expect_fail "apply without an image: usage error" 2 "no map image" apply "${D[@]}"
expect_fail "apply --bind without '=': usage error" 2 "TARGET=CGROUP_DIR" apply --bind x "${D[@]}" "$IMG"
expect_fail "events --drain --follow: usage error" 2 "exclude" events --drain --follow "${D[@]}"
expect_fail "run without --target: usage error" 2 "--target" run "${D[@]}" -- true

# ---------------------------------------------------------------- nothing applied
run status "${D[@]}"
[ "$rc" -eq 0 ] && [ "$out" = "nothing is attached" ] && ok "status, nothing applied" || bad "status, nothing applied" "exit $rc: $out$err"
run status --json "${D[@]}"
[ "$rc" -eq 0 ] && [ "$(jget "$out" attached)" = "False" ] && ok "status --json, nothing applied" || bad "status --json, nothing applied" "exit $rc: $out$err"
run detach "${D[@]}"
[ "$rc" -eq 0 ] && [ "$out" = "nothing is attached" ] && ok "detach with nothing attached" || bad "detach with nothing attached" "exit $rc: $out$err"
expect_fail "events with nothing applied" 1 "nothing is attached" events --drain "${D[@]}"
expect_fail "run with nothing applied" 1 "nothing is applied" run --target "$TGT" "${D[@]}" -- true

# ---------------------------------------------------------------- bad inputs
head -c 100 "$IMG" >"$T/truncated.kmi"
expect_fail "truncated image" 1 "truncated.kmi: .*(truncated|short|size)" apply --without-lsm "${D[@]}" "$T/truncated.kmi"
head -c -10 "$IMG" >"$T/short.kmi"
expect_fail "image missing its last bytes" 1 "short.kmi: " apply --without-lsm "${D[@]}" "$T/short.kmi"
printf 'apiVersion: v1\nkind: Pod\n' >"$T/notimage.kmi"
expect_fail "a file that is not an image" 1 "notimage.kmi: .*(magic|not a|image)" apply --without-lsm "${D[@]}" "$T/notimage.kmi"
# version 2, with a correct SHA-256, so only the version is wrong
python3 - "$IMG" "$T/v2.kmi" <<'EOF'
import hashlib, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b, 8, 2)
b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()
open(sys.argv[2], "wb").write(b)
EOF
expect_fail "wrong image version" 1 "v2.kmi: .*version" apply --without-lsm "${D[@]}" "$T/v2.kmi"
python3 - "$IMG" "$T/flipped.kmi" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x40
open(sys.argv[2], "wb").write(b)
EOF
expect_fail "corrupted image (checksum)" 1 "flipped.kmi: " apply --without-lsm "${D[@]}" "$T/flipped.kmi"
mkdir -p "$T/empty"
expect_fail "directory without images" 1 "no \\*\\.kmi" apply --without-lsm "${D[@]}" "$T/empty"
expect_fail "missing image file" 1 "nosuch.kmi: No such file" apply --without-lsm "${D[@]}" "$T/nosuch.kmi"
expect_fail "one target twice" 1 "also in" apply --without-lsm "${D[@]}" "$IMG" "$T/out"
expect_fail "--bind to an unknown target" 1 "no target nosuch in the images" \
	apply --without-lsm "${D[@]}" --bind "nosuch=$CG" "$IMG"
expect_fail "--bind to a missing cgroup directory" 1 "$CG/missing: No such file or directory" \
	apply --without-lsm "${D[@]}" --bind "$TGT=$CG/missing" "$IMG"
expect_fail "--bind to a directory that is not a cgroup" 1 "$T: is not a cgroup v2 directory|is not a cgroup v2 directory" \
	apply --without-lsm "${D[@]}" --bind "$TGT=$T" "$IMG"
expect_fail "--host names an unknown target" 1 "--host nosuch: no such target" \
	apply --without-lsm "${D[@]}" --host nosuch "$IMG"
mkdir -p "$T/notbpf"
expect_fail "pin directory not on a bpf file system" 1 "not a bpf file system" \
	apply --without-lsm --pin-dir "$T/notbpf/karmor" --state-dir "$STATE" "$IMG"
if grep -qw bpf /sys/kernel/security/lsm 2>/dev/null; then
	echo "skip apply without --without-lsm: this kernel has BPF-LSM enabled"
else
	expect_fail "apply without --without-lsm on a kernel without BPF-LSM names what is missing" 1 \
		"(BPF-LSM is not enabled: .*lsm=.*bpf|cannot tell whether BPF-LSM is enabled: /sys/kernel/security/lsm).*--without-lsm" \
		apply "${D[@]}" --bind "$TGT=$CG" "$IMG"
fi
# a failure after load, attach and pin (the state directory cannot be made): all undone
expect_fail "late failure undoes the pins and the attachment" 1 "nothing was applied" \
	apply --without-lsm --pin-dir "$PIN" --state-dir "$T/no/such/dir" --bind "$TGT=$CG" "$IMG"
if [ "$(tcp_socket "$CG")" = "created" ]; then ok "after the failed apply the cgroup is not enforced"; else bad "after the failed apply the cgroup is not enforced" "socket refused"; fi

# ---------------------------------------------------------------- apply, enforce, observe
run apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/out"
if [ "$rc" -eq 0 ] && [ -e "$PIN/karmor_events" ] && [ -e "$STATE/state" ] && grep -q "only the cgroup/sock_create" <<<"$err"; then
	ok "apply --without-lsm (directory of images), bound to a fresh cgroup"
else
	bad "apply --without-lsm" "exit $rc: $out $err"
fi
compgen -G "$PIN/link-karmor_sock_create-*" >/dev/null && ok "the cgroup link is pinned" || bad "the cgroup link is pinned" "$(ls "$PIN")"
run apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$IMG"
if [ "$rc" -eq 1 ] && grep -q "already applied" <<<"$err" && [ -e "$PIN/karmor_events" ]; then
	ok "a second apply is refused and changes nothing"
else
	bad "a second apply is refused" "exit $rc: $err"
fi

r=$(tcp_socket "$CG")
[ "$r" = "Operation not permitted" ] && ok "TCP socket refused inside the bound cgroup" || bad "TCP socket refused inside the bound cgroup" "got: $r"
r=$(tcp_socket "")
[ "$r" = "created" ] && ok "TCP socket allowed outside it" || bad "TCP socket allowed outside it" "got: $r"

run status "${D[@]}"
if [ "$rc" -eq 0 ] && grep -q "target $TGT: slot 0" <<<"$out" && grep -q "cgroup $CG (id" <<<"$out" &&
	grep -q "network entries: 1 of 4,096" <<<"$out" && grep -qE "blocked [1-9]" <<<"$out"; then
	ok "status: target, cgroup, entries, blocked count"
else
	bad "status" "exit $rc: $out $err"
fi
run status --json "${D[@]}"
if [ "$rc" -eq 0 ] && [ "$(jget "$out" targets.0.name)" = "$TGT" ] &&
	[ "$(jget "$out" targets.0.entries.network.used)" = 1 ] &&
	[ "$(jget "$out" targets.0.entries.network.capacity)" = 4096 ] &&
	[ "$(jget "$out" targets.0.counters.blocked)" -ge 1 ] 2>/dev/null &&
	[ "$(jget "$out" targets.0.cgroups.0.path)" = "$CG" ]; then
	ok "status --json"
else
	bad "status --json" "exit $rc: $out $err"
fi

now=$(date +%s)
run events --json --drain "${D[@]}"
line=$(head -n 1 <<<"$out")
n=$(grep -c . <<<"$out")
check_event() {
	local k v want
	for kv in "PolicyName=ksp-block-tcp" "Action=Block" "Result=Operation not permitted" "Operation=Network" \
		"Resource=protocol=TCP,type=SOCK_STREAM" "KarmorOp=socket" "KarmorArg=tcp" "Enforcer=BPFLSM" \
		"Type=MatchedPolicy" "Severity=5" "Tags=MITRE,T1046" "Message=no tcp here" "Target=$TGT" "RuleId=1" \
		"ProcessName=python3" "Data=lsm=SOCKET_CREATE protocol=TCP,type=SOCK_STREAM"; do
		k=${kv%%=*}
		want=${kv#*=}
		v=$(jget "$line" "$k")
		[ "$v" = "$want" ] || { echo "$k is '$v', wanted '$want'"; return 1; }
	done
	v=$(jget "$line" Timestamp)
	[ -n "$v" ] && [ $((v - now)) -le 5 ] && [ $((now - v)) -le 120 ] || { echo "Timestamp $v, now $now"; return 1; }
	v=$(jget "$line" UpdatedTime)
	[[ $v =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$ ]] || { echo "UpdatedTime $v"; return 1; }
	for k in HostName HostPID HostPPID PID PPID UID ParentProcessName Source; do
		python3 -c 'import json,sys; sys.exit(0 if sys.argv[2] in json.loads(sys.argv[1]) else 1)' "$line" "$k" ||
			{ echo "no key $k"; return 1; }
	done
}
if [ "$rc" -ne 0 ] || [ "$n" -ne 1 ]; then
	bad "events --json --drain" "exit $rc, $n lines: $out $err"
elif why=$(check_event); then
	ok "events --json --drain: the Block event, KubeArmor's fields"
else
	bad "events --json --drain" "$why: $line"
fi
run events --json --drain "${D[@]}"
[ "$rc" -eq 0 ] && [ -z "$out" ] && ok "a second drain is empty" || bad "a second drain is empty" "exit $rc: $out $err"
tcp_socket "$CG" >/dev/null
run events --drain "${D[@]}"
if [ "$rc" -eq 0 ] && grep -qE "Z Block socket tcp target=$TGT rule=1 policy=ksp-block-tcp .*: Operation not permitted$" <<<"$out" &&
	[ "$(grep -c . <<<"$out")" -eq 1 ]; then
	ok "events --drain, text"
else
	bad "events --drain, text" "exit $rc: $out $err"
fi
# --follow prints as events come and stops cleanly on SIGTERM
timeout 30 "$L" events --json --follow "${D[@]}" >"$T/follow" 2>"$T/follow.err" &
fpid=$!
sleep 0.5
tcp_socket "$CG" >/dev/null
sleep 0.7
kill -TERM $fpid
wait $fpid
frc=$?
if [ "$frc" -eq 0 ] && [ "$(grep -c '"Action":"Block"' "$T/follow")" -eq 1 ]; then
	ok "events --follow, stopped by SIGTERM"
else
	bad "events --follow" "exit $frc: $(cat "$T/follow" "$T/follow.err")"
fi

# ---------------------------------------------------------------- run
PY='import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
except OSError as e:
    print(e.strerror); raise SystemExit(3)
print("created")'
run run --target "$TGT" "${D[@]}" -- python3 -c "$PY"
[ "$rc" -eq 3 ] && [ "$out" = "Operation not permitted" ] && ok "run: CMD's socket is refused, its exit status passed on" || bad "run: CMD's socket is refused" "exit $rc: $out $err"
run run --target "$TGT" "${D[@]}" -- sh -c 'grep "^0::" /proc/self/cgroup; exit 7'
[ "$rc" -eq 7 ] && grep -q "^0::/karmor/run-" <<<"$out" && ok "run: CMD runs in its own cgroup" || bad "run: CMD runs in its own cgroup" "exit $rc: $out $err"
run run --target "$TGT" "${D[@]}" -- sh -c 'kill -TERM $$'
[ "$rc" -eq 143 ] && ok "run: killed by a signal -> 128+N" || bad "run: killed by a signal" "exit $rc: $err"
run run --target "$TGT" "${D[@]}" -- /nonexistent/cmd
[ "$rc" -eq 127 ] && grep -q "/nonexistent/cmd: No such file" <<<"$err" && ok "run: missing CMD -> 127" || bad "run: missing CMD" "exit $rc: $err"
expect_run_unknown() {
	run run --target nosuch "${D[@]}" -- true
	[ "$rc" -eq 1 ] && grep -q "no target nosuch" <<<"$err"
}
expect_run_unknown && ok "run: unknown target" || bad "run: unknown target" "exit $rc: $err"
run status --json "${D[@]}"
left=$(ls -d "$CG2"/karmor/run-* 2>/dev/null)
if [ "$(jget "$out" targets.0.cgroups.1.id 2>/dev/null)" = "" ] && [ -z "$left" ] && ! compgen -G "$STATE/run-*" >/dev/null; then
	ok "run: its cgroup and binding are gone afterwards"
else
	bad "run: cleanup" "left: $left; $out"
fi
run events --json --drain "${D[@]}"
[ "$(grep -c '"PolicyName":"ksp-block-tcp"' <<<"$out")" -eq 1 ] && ok "run: the refusal is an event" || bad "run: the refusal is an event" "$out"

# ---------------------------------------------------------------- two targets, a host target
cat >"$T/host.yaml" <<'EOF2'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: hsp-audit-shadow
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: "*"
  file:
    matchPaths:
    - path: /etc/shadow
  action: Audit
EOF2
if "$KC" compile --target=bpf -o "$T/two" "$POL" "$T/host.yaml" >"$T/kc2.out" 2>"$T/kc2.err" &&
	[ "$(ls "$T"/two/bpf/*.kmi | wc -l)" -eq 2 ]; then
	HT=
	for k in "$T"/two/bpf/*.kmi; do
		[ "$(basename "$k" .kmi)" = "$TGT" ] || HT=$(basename "$k" .kmi)
	done
	run detach "${D[@]}"
	run apply --without-lsm "${D[@]}" --bind "$TGT=$CG" --host "$HT" "$T/two"
	first=$(printf '%s\n%s\n' "$TGT" "$HT" | LC_ALL=C sort | head -n 1)
	if [ "$rc" -eq 0 ] && grep -q "$HT: NOT enforced: it is the host target" <<<"$err"; then
		ok "apply --host: the host target is applied, and said to be unenforced without LSM"
	else
		bad "apply --host" "exit $rc: $out $err"
	fi
	run status --json "${D[@]}"
	if [ "$(jget "$out" targets.0.name)" = "$first" ] && [ "$(jget "$out" targets.1.slot)" = 1 ] &&
		{ [ "$(jget "$out" targets.0.host)" = True ] || [ "$(jget "$out" targets.1.host)" = True ]; } &&
		[ "$(jget "$out" targets.0.host)" != "$(jget "$out" targets.1.host)" ]; then
		ok "status: two targets, slots in name order, one host target"
	else
		bad "status with two targets" "$out $err"
	fi
	r=$(tcp_socket "$CG")
	[ "$r" = "Operation not permitted" ] && ok "the bound target still refuses TCP" || bad "two targets: TCP in the cgroup" "got: $r"
else
	bad "two targets" "karmorc: $(cat "$T/kc2.err")"
fi

# ---------------------------------------------------------------- detach
run detach "${D[@]}"
if [ "$rc" -eq 0 ] && why=$(nothing_left) && [ ! -e "$PIN" ] && [ ! -e "$STATE" ]; then
	ok "detach removes every pin, the attachment and the state"
else
	bad "detach" "exit $rc: $out $err ${why:-}"
fi
r=$(tcp_socket "$CG")
[ "$r" = "created" ] && ok "after detach the cgroup is not enforced" || bad "after detach the cgroup is not enforced" "got: $r"
run detach "${D[@]}"
[ "$rc" -eq 0 ] && [ "$out" = "nothing is attached" ] && ok "detach is idempotent" || bad "detach is idempotent" "exit $rc: $out $err"

finish
