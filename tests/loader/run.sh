#!/usr/bin/env bash
# Host tests of karmor-loader, for real: maps filled, the cgroup/sock_create
# program attached to a fresh cgroup v2 directory and refusing TCP sockets
# there, status, events, run and detach, and every bad input refused with
# nothing left pinned or attached; run's own failures (125) apart from CMD's
# status, a run cgroup that cannot be removed kept bound, detach keeping the
# state while anything is left (read-only bpffs, damaged state), names with
# terminal escapes shown escaped, capability numbers 0..40.
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
	mountpoint -q "$BPFFS" 2>/dev/null && mount -o remount,rw "$BPFFS" 2>/dev/null
	[ -n "${PIN:-}" ] && "$L" detach --pin-dir "$PIN" --state-dir "$STATE" >/dev/null 2>&1
	[ -n "${LEFTCG:-}" ] && rmdir "$LEFTCG/sub" "$LEFTCG" "$CG2/karmor" 2>/dev/null
	[ -n "${ESCCG:-}" ] && rmdir "$ESCCG" 2>/dev/null
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
export KARMOR_LOADER_CONF=$T/no-loader.conf	# never the host's /etc/karmor/loader.conf

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
# one workload of an inventory, so the image carries its identity (bpf/karmor.h), with a
# label value a terminal would act on
cat >"$T/inventory.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  template:
    metadata:
      labels: {app: web, zz: "a\e[31mred"}
    spec:
      containers: [{name: nginx, image: "nginx:1.25"}]
EOF
if ! "$KC" compile --target=bpf --workloads "$T/inventory.yaml" -o "$T/out" "$POL" >"$T/kc.out" 2>"$T/kc.err"; then
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
if [ "$rc" -eq 0 ] && for c in apply run detach status events verify help version; do grep -qE "^  $c " <<<"$out" || exit 1; done; then
	ok "help lists every command"
else
	bad "help lists every command" "exit $rc: $out"
fi
for c in apply run detach status events verify; do
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
	for c in apply run detach status events verify help version; do
		grep -q "^\.SS $c\$" "$MAN" || { echo "$c is not a section of $MAN"; return 1; }
		grep -qE "commands=\".*\b$c\b" "$COMP" || { echo "$c is not in the commands of $COMP"; return 1; }
	done
	for c in apply run detach status events verify; do
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
case $BUILD in */san) san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" ;; esac
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
expect_fail "run without --target: 125 (run's own failure, never CMD's status)" 125 "--target" run "${D[@]}" -- true
expect_fail "run with an unknown option: 125" 125 "unknown option '--frob'" run --frob "${D[@]}" -- true
run run --target x "${D[@]}" --help
[ "$rc" -eq 0 ] && grep -q "usage: karmor-loader run" <<<"$out" && ok "run --target x --help: the help (options before CMD)" || bad "run --target x --help" "exit $rc: $out$err"

# ---------------------------------------------------------------- nothing applied
run status "${D[@]}"
[ "$rc" -eq 0 ] && [ "$out" = "nothing is attached" ] && ok "status, nothing applied" || bad "status, nothing applied" "exit $rc: $out$err"
run status --json "${D[@]}"
[ "$rc" -eq 0 ] && [ "$(jget "$out" attached)" = "False" ] && ok "status --json, nothing applied" || bad "status --json, nothing applied" "exit $rc: $out$err"
run detach "${D[@]}"
[ "$rc" -eq 0 ] && [ "$out" = "nothing is attached" ] && ok "detach with nothing attached" || bad "detach with nothing attached" "exit $rc: $out$err"
expect_fail "events with nothing applied" 1 "nothing is attached" events --drain "${D[@]}"
expect_fail "run with nothing applied: 125" 125 "nothing is applied" run --target "$TGT" "${D[@]}" -- true

# ---------------------------------------------------------------- bad inputs
head -c 100 "$IMG" >"$T/truncated.kmi"
expect_fail "truncated image" 1 "truncated.kmi: .*(truncated|short|size)" apply --without-lsm "${D[@]}" "$T/truncated.kmi"
head -c -10 "$IMG" >"$T/short.kmi"
expect_fail "image missing its last bytes" 1 "short.kmi: " apply --without-lsm "${D[@]}" "$T/short.kmi"
printf 'apiVersion: v1\nkind: Pod\n' >"$T/notimage.kmi"
expect_fail "a file that is not an image" 1 "notimage.kmi: .*(magic|not a|image)" apply --without-lsm "${D[@]}" "$T/notimage.kmi"
# version 1 (before the identity section), with a correct SHA-256, so only the version is wrong
python3 - "$IMG" "$T/v1.kmi" <<'EOF'
import hashlib, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b, 8, 1)
b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()
open(sys.argv[2], "wb").write(b)
EOF
expect_fail "wrong image version" 1 "v1.kmi: .*version 1, this program reads version 5" apply --without-lsm "${D[@]}" "$T/v1.kmi"
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

# ---------------------------------------------------------------- a bundle as apply's input
# karmor-bundle(5): checked whole (and its signature, given --key) before anything loads
if ! command -v minisign >/dev/null; then
	bad "bundles" "minisign is missing (scripts/install-deps installs it)"
elif ! minisign -G -W -p "$T/k.pub" -s "$T/k.key" >/dev/null 2>&1 ||
	! minisign -G -W -p "$T/k2.pub" -s "$T/k2.key" >/dev/null 2>&1 ||
	! "$KC" bundle --target=bpf --sign "$T/k.key" --workloads "$T/inventory.yaml" -o "$T/p.kb" "$POL" \
		>/dev/null 2>"$T/kb.err"; then
	bad "bundles" "keys or karmorc bundle: $(cat "$T/kb.err")"
else
	python3 - "$T/p.kb" "$T/flip.kb" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
at = b.index(b".kmi ") + 80	# inside the first map image's bytes
b[at] ^= 0xff
open(sys.argv[2], "wb").write(b)
PY
	cp "$T/p.kb.minisig" "$T/flip.kb.minisig"
	expect_fail "apply refuses a bundle with a changed byte, nothing applied" 1 "flip.kb: section bpf/.*SHA-256 does not match.*nothing applied" \
		apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/flip.kb"
	expect_fail "apply refuses a bundle signed with another key" 1 "made with another key.*nothing applied" \
		apply --without-lsm "${D[@]}" --key "$T/k2.pub" --bind "$TGT=$CG" "$T/p.kb"
	cp "$T/p.kb" "$T/unsigned.kb"
	expect_fail "apply --require-signature refuses an unsigned bundle" 1 "unsigned.kb.minisig: .*not signed" \
		apply --without-lsm "${D[@]}" --require-signature --key "$T/k.pub" --bind "$TGT=$CG" "$T/unsigned.kb"
	expect_fail "--require-signature without --key: usage error" 2 "needs --key" \
		apply --without-lsm "${D[@]}" --require-signature --bind "$TGT=$CG" "$T/p.kb"
	expect_fail "--key with map images (no signature to check): refused" 1 "--key is for bundles" \
		apply --without-lsm "${D[@]}" --key "$T/k.pub" --bind "$TGT=$CG" "$IMG"
	# SELinux: a bundle of containers has no module; one of a host policy is refused where
	# SELinux is not active (tests/loader/vm-selinux.sh applies one for real)
	expect_fail "apply --backend selinux: a bundle of containers has no SELinux module" 1 \
		"--backend selinux: the bundle has no selinux artifacts.*nothing applied" apply "${D[@]}" --backend selinux "$T/p.kb"
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata: {name: hsp}\nspec:\n  nodeSelector:\n    matchLabels: {kubernetes.io/hostname: h}\n  file:\n    matchPaths:\n    - path: /srv/x\n  action: Block\n' >"$T/host.yaml"
	if "$KC" bundle -o "$T/host.kb" "$T/host.yaml" >/dev/null 2>"$T/kb.err"; then
		expect_fail "apply --backend selinux where SELinux is not active: refused, nothing applied" 1 \
			"--backend selinux: SELinux is not active \(nothing applied\)" apply "${D[@]}" --backend selinux "$T/host.kb"
	else
		bad "host bundle" "$(cat "$T/kb.err")"
	fi
	# loader.conf: the operator's defaults
	printf '# bundles must be signed\nrequire-signature yes\nkey %s\n' "$T/k.pub" >"$T/loader.conf"
	KARMOR_LOADER_CONF=$T/loader.conf expect_fail "loader.conf require-signature yes refuses an unsigned bundle" 1 \
		"unsigned.kb.minisig: .*not signed" apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/unsigned.kb"
	KARMOR_LOADER_CONF=$T/loader.conf expect_fail "loader.conf require-signature yes refuses map images" 1 \
		"carries no signature, and one is required \\($T/loader.conf\\)" apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$IMG"
	printf 'require-signature yes\n' >"$T/nokey.conf"
	KARMOR_LOADER_CONF=$T/nokey.conf expect_fail "loader.conf require-signature yes without a key: usage error" 2 \
		"nokey.conf says require-signature yes, but names no key" apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/p.kb"
	printf 'require-signature\tyes\nrequire-signatures yes\n' >"$T/bad.conf"
	KARMOR_LOADER_CONF=$T/bad.conf expect_fail "a bad loader.conf line: usage error with file:line" 2 \
		"bad.conf:2:1: expected 'require-signature yes\\|no' or 'key PATH', not 'require-signatures yes'" \
		apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/p.kb"
	KARMOR_LOADER_CONF=$T/loader.conf run apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/p.kb"
	[ "$rc" -eq 0 ] && grep -q "p.kb: verified (signature good)" <<<"$err" &&
		ok "loader.conf's key checks a signed bundle (no --key)" || bad "loader.conf key" "exit $rc: $err"
	run detach "${D[@]}"
	run apply --without-lsm "${D[@]}" --require-signature --key "$T/k.pub" --bind "$TGT=$CG" "$T/p.kb"
	ares=$rc aerr=$err
	r=$(tcp_socket "$CG")
	run status "${D[@]}"
	if [ "$ares" -eq 0 ] && grep -q "p.kb: verified (signature good); backends bpf" <<<"$aerr" &&
		grep -q "apply: backend bpf (--without-lsm)" <<<"$aerr" &&
		[ "$r" = "Operation not permitted" ] && grep -q "target $TGT: slot 0" <<<"$out"; then
		ok "apply a signed bundle: verified, its BPF images applied and enforcing"
	else
		bad "apply a signed bundle" "apply exit $ares: $aerr; socket: $r; status: $(head -c 300 <<<"$out")"
	fi
	run detach "${D[@]}"
	if [ "$rc" -eq 0 ] && why=$(nothing_left); then ok "detach after a bundle leaves nothing"; else bad "detach after a bundle" "exit $rc: $err ${why:-}"; fi
fi

# ---------------------------------------------------------------- apply, enforce, observe
run apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/out"
if [ "$rc" -eq 0 ] && [ -e "$PIN/karmor_events" ] && [ -e "$STATE/state" ] && grep -q "only the cgroup/sock_create" <<<"$err"; then
	ok "apply --without-lsm (directory of images), bound to a fresh cgroup"
else
	bad "apply --without-lsm" "exit $rc: $out $err"
fi
compgen -G "$PIN/link-karmor_sock_create-*" >/dev/null && ok "the cgroup link is pinned" || bad "the cgroup link is pinned" "$(ls "$PIN")"
run apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$IMG"
if [ "$rc" -eq 0 ] && grep -q "it replaced the images applied before" <<<"$out" && [ -e "$PIN/karmor_events" ] &&
	grep -q "^generation	2$" "$STATE/state" && ! compgen -G "$PIN-*" >/dev/null && ! compgen -G "$STATE-*" >/dev/null; then
	ok "a second apply replaces the first: generation 2, nothing left beside the pins and the state"
else
	bad "a second apply replaces the first" "exit $rc: $out $err $(ls -d "$PIN"* "$STATE"*)"
fi

r=$(tcp_socket "$CG")
[ "$r" = "Operation not permitted" ] && ok "TCP socket refused inside the bound cgroup" || bad "TCP socket refused inside the bound cgroup" "got: $r"
r=$(tcp_socket "")
[ "$r" = "created" ] && ok "TCP socket allowed outside it" || bad "TCP socket allowed outside it" "got: $r"

run status "${D[@]}"
if [ "$rc" -eq 0 ] && grep -q "target $TGT: slot 0" <<<"$out" && grep -q "cgroup $CG (id" <<<"$out" &&
	grep -q "  network map: 1 of 1 entries" <<<"$out" && grep -qE "blocked [1-9]" <<<"$out" &&
	grep -q "^map karmor_net (network map): 1 of 1 entries, 232 bytes$" <<<"$out" &&
	grep -q "^map karmor_paths (path map): 0 of 1 entries, " <<<"$out" &&
	grep -q "^map karmor_cgroups (cgroup map): 1 of 4,096 entries, " <<<"$out" &&
	grep -qE "^maps: [0-9,]+ bytes for [0-9]+ CPUs" <<<"$out"; then
	ok "status: target, cgroup, entries, blocked count, maps sized from the image (N of M entries, bytes)"
else
	bad "status" "exit $rc: $out $err"
fi
run status --json "${D[@]}"
if [ "$rc" -eq 0 ] && [ "$(jget "$out" targets.0.name)" = "$TGT" ] &&
	[ "$(jget "$out" targets.0.entries.network.used)" = 1 ] &&
	[ "$(jget "$out" targets.0.entries.network.capacity)" = 1 ] &&
	[ "$(jget "$out" maps.3.name)" = karmor_net ] && [ "$(jget "$out" maps.3.max_entries)" = 1 ] &&
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["map_bytes"] == sum(m["bytes"] for m in d["maps"])' "$out" &&
	[ "$(jget "$out" targets.0.counters.blocked)" -ge 1 ] 2>/dev/null &&
	[ "$(jget "$out" targets.0.cgroups.0.path)" = "$CG" ]; then
	ok "status --json"
else
	bad "status --json" "exit $rc: $out $err"
fi
run status "${D[@]}"
if [ "$rc" -eq 0 ] && grep -qxF '  Deployment default/web, pod web-*, container nginx, image nginx:1.25, labels app=web,zz=a\x1b[31mred' <<<"$out"; then
	ok "status: the target's identity, escaped"
else
	bad "status: the target's identity" "exit $rc: $(cat -v <<<"$out$err")"
fi
run status --json "${D[@]}"
if [ "$rc" -eq 0 ] && [ "$(jget "$out" targets.0.identity.namespace)" = default ] &&
	[ "$(jget "$out" targets.0.identity.kind)" = Deployment ] &&
	[ "$(jget "$out" targets.0.identity.pod)" = 'web-*' ] &&
	[ "$(jget "$out" targets.0.identity.container)" = nginx ] &&
	[ "$(jget "$out" targets.0.identity.image)" = nginx:1.25 ] &&
	[ "$(jget "$out" targets.0.identity.labels.app)" = web ] &&
	[ -n "$(jget "$out" targets.0.describe)" ]; then
	ok "status --json: describe and identity"
else
	bad "status --json: identity" "exit $rc: $out $err"
fi

now=$(date +%s)
run events --json --drain "${D[@]}"
line=$(head -n 1 <<<"$out")
n=$(grep -c . <<<"$out")
check_event() {
	local k v want
	for kv in "PolicyName=ksp-block-tcp" "Action=Block" "Result=Permission denied" \
		"KarmorResult=Operation not permitted" "Operation=Network" \
		"Resource=protocol=TCP type=SOCK_STREAM" "KarmorOp=socket" "KarmorArg=tcp" "Enforcer=BPFLSM" \
		"Type=MatchedPolicy" "Severity=5" "Tags=MITRE,T1046" "Message=no tcp here" "KarmorTarget=$TGT" \
		"KarmorRuleId=1" "ProcessName=python3" "Data=lsm=SOCKET_CREATE protocol=TCP type=SOCK_STREAM" \
		"EventData.Lsm=SOCKET_CREATE" "EventData.Protocol=TCP" "EventData.Type=SOCK_STREAM" \
		"NamespaceName=default" "PodName=web-*" "ContainerName=nginx" "ContainerImage=nginx:1.25" \
		$'Labels=app=web,zz=a\e[31mred' "Owner.Ref=Deployment" "Owner.Name=web" "Owner.Namespace=default"; do
		k=${kv%%=*}
		want=${kv#*=}
		v=$(jget "$line" "$k")
		[ "$v" = "$want" ] || { echo "$k is '$v', wanted '$want'"; return 1; }
	done
	v=$(jget "$line" Timestamp)
	[ -n "$v" ] && [ $((v - now)) -le 5 ] && [ $((now - v)) -le 120 ] || { echo "Timestamp $v, now $now"; return 1; }
	v=$(jget "$line" UpdatedTime)
	[[ $v =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$ ]] || { echo "UpdatedTime $v"; return 1; }
	# (zero and empty fields are omitted, as KubeArmor's encoder does: UID 0 has no key)
	for k in HostName HostPID HostPPID ParentProcessName ProcessName Source; do
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
# --follow goes on with the generation an apply puts in place, and waits through a detach
timeout 60 "$L" events --json --follow "${D[@]}" >"$T/follow" 2>"$T/follow.err" &
fpid=$!
sleep 0.5
tcp_socket "$CG" >/dev/null
gen=$(sed -n 's/^generation\t//p' "$STATE/state")
"$L" apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$IMG" >/dev/null 2>&1
sleep 1
tcp_socket "$CG" >/dev/null
"$L" detach "${D[@]}" >/dev/null 2>&1
sleep 1
"$L" apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$IMG" >/dev/null 2>&1
sleep 1
tcp_socket "$CG" >/dev/null
sleep 0.7
kill -TERM $fpid
wait $fpid
frc=$?
if [ "$frc" -eq 0 ] && [ "$(grep -c '"Action":"Block"' "$T/follow")" -eq 3 ] &&
	grep -q "following generation $((gen + 1))" "$T/follow.err" && grep -q "waiting for an apply" "$T/follow.err" &&
	grep -q "following generation 1" "$T/follow.err"; then
	ok "events --follow goes on across a re-apply (generation $gen, then $((gen + 1))) and a detach and apply"
else
	bad "events --follow across generations" "exit $frc: $(cat "$T/follow" "$T/follow.err")"
fi

# ---------------------------------------------------------------- an AppArmor state, on a host without AppArmor
AAS=$T/aa-state
mkdir -p "$AAS"
printf 'karmor-loader-apparmor 1\nenforcement\tmonitor\nsource\tbinary\nprofile\tt1\tkarmorc-t1\n' >"$AAS/apparmor"
run status --json --state-dir "$AAS"
[ "$rc" -eq 1 ] && grep -q '"backend":"apparmor","enforcement":"monitor","source":"binary"' <<<"$out" &&
	grep -q '"profile":"karmorc-t1","loaded":false' <<<"$out" && grep -q "1 of 1 profiles are not loaded" <<<"$err" &&
	ok "status of an AppArmor state: the profile not loaded here is said, exit 1" || bad "AppArmor status" "exit $rc: $out $err"
run detach --state-dir "$AAS"
[ "$rc" -eq 1 ] && grep -q "cannot open AppArmor's policy interface" <<<"$err" && [ -f "$AAS/apparmor" ] &&
	ok "detach of an AppArmor state without AppArmor: refused, the state kept" || bad "AppArmor detach" "exit $rc: $out $err"
run run --target t1 --state-dir "$AAS" -- true
[ "$rc" -eq 125 ] && grep -q "cannot confine the command with the profile karmorc-t1" <<<"$err" &&
	ok "run under an AppArmor state without AppArmor: 125, CMD not run" || bad "AppArmor run" "exit $rc: $out $err"
printf 'karmor-loader-apparmor 1\nprofile\tt1\tkarmorc-t1' >"$AAS/apparmor"
run status --state-dir "$AAS"
[ "$rc" -eq 1 ] && grep -q "aa-state/apparmor:2: not a karmor-loader AppArmor state, or damaged" <<<"$err" &&
	ok "a cut AppArmor state (no newline at the end) is damaged, with file:line" || bad "damaged AppArmor state" "exit $rc: $err"
printf 'karmor-loader-apparmor 1\nprofile\tt1\n' >"$AAS/apparmor"
run status --state-dir "$AAS"
[ "$rc" -eq 1 ] && grep -q "aa-state/apparmor:2: not a karmor-loader AppArmor state" <<<"$err" &&
	ok "a profile line without its name is damage" || bad "damaged AppArmor state (2)" "exit $rc: $err"
run apply --without-lsm "${D[@]}" --state-dir "$AAS" --bind "$TGT=$CG" "$IMG"
[ "$rc" -eq 1 ] && grep -q "AppArmor profiles are applied" <<<"$err" &&
	ok "apply over an AppArmor state is refused (detach first)" || bad "apply over AppArmor" "exit $rc: $err"
rm -rf "$AAS"

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
RUNCG=$CG2$(sed -n 's/^0:://p' <<<"$out")	# gone afterwards (other runs on the host may have theirs)
run run --target "$TGT" "${D[@]}" -- sh -c 'kill -TERM $$'
[ "$rc" -eq 143 ] && ok "run: killed by a signal -> 128+N" || bad "run: killed by a signal" "exit $rc: $err"
run run --target "$TGT" "${D[@]}" -- /nonexistent/cmd
[ "$rc" -eq 127 ] && grep -q "/nonexistent/cmd: No such file" <<<"$err" && ok "run: missing CMD -> 127" || bad "run: missing CMD" "exit $rc: $err"
run run --target "$TGT" "${D[@]}" -- /etc/passwd
[ "$rc" -eq 126 ] && grep -q "/etc/passwd: Permission denied" <<<"$err" && ok "run: CMD not executable -> 126" || bad "run: CMD not executable" "exit $rc: $err"
# options end at CMD: what follows is CMD's, --help included
run run --target "$TGT" "${D[@]}" sh -c 'printf "%s\n" "$@"' sh --help --target
[ "$rc" -eq 0 ] && [ "$out" = $'--help\n--target' ] && ok "run --target T CMD --help: the options are CMD's" || bad "run --target T CMD --help" "exit $rc: $out $err"
run run --target "$TGT" "${D[@]}" -- sh -c 'printf "%s\n" "$@"' sh -h
[ "$rc" -eq 0 ] && [ "$out" = "-h" ] && ok "run -- CMD -h: CMD's options" || bad "run -- CMD -h" "exit $rc: $out $err"
# SIGTERM to run is passed on to CMD, and the cgroup still goes
"$L" run --target "$TGT" "${D[@]}" -- sleep 20 >/dev/null 2>"$T/term.err" &
lpid=$!
for _ in $(seq 50); do [ -d "$CG2/karmor/run-$lpid" ] && break; sleep 0.1; done
sleep 0.2
kill -TERM $lpid
wait $lpid
trc=$?
if [ "$trc" -eq 143 ] && [ ! -e "$CG2/karmor/run-$lpid" ] && ! compgen -G "$STATE/run-*" >/dev/null; then
	ok "run: SIGTERM reaches CMD, the cgroup is removed, 128+15"
else
	bad "run: SIGTERM" "exit $trc: $(cat "$T/term.err"); $(ls -d "$CG2"/karmor/run-* 2>/dev/null)"
fi
expect_run_unknown() {
	run run --target nosuch "${D[@]}" -- true
	[ "$rc" -eq 125 ] && grep -q "no target nosuch" <<<"$err"
}
expect_run_unknown && ok "run: unknown target -> 125" || bad "run: unknown target" "exit $rc: $err"
run status --json "${D[@]}"
left=$(ls -d "$RUNCG" 2>/dev/null)
if [ "$(jget "$out" targets.0.cgroups.1.id 2>/dev/null)" = "" ] && [ -z "$left" ] && ! compgen -G "$STATE/run-*" >/dev/null; then
	ok "run: its cgroup and binding are gone afterwards"
else
	bad "run: cleanup" "left: $left; $out"
fi
run events --json --drain "${D[@]}"
[ "$(grep -c '"PolicyName":"ksp-block-tcp"' <<<"$out")" -eq 1 ] && ok "run: the refusal is an event" || bad "run: the refusal is an event" "$out"
# a cgroup run cannot remove (CMD leaves a child cgroup in it; processes could
# be left in it too): it stays bound and enforced, its link pinned, exit 125
run run --target "$TGT" "${D[@]}" -- sh -c 'c=$1$(sed -n "s/^0:://p" /proc/self/cgroup) && mkdir "$c/sub" && echo "$c"' sh "$CG2"
LEFTCG=$out
if [ "$rc" -eq 125 ] && grep -q "cannot remove cgroup $LEFTCG: Device or resource busy (sh exited with status 0); .*stays bound to target $TGT" <<<"$err" &&
	[ -d "$LEFTCG/sub" ] && compgen -G "$STATE/run-*" >/dev/null; then
	ok "run: a cgroup it cannot remove stays bound, said so, exit 125"
else
	bad "run: a cgroup it cannot remove" "exit $rc: $err; left: $LEFTCG"
fi
r=$(tcp_socket "$LEFTCG/sub")
[ "$r" = "Operation not permitted" ] && ok "run: what is left in that cgroup is still confined" || bad "run: left-over cgroup confined" "got: $r"
leftid=$(stat -c %i "$LEFTCG" 2>/dev/null)
[ -e "$PIN/link-karmor_sock_create-$leftid" ] && ok "run: the left-over cgroup's link is pinned" || bad "run: left-over link pinned" "$(ls "$PIN")"
run status "${D[@]}"
grep -q "cgroup $LEFTCG (id $leftid), made by run" <<<"$out" && ok "status lists the left-over run cgroup" || bad "status lists the left-over run cgroup" "$out $err"
rmdir "$LEFTCG/sub" "$LEFTCG" && LEFTCG=
rmdir "$CG2/karmor" 2>/dev/null	# as run does: only when no other run uses it

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
printf 'apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\n' >"$T/node.yaml"
if "$KC" compile --target=bpf --workloads "$T/inventory.yaml" --workloads "$T/node.yaml" -o "$T/two" "$POL" \
	"$T/host.yaml" >"$T/kc2.out" 2>"$T/kc2.err" &&
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

# ---------------------------------------------------------------- capability numbers
# the loader accepts capabilities 0..40 (what karmorc emits), whatever its build headers say
cat >"$T/cap.yaml" <<'EOF2'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: ksp-block-raw
  namespace: default
spec:
  selector:
    matchLabels:
      app: web
  capabilities:
    matchCapabilities:
    - capability: net_raw
  action: Block
EOF2
# set_cap IN OUT ID: the first capability entry's id, the SHA-256 made right again
set_cap() {
	python3 - "$@" <<'EOF2'
import hashlib, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
(ncaps,) = struct.unpack_from("<I", b, 56)
(caps_off,) = struct.unpack_from("<Q", b, 96)
assert ncaps >= 1
struct.pack_into("<H", b, caps_off + 2, int(sys.argv[3]))
b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()
open(sys.argv[2], "wb").write(b)
EOF2
}
if "$KC" compile --target=bpf -o "$T/cap" "$T/cap.yaml" >/dev/null 2>"$T/kc3.err" && CIMG=$(ls "$T"/cap/bpf/*.kmi) &&
	set_cap "$CIMG" "$T/cap41.kmi" 41 && set_cap "$CIMG" "$T/cap40.kmi" 40; then
	expect_fail "capability 41 is refused" 1 "cap41.kmi: capability entry 0: id 41" apply --without-lsm "${D[@]}" "$T/cap41.kmi"
	run apply --without-lsm "${D[@]}" "$T/cap40.kmi"
	if [ "$rc" -eq 0 ]; then ok "capability 40 (checkpoint_restore) is accepted"; else bad "capability 40 is accepted" "exit $rc: $err"; fi
	run detach "${D[@]}"
else
	bad "capability numbers" "setup: $(cat "$T/kc3.err")"
fi

# ---------------------------------------------------------------- hostile strings in text output
# a policy name with terminal escapes (the image edited, its SHA-256 made right)
# and a bound cgroup whose name has some: text shows them as \xHH, JSON escapes them
python3 - "$IMG" "$T/esc.kmi" <<'EOF2'
import hashlib, sys
b = bytearray(open(sys.argv[1], "rb").read())
old, new = b"\0ksp-block-tcp\0", b"\0ksp\x1b[31mk-tcp\0"
assert len(old) == len(new) and b.count(old) == 1
b = bytearray(bytes(b).replace(old, new))
b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()
open(sys.argv[2], "wb").write(b)
EOF2
ESCCG=$CG/$'esc\e]0;owned\a'
mkdir "$ESCCG"
has_esc() { LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$1"; }
run apply --without-lsm "${D[@]}" --bind "$TGT=$ESCCG" "$T/esc.kmi"
if [ "$rc" -eq 0 ] && ! has_esc "$out$err" && grep -qF 'esc\x1b]0;owned\x07 (cgroup' <<<"$out"; then
	ok "apply shows an escaped cgroup path"
else
	bad "apply with a hostile cgroup name" "exit $rc: $(cat -v <<<"$out$err")"
fi
tcp_socket "$ESCCG" >/dev/null
run events --drain "${D[@]}"
if [ "$rc" -eq 0 ] && ! has_esc "$out" && grep -qF 'policy=ksp\x1b[31mk-tcp ' <<<"$out"; then
	ok "events: a policy name with escapes is shown as \\xHH"
else
	bad "events with a hostile policy name" "exit $rc: $(cat -v <<<"$out$err")"
fi
tcp_socket "$ESCCG" >/dev/null
run events --json --drain "${D[@]}"
[ "$rc" -eq 0 ] && ! has_esc "$out" && [ "$(jget "$out" PolicyName)" = $'ksp\e[31mk-tcp' ] && ok "events --json: the same name, JSON-escaped" ||
	bad "events --json with a hostile policy name" "exit $rc: $(cat -v <<<"$out$err")"
run status "${D[@]}"
if [ "$rc" -eq 0 ] && ! has_esc "$out" && grep -qF 'esc\x1b]0;owned\x07 (id' <<<"$out"; then
	ok "status shows an escaped cgroup path"
else
	bad "status with a hostile cgroup name" "exit $rc: $(cat -v <<<"$out$err")"
fi

# ---------------------------------------------------------------- detach keeps the state while anything is left
# a read-only bpf file system: no pin can go, so nothing may
mount -o remount,ro "$BPFFS"
run detach "${D[@]}"
mount -o remount,rw "$BPFFS"
if [ "$rc" -eq 1 ] && grep -qE "not detached: $PIN still holds [0-9]+ karmor pins \(.*link-karmor_sock_create" <<<"$err" &&
	grep -q "the state in $STATE is kept" <<<"$err" && [ -e "$STATE/state" ] && [ -e "$PIN/karmor_events" ]; then
	ok "detach that cannot remove the pins: state kept, pins listed, exit 1"
else
	bad "detach on a read-only bpf file system" "exit $rc: $out $err"
fi
r=$(tcp_socket "$ESCCG")
[ "$r" = "Operation not permitted" ] && ok "after that failed detach the cgroup is still enforced" || bad "after a failed detach" "got: $r"
# --pin-dir elsewhere than the state records: the recorded pins stay, so does the state
run detach --pin-dir "$BPFFS/elsewhere" --state-dir "$STATE"
if [ "$rc" -eq 1 ] && grep -q "$PIN, the pin directory $STATE/state records, still holds" <<<"$err" && [ -e "$STATE/state" ] &&
	[ -e "$PIN/karmor_events" ]; then
	ok "detach --pin-dir of another directory keeps the state that records the pins"
else
	bad "detach --pin-dir elsewhere" "exit $rc: $out $err"
fi
# a damaged state that still names its pin directory: detached from there (never from the default)
echo "garbage" >>"$STATE/state"
run detach --state-dir "$STATE"
if [ "$rc" -eq 0 ] && grep -qE "^detached: [1-9][0-9]* pins removed from $PIN," <<<"$out" && why=$(nothing_left) && [ ! -e "$STATE" ]; then
	ok "detach with a damaged state uses its pin-dir line"
else
	bad "detach with a damaged state" "exit $rc: $out $err ${why:-}"
fi
[ "$(tcp_socket "$ESCCG")" = created ] && ok "after it the cgroup is not enforced" || bad "after the damaged-state detach" "still enforced"
# a damaged state without a pin-dir line: nothing is removed until --pin-dir says where
run apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$IMG"
sed -i -e '/^pin-dir/d' "$STATE/state"
run detach --state-dir "$STATE"
if [ "$rc" -eq 1 ] && grep -q "does not say where the programs are pinned: nothing was removed" <<<"$err" &&
	[ -e "$STATE/state" ] && [ -e "$PIN/karmor_events" ] && [ "$(tcp_socket "$CG")" = "Operation not permitted" ]; then
	ok "detach with a damaged state and no pin directory: nothing removed, exit 1"
else
	bad "detach with a damaged state, no pin-dir line" "exit $rc: $out $err"
fi
run detach "${D[@]}"
if [ "$rc" -eq 0 ] && why=$(nothing_left) && [ ! -e "$STATE" ] && [ ! -e "$PIN" ]; then
	ok "then detach --pin-dir removes it all"
else
	bad "detach --pin-dir after a damaged state" "exit $rc: $out $err ${why:-}"
fi
rmdir "$ESCCG" && ESCCG=

# the bench corpus of a node (2,000 policies, 110 Deployments, 170 targets): every map
# sized from the images, as many entries as they hold (more network and path entries than
# the object used to fix); all filled, nothing bound
GEN=$ROOT/../shared/bench/gen-corpus.py
if [ ! -r "$GEN" ]; then
	bad "bench corpus applied" "no $GEN (../shared beside the clone)"
elif ! python3 "$GEN" 2000 "$T/corpus" --workloads="$T/corpus.inv" >/dev/null ||
	! "$KC" compile --target=bpf --workloads "$T/corpus.inv" -o "$T/cout" "$T/corpus" >"$T/cout.txt" 2>"$T/cout.err"; then
	bad "bench corpus applied" "generate or compile: $(tail -n 3 "$T/cout.err")"
else
	run apply --without-lsm "${D[@]}" "$T/cout"
	ares=$rc aout=$out aerr=$err
	run status --json "${D[@]}"
	if [ "$ares" -eq 0 ] && [ "$rc" -eq 0 ] &&
		"$ROOT/tests/loader/maps-full.py" "$out" "$(grep '^bpf: total' "$T/cout.txt")"; then
		ok "the bench corpus (2,000 policies, its inventory): applied, every map sized from the images and full"
	else
		bad "bench corpus applied" "apply exit $ares: $aerr; status exit $rc: $(head -c 600 <<<"$out") $err"
	fi
	run detach "${D[@]}"
fi

finish
