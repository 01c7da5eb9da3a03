#!/usr/bin/env bash
# Replays testdata/fuzz/NAME/ (every input that ever crashed a harness, and a few hostile
# ones written by hand) through each harness built without libFuzzer (BUILD/fuzz-replay:
# gcc, and ASan+UBSan under SAN=1).  Prints "N passed, M failed".
# Usage: tests/fuzz/replay.sh BUILD_DIR
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
pass=0 fail=0
for n in policy workloads scenario image bundle landlock; do
	bin=$build/fuzz-replay/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "FAIL $n: $bin missing"
		fail=$((fail + 1))
		continue
	fi
	out=$("$bin" "testdata/fuzz/$n" 2>&1)
	rc=$?
	line=$(tail -n 1 <<<"$out")
	if [ $rc -eq 0 ] && [[ $line =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
		pass=$((pass + BASH_REMATCH[1]))
		echo "ok   $n: ${BASH_REMATCH[1]} inputs"
	else
		fail=$((fail + 1))
		echo "FAIL $n: exit $rc: $(grep -m1 -E 'ERROR|runtime error' <<<"$out" || tail -n 3 <<<"$out" | tr '\n' ' ')"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
