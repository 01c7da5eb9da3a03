#!/usr/bin/env bash
# karmor-loader run with Landlock (issue 13), on this host's kernel, as an unprivileged
# user: a deny-list ("everything except") and an allow-list, from compile's output and
# from a bundle; and what run refuses (a broken description, a tampered bundle, a wrong
# target, a command the ruleset may not execute).  Ends with "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
KC=$build/karmorc
KL=$build/karmor-loader
pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

if ! "$KL" probe | grep -q '^landlock: ABI'; then
	echo "FAIL this kernel has no Landlock: nothing here can be tested"
	echo "0 passed, 1 failed"
	exit 1
fi
abi=$("$KL" probe | sed -n 's/^landlock: ABI //p')
# the unprivileged user: nobody (65534), no groups
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

W=$(mktemp -d /tmp/karmorc-landlock.XXXXXX)
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/data/pub" "$W/out"
echo secret >"$W/data/secret"
echo sibling >"$W/data/sibling"
echo public >"$W/data/pub/a"
chmod -R a+rX "$W/data"
chmod a+w "$W/data/sibling"

# 1. a deny-list: reading one file is blocked, everything else stays as it was
cat >"$W/block.yaml" <<YAML
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: block-secret
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: "*"
  file:
    matchPaths:
    - path: $W/data/secret
  action: Block
YAML
"$KC" compile --target=landlock -o "$W/out/block" "$W/block.yaml" 2>"$W/block.err"
check "compile --target=landlock writes one ruleset" "[ \$(ls '$W/out/block/landlock' | wc -l) -eq 1 ]"
check "the snapshot of 'everything except' is reported (KC0416)" "grep -q KC0416 '$W/block.err'"
T=$(ls "$W/out/block/landlock" | sed 's/\.ruleset$//')
check "the ruleset denies read and write of the blocked file" \
	"grep -qx 'deny	file	read,write	$W/data/secret' '$W/out/block/landlock/$T.ruleset'"
as_user "$KL" run --target "$T" --bundle "$W/out/block" -- sh -c "
	cat '$W/data/sibling' >/dev/null && echo sibling-read
	cat '$W/data/secret' >/dev/null 2>&1 || echo secret-refused
	ls '$W/data' >/dev/null && echo dir-listed
	echo more >>'$W/data/sibling' && echo sibling-written
	id -u" >"$W/run1.out" 2>"$W/run1.err"
rc=$?
check "run as an unprivileged user exits with the command's status" "[ $rc -eq 0 ]"
check "the command ran as uid 65534" "grep -qx 65534 '$W/run1.out'"
check "confined: the blocked file cannot be read" "grep -qx secret-refused '$W/run1.out'"
check "confined: its sibling can be read" "grep -qx sibling-read '$W/run1.out'"
check "confined: its directory can be listed" "grep -qx dir-listed '$W/run1.out'"
check "confined: its sibling can be written" "grep -qx sibling-written '$W/run1.out'"
check "unconfined afterwards: the file reads again" "as_user cat '$W/data/secret' >/dev/null"
as_user "$KL" run --target "$T" --bundle "$W/out/block" -- sh -c "sh -c 'cat $W/data/secret'" >/dev/null 2>"$W/child.err"
rc=$?
check "a child of the command is confined too (cat: Permission denied, not run failing)" \
	"[ $rc -ne 0 ] && [ $rc -ne 125 ] && grep -q 'secret: Permission denied' '$W/child.err'"

# 2. the same from a bundle file; a flipped byte is refused before anything runs
"$KC" bundle -o "$W/b.kb" --target=landlock "$W/block.yaml" 2>/dev/null
as_user "$KL" run --target "$T" --bundle "$W/b.kb" -- cat "$W/data/secret" >/dev/null 2>"$W/kb.err"
rc=$?
check "from a bundle: the blocked file cannot be read (Permission denied)" \
	"[ $rc -eq 1 ] && grep -q 'secret: Permission denied' '$W/kb.err'"
check "from a bundle: the sibling can be read" \
	"as_user '$KL' run --target '$T' --bundle '$W/b.kb' -- cat '$W/data/sibling' >/dev/null"
cp "$W/b.kb" "$W/bad.kb"
printf 'X' | dd of="$W/bad.kb" bs=1 seek=200 conv=notrunc 2>/dev/null
as_user "$KL" run --target "$T" --bundle "$W/bad.kb" -- true 2>"$W/bad.err"
rc=$?
check "a tampered bundle is refused (exit 125, CMD not run)" "[ $rc -eq 125 ] && grep -q 'karmor-loader: run:' '$W/bad.err'"
as_user "$KL" run --target nosuch --bundle "$W/b.kb" -- true 2>"$W/nosuch.err"
rc=$?
check "an unknown target is refused with the reason" "[ $rc -eq 125 ] && grep -q 'no landlock/nosuch.ruleset' '$W/nosuch.err'"

# a signed bundle: --key checks FILE.minisig before anything runs
minisign -G -W -p "$W/k.pub" -s "$W/k.key" >/dev/null 2>&1
"$KC" bundle --sign "$W/k.key" -o "$W/s.kb" --target=landlock "$W/block.yaml" 2>/dev/null
check "a signed bundle with its key: run confines" \
	"as_user '$KL' run --key '$W/k.pub' --target '$T' --bundle '$W/s.kb' -- cat '$W/data/sibling' >/dev/null"
printf 'x' | dd of="$W/s.kb.minisig" bs=1 seek=150 conv=notrunc 2>/dev/null
as_user "$KL" run --key "$W/k.pub" --target "$T" --bundle "$W/s.kb" -- true 2>"$W/sig.err"
rc=$?
check "a flipped byte of the signature: refused (exit 125), nothing run" \
	"[ $rc -eq 125 ] && grep -q 'signature does not hold' '$W/sig.err'"

# 3. a broken description: refused with its file and line
cp -r "$W/out/block" "$W/out/broken"
sed -i 's/^deny	file	read,write/deny	file	read,chmod/' "$W/out/broken/landlock/$T.ruleset"
"$KL" run --target "$T" --bundle "$W/out/broken" -- true 2>"$W/broken.err"
rc=$?
check "a malformed description is refused at FILE:LINE" \
	"[ $rc -eq 125 ] && grep -qE 'landlock/$T.ruleset:[0-9]+: bad operations' '$W/broken.err'"
printf 'karmor-landlock 1\ntarget\t%s\nhandle\tread\n' "$T" >"$W/out/broken/landlock/$T.ruleset"
"$KL" run --target "$T" --bundle "$W/out/broken" -- true 2>"$W/broken.err"
check "an incomplete description is refused" "grep -q 'the base line is missing' '$W/broken.err'"
printf 'karmor-landlock 1\ntarget\t%s\nhandle\tread\nbase\tread' "$T" >"$W/out/broken/landlock/$T.ruleset"
"$KL" run --target "$T" --bundle "$W/out/broken" -- true 2>"$W/broken.err"
check "a truncated description is refused" "grep -q 'no newline' '$W/broken.err'"
"$KL" run --target "$T" --backend bpf --bundle "$W/out/block" -- true 2>/dev/null
check "run --backend takes landlock only" "[ \$? -eq 125 ]"

# 4. an allow-list (posture block): only the granted programs run, only granted files read
cat >"$W/allow.yaml" <<YAML
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: allow-some
  namespace: default
spec:
  selector:
    matchLabels:
      app: ll
  process:
    matchPaths:
    - path: /usr/bin/dash
    - path: /usr/bin/cat
  file:
    matchDirectories:
    - dir: $W/data/pub/
      recursive: true
      readOnly: true
  action: Allow
YAML
"$KC" compile --target=landlock --posture file=block -o "$W/out/allow" "$W/allow.yaml" 2>"$W/allow.err"
A=$(ls "$W/out/allow/landlock" | sed 's/\.ruleset$//')
check "an allow-list handles every file operation" "grep -qx 'handle	read,write,exec' '$W/out/allow/landlock/$A.ruleset'"
as_user "$KL" run --target "$A" --bundle "$W/out/allow" -- /usr/bin/dash -c "
	/usr/bin/cat '$W/data/pub/a' >/dev/null && echo pub-read
	/usr/bin/cat '$W/data/sibling' >/dev/null 2>&1 || echo other-refused
	echo x >>'$W/data/pub/a' 2>/dev/null || echo readonly-refused
	/usr/bin/id >/dev/null 2>&1 || echo exec-refused" >"$W/run2.out" 2>"$W/run2.err"
check "allow-list: a granted file is read (the baseline lets cat start)" "grep -qx pub-read '$W/run2.out'"
check "allow-list: a file no Allow grants is refused" "grep -qx other-refused '$W/run2.out'"
check "allow-list: readOnly refuses the write" "grep -qx readonly-refused '$W/run2.out'"
check "allow-list: a program no Allow grants cannot run" "grep -qx exec-refused '$W/run2.out'"
as_user "$KL" run --target "$A" --bundle "$W/out/allow" -- /usr/bin/ls / >/dev/null 2>"$W/run3.err"
rc=$?
check "a command the target may not execute: exit 125, said so" \
	"[ $rc -eq 125 ] && grep -q 'may not let it be executed' '$W/run3.err'"
"$KL" run -v --target "$A" --bundle "$W/out/allow" -- true 2>"$W/v.err"
check "--verbose says the ABI ($abi) and the rules" "grep -qE 'landlock ABI $abi: target $A: [0-9]+ rules' '$W/v.err'"

# 4b. TCP (ABI 4): a Block of tcp refuses TCP connect (socket creation is a KC0405 gap)
cat >"$W/net.yaml" <<YAML
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: block-tcp
  namespace: default
spec:
  selector:
    matchLabels:
      app: net
  network:
    matchProtocols:
    - protocol: tcp
  action: Block
YAML
"$KC" compile --target=landlock -o "$W/out/net" "$W/net.yaml" 2>"$W/net.err"
N=$(ls "$W/out/net/landlock" | sed 's/\.ruleset$//')
check "a tcp Block: the ruleset refuses TCP (net tcp), and KC0405 says socket creation is not" \
	"grep -qx 'net	tcp' '$W/out/net/landlock/$N.ruleset' && grep -q KC0405 '$W/net.err'"
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8); print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(20)' >"$W/port" &
srv=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$W/port" ] && break; sleep 0.2; done
port=$(head -1 "$W/port")
check "unconfined, the TCP connect works" "bash -c 'echo >/dev/tcp/127.0.0.1/$port' 2>/dev/null"
if [ "$abi" -ge 4 ]; then
	as_user "$KL" run --target "$N" --bundle "$W/out/net" -- bash -c "echo >/dev/tcp/127.0.0.1/$port" 2>"$W/tcp.err"
	rc=$?
	check "confined, the TCP connect is refused (Permission denied)" \
		"[ $rc -eq 1 ] && grep -q 'connect: Permission denied' '$W/tcp.err'"
else
	as_user "$KL" run --target "$N" --bundle "$W/out/net" -- true 2>"$W/net.run"
	check "ABI $abi: run says TCP is not refused" "grep -q 'TCP bind and connect are not refused' '$W/net.run'"
fi
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null

# 5. events (ABI 7): the denials of a confined command, from the audit records, as alerts
# naming the policy.  Auditing is turned on for the test and put back as it was.
audit_enabled() { # audit_enabled [0|1]: prints the state before (and sets it when asked)
	python3 - "$@" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 0))
def ask(t, body):
    s.send(struct.pack("IHHII", 16 + len(body), t, 0x5, 1, 0) + body)
    while True:
        r = s.recv(65536)
        l, typ = struct.unpack("IH", r[:6])
        if typ == 1000:
            return struct.unpack("I", r[20:24])[0]
        if typ == 2 and struct.unpack("i", r[16:20])[0] != 0:
            sys.exit("audit: " + str(struct.unpack("i", r[16:20])[0]))
        if typ == 2 and t == 1001:
            return None
print(ask(1000, b""))
if len(sys.argv) > 1:
    ask(1001, struct.pack("10I", 1, int(sys.argv[1]), 0, 0, 0, 0, 0, 0, 0, 0))
PY
}
# two targets in one output: the target of an alert is the one run recorded
"$KC" compile --target=landlock --posture file=block -o "$W/out/both" "$W/block.yaml" "$W/allow.yaml" 2>/dev/null
if [ "$abi" -ge 7 ]; then
	check "the events test's output has two rule tables" "[ \$(ls '$W/out/both/landlock-rules' | wc -l) -eq 2 ]"
	was=$(audit_enabled 1) || was=
	if [ -z "$was" ]; then
		bad "auditing could not be turned on (needs CAP_AUDIT_CONTROL): the events of ABI $abi were not tested"
	else
		"$KL" events --landlock "$W/out/both/landlock-rules" --json >"$W/ev.json" 2>"$W/ev.err" &
		ev=$!
		sleep 1
		"$KL" run --target "$T" --bundle "$W/out/both" -- cat "$W/data/secret" >/dev/null 2>&1
		"$KL" run --target "$T" --bundle "$W/out/both" -- cat "$W/data/sibling" >/dev/null 2>&1
		sleep 1
		kill "$ev"
		wait "$ev" 2>/dev/null
		audit_enabled "$was" >/dev/null
		check "events --landlock: one alert, the blocked read" "[ \$(wc -l <'$W/ev.json') -eq 1 ]"
		check "the alert names the policy, the path, Block and Landlock" \
			"grep -q '\"PolicyName\":\"block-secret\"' '$W/ev.json' && grep -q '\"Resource\":\"$W/data/secret\"' '$W/ev.json' &&
			 grep -q '\"Action\":\"Block\"' '$W/ev.json' && grep -q '\"Enforcer\":\"Landlock\"' '$W/ev.json'"
		check "the alert names the refused program" "grep -q '\"ProcessName\":\"/usr/bin/cat\"' '$W/ev.json'"
		check "the alert names the target run recorded" "grep -q '\"KarmorTarget\":\"$T\"' '$W/ev.json'"
	fi
	# the same records from a file, as auditd writes them
	printf '%s\n' \
		"type=LANDLOCK_ACCESS msg=audit(1796659099.880:2): domain=1b85537fe blockers=fs.read_file path=\"$W/data/secret\" dev=\"vda\" ino=1" \
		"type=LANDLOCK_DOMAIN msg=audit(1796659099.880:2): domain=1b85537fe status=allocated mode=enforcing pid=1 uid=0 exe=\"/x\" comm=\"x\"" \
		"type=SYSCALL msg=audit(1796659099.880:2): arch=c000003e syscall=257 success=no exit=-13 pid=4242 comm=\"cat\" exe=\"/usr/bin/cat\" key=(null)" \
		"type=EOE msg=audit(1796659099.880:2): " \
		"type=LANDLOCK_ACCESS msg=audit(1796659099.881:3): domain=1b85537fe blockers=fs.read_file path=\"$W/data/sibling\" dev=\"vda\" ino=2" \
		"type=EOE msg=audit(1796659099.881:3): " >"$W/audit.log"
	"$KL" events --landlock "$W/out/block/landlock-rules" --from "$W/audit.log" --json >"$W/evf.json" 2>&1
	check "events --landlock --from FILE: the rule's path gives an alert, another path none" \
		"[ \$(wc -l <'$W/evf.json') -eq 1 ] && grep -q '\"HostPID\":4242' '$W/evf.json'"
else
	"$KL" events --landlock "$W/out/block/landlock-rules" >/dev/null 2>"$W/ev.err" &
	ev=$!
	sleep 1
	kill "$ev"
	wait "$ev" 2>/dev/null
	check "events --landlock says ABI $abi logs no denials" "grep -q 'logs no denials' '$W/ev.err'"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
