#!/usr/bin/env bash
# The event lines karmor-loader prints (text and KubeArmor's alert JSON), one event of
# every hook, against testdata/events/alerts.golden: the formatter (runtime-loader/alert.c)
# over images karmorc compiles from testdata/events/ with an inventory, so container events
# carry the workload's identity and the node's say MatchedHostPolicy.  Each line is a test.
# Usage: tests/loader/alerts.sh [BUILD_DIR] [--update]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${1:-build}
golden=testdata/events/alerts.golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
KARMORC_BPF_OBJECT=$top/build/bpf/karmor.bpf.o "$build/karmorc" compile --target=bpf \
	--workloads testdata/lint/inventory/inventory -o "$tmp/out" testdata/events/policies.yaml >"$tmp/err" 2>&1 || {
	cat "$tmp/err"
	echo "FAIL compile testdata/events/policies.yaml"
	echo "0 passed, 1 failed"
	exit 1
}
got=$tmp/got
: >"$got"
for who in wl-shop-web-nginx host-worker-1; do
	img=$(ls "$tmp"/out/bpf/karmorc-"$who"-*.kmi 2>/dev/null | head -n 1)
	[ -n "$img" ] || { echo "FAIL no image for $who"; echo "0 passed, 1 failed"; exit 1; }
	"$build/alerts" "$img" >>"$got" || { echo "FAIL alerts $img"; echo "0 passed, 1 failed"; exit 1; }
done
if [ "${2:-}" = --update ]; then
	cp "$got" "$golden"
	echo "wrote $golden"
	exit 0
fi
pass=0 fail=0
n=$(wc -l <"$golden")
[ "$(wc -l <"$got")" -eq "$n" ] || { echo "FAIL $(wc -l <"$got") lines, the golden file has $n"; fail=$((fail + 1)); }
for ((i = 1; i <= n; i++)); do
	want=$(sed -n "${i}p" "$golden")
	have=$(sed -n "${i}p" "$got")
	if [ "$want" = "$have" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL line $i"
		echo "  want: $want"
		echo "  got:  $have"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
