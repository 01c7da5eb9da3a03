#!/usr/bin/env bash
# Allocation failures, SQLite's way (issue 14): a compile of a real policy set (every
# backend: AppArmor, BPF, SELinux) is run once per allocation it makes, with exactly that
# one failing (tests/alloc/failalloc.c, LD_PRELOAD'ed: karmorc's, libyaml's, PCRE2's and
# libc's allocations alike).  Each run must either succeed with exactly the output of a
# run with no failure (a failure the code absorbs, e.g. stdio left unbuffered), or exit 3
# with a message that says memory ran out and leave nothing on disk: not -o DIR, no
# temporary file.  Never a signal; under SAN=1 never a leak or other sanitizer report.
# Usage: tests/alloc/run.sh BUILD_DIR [FIRST LAST]   (prints "N passed, M failed")
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
KC=$BUILD/karmorc
SHIM=$BUILD/failalloc.so
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
[ -x "$KC" ] && [ -f "$SHIM" ] || { echo "FAIL setup: $KC or $SHIM missing (make $SHIM)"; echo "0 passed, 1 failed"; exit 1; }

P=$ROOT/testdata/scenarios/kubearmor/policies
SET=("$P/github_test_08-ksp-ubuntu-1-file-pattern-owner-readonly-block.yaml"
	"$P/github_test_10-ksp-ubuntu-1-cap-net-raw-block.yaml"
	"$P/github_test_14-ksp-ubuntu-1-net-raw-block.yaml"
	"$P/hsp-k8s-kubearmor-dev-file-dir-allow-fromSource.yaml"
	"$P/hsp-k8s-kubearmor-dev-proc-path-block.yaml"
	"$P/ksp-group-2-file-path-allow-from-source-path.yaml"
	"$P/ksp-ubuntu-1-file-dir-recursive-owner-readonly-block.yaml")
T=$(mktemp -d /tmp/karmorc-alloc.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
# ASan must let the shim come first; a leak is its own exit status (LSan's 23)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
compile() { "$KC" compile --target=all -o "$1" "${SET[@]}"; }

# the reference, and how many allocations it makes
FAILALLOC_COUNT=$T/count LD_PRELOAD=$SHIM compile "$T/ref" >"$T/ref.out" 2>"$T/ref.err" ||
	{ bad reference "the compile fails with no allocation failing: $(tail -n 3 "$T/ref.err")"; echo "$pass passed, $fail failed"; exit 1; }
n=$(cat "$T/count")
[ "$n" -gt 100 ] || bad count "only $n allocations counted: is the shim preloaded?"
first=${2:-1} last=${3:-$n}
absorbed=0 refused=0
for ((i = first; i <= last; i++)); do
	out=$T/out
	rm -rf "$out"
	FAILALLOC_AT=$i LD_PRELOAD=$SHIM compile "$out" >"$T/o" 2>"$T/e"
	rc=$?
	case $rc in
	0)
		if diff -r "$T/ref" "$out" >/dev/null; then
			ok
			absorbed=$((absorbed + 1))
		else
			bad "allocation $i of $n" "exit 0 with output other than the reference's"
		fi
		;;
	3)
		if ! grep -qE '^karmorc: .*(out of memory|Cannot allocate memory)' "$T/e"; then
			bad "allocation $i of $n" "exit 3 without saying memory ran out: $(tail -n 2 "$T/e" | tr '\n' ' ')"
		elif [ -e "$out" ]; then
			bad "allocation $i of $n" "exit 3 left output: $(cd "$out" && find . -mindepth 1 | head -n 5 | tr '\n' ' ')"
		elif grep -qE 'Sanitizer|runtime error' "$T/e"; then
			bad "allocation $i of $n" "$(grep -m1 -E 'Sanitizer|runtime error' "$T/e")"
		else
			ok
			refused=$((refused + 1))
		fi
		;;
	*)
		bad "allocation $i of $n" "exit $rc: $(grep -m1 -E 'Sanitizer|runtime error|ERROR' "$T/e" || tail -n 2 "$T/e" | tr '\n' ' ')"
		;;
	esac
done
echo "allocation failures: $n allocations in a compile of ${#SET[@]} policies (--target=all); failed in turn $first..$last: $refused refused (exit 3), $absorbed absorbed (the reference output)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
