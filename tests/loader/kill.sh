#!/usr/bin/env bash
# karmor-loader apply killed at every step (SIGKILL, as a crash or `kill -9`), on this
# host with the cgroup/sock_create program (--without-lsm; BPF-LSM runs the same
# steps in tests/loader/vm-bundle.sh).  Two policies for one workload: A blocks TCP
# sockets, B blocks UDP ones.  For every step N of the steps `apply` takes:
#   - a first apply of A killed at N: afterwards nothing or A enforces, never part of it;
#   - with A applied, an apply of B killed at N: afterwards A enforces before the switch
#     step and B from it on -- exactly one of them, never both, never neither;
#   then `status` (which finishes or undoes the interrupted apply) leaves no PIN_DIR-next,
#   -prev or STATE_DIR-next, -prev behind, the same policy still enforces, and the state
#   and karmor_active (read with bpftool) both name its generation.  Then detach leaves
#   nothing.  Last, other faults: the state directory's disk full (a first apply and a
#   replacing one refused saying so, the old policy still enforcing), two applies at once
#   (serialized by the lock), the bpf file system unmounted under the pins (said, and
#   detach then apply recovers), hostile bundles with every hash right (refused, nothing
#   attached).
#
#   tests/loader/kill.sh [BUILD_DIR]    (needs BUILD_DIR/karmor-loader-faults)
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
. "$HERE/lib.sh"

for f in "$L" "$LF" "$KC"; do
	[ -x "$f" ] || { bad setup "no executable $f (make $f)"; finish; }
done
command -v bpftool >/dev/null || { bad setup "bpftool is missing (scripts/install-deps installs it)"; finish; }
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the loader tests need root (BPF maps, cgroups)"
	finish
fi
CG2=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo 2>/dev/null)
[ -n "$CG2" ] || { bad setup "no cgroup v2 mount"; finish; }

T=$(mktemp -d /tmp/karmor-loader-kill.XXXXXX) || exit 1
BPFFS=$T/bpffs
PIN=$BPFFS/karmor
STATE=$T/state
CG=$CG2/karmor-loader-kill-$$
cleanup() {
	"$L" detach --pin-dir "$PIN" --state-dir "$STATE" >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	mountpoint -q "$BPFFS" 2>/dev/null && umount "$BPFFS"
	mountpoint -q "$T/full" 2>/dev/null && umount "$T/full"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || { bad setup "cannot mount a bpf file system at $BPFFS"; finish; }
mkdir "$CG" || { bad setup "cannot make cgroup $CG"; finish; }
D=(--pin-dir "$PIN" --state-dir "$STATE")
export KARMOR_LOADER_CONF=$T/no-loader.conf	# never the host's /etc/karmor/loader.conf

for p in A:tcp B:udp; do
	n=${p%%:*} proto=${p#*:}
	cat >"$T/$n.yaml" <<POL
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: ksp-${n,,}
  namespace: default
spec:
  selector:
    matchLabels:
      app: web
  network:
    matchProtocols:
    - protocol: $proto
  action: Block
POL
	"$KC" compile --target=bpf -o "$T/$n" "$T/$n.yaml" >"$T/kc.log" 2>&1 || { bad setup "karmorc: $(cat "$T/kc.log")"; finish; }
done
TGT=$(basename "$(ls "$T"/A/bpf/*.kmi)" .kmi)
[ "$TGT" = "$(basename "$(ls "$T"/B/bpf/*.kmi)" .kmi)" ] || { bad setup "A and B name different targets"; finish; }

# which policy enforces in the cgroup: A (TCP refused), B (UDP refused), none, or both
enforcing() {
	sh -c 'echo $$ > "$1/cgroup.procs" && exec python3 -c "$2"' sh "$CG" '
import socket
def refused(t):
    try:
        socket.socket(socket.AF_INET, t).close(); return False
    except OSError:
        return True
tcp, udp = refused(socket.SOCK_STREAM), refused(socket.SOCK_DGRAM)
print({(True, False): "A", (False, True): "B", (False, False): "none", (True, True): "both"}[(tcp, udp)])'
}
sides() { ls -d "$PIN"-* "$STATE"-* 2>/dev/null | tr '\n' ' '; }
gen_of_state() { sed -n 's/^generation\t//p' "$STATE/state" 2>/dev/null; }
# the generation the pinned karmor_active names (bpftool prints the value's bytes)
gen_active() {
	bpftool -j map lookup pinned "$PIN/karmor_active" key 0 0 0 0 2>/dev/null |
		python3 -c 'import json,sys; print(int.from_bytes(bytes(int(b, 16) for b in json.load(sys.stdin)["value"]), "little"))' 2>/dev/null
}
# the bpf file system's own entries (maps.debug, progs.debug: the kernel's preloaded iterators) aside
ours() { ls -A "$BPFFS" | grep -v '\.debug$' | tr '\n' ' '; }
apply() { "$1" apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$T/$2/bpf" 2>&1; }

# the steps, named, from one traced run (first apply, then a replacement)
KARMOR_LOADER_TRACE=1 apply "$LF" A >"$T/trace-first" || { bad setup "apply A: $(cat "$T/trace-first")"; finish; }
KARMOR_LOADER_TRACE=1 apply "$LF" B >"$T/trace-replace" || { bad setup "apply B: $(cat "$T/trace-replace")"; finish; }
"$L" detach "${D[@]}" >/dev/null
nfirst=$(grep -c ': step [0-9]*:' "$T/trace-first")
nrep=$(grep -c ': step [0-9]*:' "$T/trace-replace")
switch=$(grep -m1 ': the switch$' "$T/trace-replace" | sed 's/.*step \([0-9]*\):.*/\1/')
[ "$nfirst" -gt 10 ] && [ "$nrep" -gt 10 ] && [ -n "$switch" ] ||
	{ bad setup "no steps traced: $(head -c 300 "$T/trace-replace")"; finish; }
echo "     apply takes $nfirst steps (first), $nrep (replacing); the switch is step $switch"

# a first apply killed at every step: nothing, or A
bad_first=""
for k in $(seq 1 "$nfirst"); do
	KARMOR_LOADER_KILL_AT=$k apply "$LF" A >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 137 ] || { bad_first+=" step $k: exit $rc (not killed)"; continue; }
	now=$(enforcing)
	"$L" status "${D[@]}" >"$T/status" 2>&1
	after=$(enforcing)
	left=$(sides)
	case $now in none | A) ;; *) bad_first+=" step $k: $now enforces" ;; esac
	[ "$after" = "$now" ] || bad_first+=" step $k: $now before status, $after after"
	[ -z "$left" ] || bad_first+=" step $k: left $left"
	"$L" detach "${D[@]}" >/dev/null 2>&1 || bad_first+=" step $k: detach failed"
	[ -z "$(ours)$(ls -A "$STATE" 2>/dev/null)" ] || bad_first+=" step $k: detach left $(ours)"
done
[ -z "$bad_first" ] && ok "a first apply killed at each of its $nfirst steps: nothing or all of it enforces; status cleans up, detach leaves nothing" ||
	bad "first apply killed" "$bad_first"

# with A applied, an apply of B killed at every step: A before the switch, B from it on
bad_rep="" counts=""
nA=0 nB=0
for k in $(seq 1 "$nrep"); do
	if ! out=$(apply "$L" A) || [ "$(enforcing)" != A ]; then
		bad_rep+=" step $k: cannot start from A ($out)"
		continue
	fi
	genA=$(gen_of_state)
	KARMOR_LOADER_KILL_AT=$k apply "$LF" B >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 137 ] || { bad_rep+=" step $k: exit $rc (not killed)"; continue; }
	want=A
	[ "$k" -ge "$switch" ] && want=B
	now=$(enforcing)
	[ "$now" = "$want" ] || bad_rep+=" step $k ($(sed -n 's/.*killed at step [0-9]*, //p' "$T/out")): $now enforces, wanted $want"
	"$L" status "${D[@]}" >"$T/status" 2>&1 || bad_rep+=" step $k: status failed: $(head -c 200 "$T/status")"
	after=$(enforcing)
	[ "$after" = "$now" ] || bad_rep+=" step $k: $now before status, $after after"
	left=$(sides)
	[ -z "$left" ] || bad_rep+=" step $k: left $left"
	# the state names the generation that judges: A's before the switch, the next one after
	wantgen=$genA
	[ $want = B ] && wantgen=$((genA + 1))
	gen=$(gen_of_state)
	act=$(gen_active)
	[ "$gen" = "$wantgen" ] && [ "$act" = "$wantgen" ] ||
		bad_rep+=" step $k: state generation '$gen', karmor_active '$act', wanted $wantgen"
	[ "$now" = A ] && nA=$((nA + 1)) || nB=$((nB + 1))
done
[ -z "$bad_rep" ] &&
	ok "a replacing apply killed at each of its $nrep steps: A enforces before the switch ($nA steps), B from it on ($nB), never both or neither; status completes or undoes it" ||
	bad "replacing apply killed" "$bad_rep"
"$L" detach "${D[@]}" >"$T/out" 2>&1 && [ -z "$(ours)$(sides)" ] && [ ! -e "$STATE" ] &&
	ok "detach after all of it leaves nothing" || bad "detach" "$(cat "$T/out") $(ours) $(sides)"

# ---- other faults (issue 14): the state's disk full, two applies at once, the bpf file
# system unmounted under the pins
FULL=$T/full
mkdir -p "$FULL" && mount -t tmpfs -o size=256k tmpfs "$FULL" || { bad setup "cannot mount a tmpfs at $FULL"; finish; }
DF=(--pin-dir "$PIN" --state-dir "$FULL/state")
fill() { dd if=/dev/zero of="$FULL/fill" bs=4k >/dev/null 2>&1; }
applyf() { "$L" apply --without-lsm "${DF[@]}" --bind "$TGT=$CG" "$T/$1/bpf" >"$T/out" 2>&1; }
fill
applyf A
rc=$? now=$(enforcing)
[ $rc -eq 1 ] && grep -q 'No space left on device' "$T/out" && grep -q 'nothing was applied' "$T/out" &&
	[ "$now" = none ] && [ -z "$(ours)$(ls -A "$FULL/state" 2>/dev/null)" ] &&
	ok "a first apply on a full disk: refused saying so (No space left on device), nothing pinned or attached" ||
	bad "first apply, disk full" "exit $rc, $now enforces, left [$(ours)] [$(ls -A "$FULL/state" 2>/dev/null)]: $(cat "$T/out")"
rm -f "$FULL/fill"
applyf A || bad "apply A (disk free)" "$(cat "$T/out")"
fill
applyf B
rc=$? now=$(enforcing)
"$L" status "${DF[@]}" >"$T/status" 2>&1
st=$?
[ $rc -eq 1 ] && grep -q 'No space left on device' "$T/out" && grep -q 'the images applied before enforce' "$T/out" &&
	[ "$now" = A ] && [ $st -eq 0 ] && [ -z "$(ls -d "$PIN"-* "$FULL"/state-* "$FULL"/state.* 2>/dev/null)" ] &&
	ok "a replacing apply on a full disk: refused saying so; A still enforces, status is clean, nothing staged is left" ||
	bad "replacing apply, disk full" "exit $rc, $now enforces, status $st, left $(ls -d "$PIN"-* "$FULL"/state-* "$FULL"/state.* 2>/dev/null): $(cat "$T/out")"
rm -f "$FULL/fill"
"$L" detach "${DF[@]}" >/dev/null 2>&1
umount "$FULL"

apply "$L" A >"$T/o1" 2>&1 &
p1=$!
apply "$L" B >"$T/o2" 2>&1 &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
now=$(enforcing) gen=$(gen_of_state) act=$(gen_active)
# both ran, one after the other (the lock): the second replaced the first
last=B
grep -q 'it replaced the images applied before' "$T/o1" && last=A
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ "$now" = $last ] && [ "$gen" = 2 ] && [ "$act" = 2 ] && [ -z "$(sides)" ] &&
	ok "two applies at once: one waits for the other's lock; the second replaces the first ($last enforces, generation 2 in the state and in karmor_active), nothing left aside" ||
	bad "two applies at once" "exits $r1 $r2, $now enforces (wanted $last), generation $gen/$act, left $(sides): $(tail -n 1 "$T/o1") / $(tail -n 1 "$T/o2")"
"$L" detach "${D[@]}" >/dev/null 2>&1

apply "$L" A >/dev/null 2>&1
umount -l "$BPFFS"
"$L" status "${D[@]}" >"$T/status" 2>&1
st=$?
mount -t bpf bpf "$BPFFS"
apply "$L" A >"$T/out" 2>&1
rc=$?
grep -q 'the pins are incomplete' "$T/status" && [ $st -ne 0 ] && [ $rc -eq 1 ] &&
	grep -q 'pins under .* that are gone (was its bpf file system unmounted?)' "$T/out" &&
	"$L" detach "${D[@]}" >/dev/null 2>&1 && [ ! -e "$STATE" ] && apply "$L" A >/dev/null 2>&1 && [ "$(enforcing)" = A ] &&
	ok "the bpf file system unmounted under the pins: status and apply say the pins are gone; detach, then apply, enforces again" ||
	bad "bpffs unmounted" "status $st: $(cat "$T/status"); apply $rc: $(cat "$T/out")"
"$L" detach "${D[@]}" >/dev/null 2>&1

# hostile bundles, every hash right (tests/loader/hostile-bundles.py): refused by verify
# (structure) or by apply (an artifact), saying why; nothing pinned, attached or staged
mkdir "$T/hostile"
"$KC" bundle -o "$T/A.kb" "$T/A.yaml" >"$T/kc.log" 2>&1 &&
	python3 "$HERE/hostile-bundles.py" "$T/A.kb" "$T/hostile" >"$T/hostile/cases" 2>"$T/kc.log" ||
	{ bad "hostile bundles" "cannot make them: $(cat "$T/kc.log")"; finish; }
hbad="" nh=0
while IFS=$'\t' read -r name phase msg; do
	f=$T/hostile/$name.kb
	nh=$((nh + 1))
	"$L" verify "$f" >"$T/out" 2>&1
	rc=$?
	if [ $phase = verify ]; then
		{ [ $rc -eq 1 ] && grep -qE "$msg" "$T/out"; } || hbad+=" [$name: verify exit $rc: $(head -c 300 "$T/out")]"
	else
		[ $rc -eq 0 ] || hbad+=" [$name: verify exit $rc (its hashes are right): $(head -c 300 "$T/out")]"
	fi
	"$L" apply --without-lsm "${D[@]}" --bind "$TGT=$CG" "$f" >"$T/out" 2>&1
	rc=$?
	{ [ $rc -eq 1 ] && grep -qE "$msg" "$T/out"; } || hbad+=" [$name: apply exit $rc: $(head -c 300 "$T/out")]"
	[ -z "$(ours)$(sides)" ] && [ ! -e "$STATE" ] && [ "$(enforcing)" = none ] ||
		hbad+=" [$name: apply left $(ours) $(sides) $(ls -A "$STATE" 2>/dev/null), $(enforcing) enforces]"
done <"$T/hostile/cases"
[ -z "$hbad" ] && [ "$nh" -ge 10 ] &&
	ok "$nh hostile bundles with every hash right (duplicate or climbing section names, truncated, 65,537 sections, a manifest that lists fewer, truncated or forged map images): refused by verify or apply, saying why; nothing pinned, attached or staged" ||
	bad "hostile bundles" "$nh made:$hbad"
finish
