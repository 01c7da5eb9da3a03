#!/usr/bin/env bash
# Allocation failures, SQLite's way (issue 14): a compile of a real policy set (every
# backend: AppArmor, BPF, SELinux), a bundle of it and a lint of it (SARIF, with a
# workload inventory) are each run once per allocation they make, with exactly that
# one failing (tests/alloc/failalloc.c, LD_PRELOAD'ed: karmorc's, libyaml's, PCRE2's and
# libc's allocations alike).  Each run must either succeed with exactly the output of a
# run with no failure (a failure the code absorbs, e.g. stdio left unbuffered), or exit 3
# with a message that says memory ran out and leave nothing on disk: not -o DIR or FILE,
# no temporary file.  Never a signal; under SAN=1 never a leak or other sanitizer report.
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
INV=$ROOT/testdata/lint/inventory/inventory
# bundle's scratch directory goes here: it must be empty after every run
export TMPDIR=$T/tmpdir
mkdir "$TMPDIR" || exit 1
# each command writes OUT: compile a folder, bundle a file, lint its report on stdout
run_cmd() { # NAME OUT
	case $1 in
	compile) "$KC" compile --target=all -o "$2" "${SET[@]}" >"$T/o" ;;
	bundle) "$KC" bundle -o "$2" "${SET[@]}" >"$T/o" ;;
	lint) "$KC" lint --format=sarif --workloads "$INV" "${SET[@]}" >"$2" ;;
	esac
}
# left OUT: what a refused run left on disk (lint: its stdout is not a file it made)
left() { # NAME OUT
	ls -d "$TMPDIR"/* 2>/dev/null
	case $1 in
	lint) ;;
	*) [ -e "$2" ] && echo "$2"; ls -d "$2".tmp* 2>/dev/null; (cd "$(dirname "$2")" && ls -d .*.tmp* *.tmp* 2>/dev/null) ;;
	esac
}
summary=()
for cmd in compile bundle lint; do
	ref=$T/$cmd-ref
	FAILALLOC_COUNT=$T/count LD_PRELOAD=$SHIM run_cmd $cmd "$ref" 2>"$T/ref.err"
	refrc=$?
	if [ $refrc -ne 0 ]; then
		bad "$cmd (reference)" "exit $refrc with no allocation failing: $(tail -n 3 "$T/ref.err")"
		continue
	fi
	n=$(cat "$T/count")
	[ "$n" -gt 100 ] || bad "$cmd count" "only $n allocations counted: is the shim preloaded?"
	first=${2:-1} last=${3:-$n}
	absorbed=0 refused=0
	for ((i = first; i <= last; i++)); do
		mkdir "$T/w" && cd "$T/w" || exit 1
		out=$T/w/out
		FAILALLOC_AT=$i LD_PRELOAD=$SHIM run_cmd $cmd "$out" 2>"$T/e"
		rc=$?
		what="$cmd: allocation $i of $n"
		case $rc in
		0)
			l=$(ls -d "$TMPDIR"/* 2>/dev/null)
			if [ -n "$l" ]; then
				bad "$what" "exit 0 left $l"
			elif diff -r "$ref" "$out" >/dev/null; then
				ok
				absorbed=$((absorbed + 1))
			else
				bad "$what" "exit 0 with output other than the reference's"
			fi
			;;
		3)
			l=$(left $cmd "$out")
			if ! grep -qE '^karmorc: .*(out of memory|Cannot allocate memory)' "$T/e"; then
				bad "$what" "exit 3 without saying memory ran out: $(tail -n 2 "$T/e" | tr '\n' ' ')"
			elif [ -n "$l" ]; then
				bad "$what" "exit 3 left output: $l $([ -d "$out" ] && cd "$out" && find . -mindepth 1 | head -n 5 | tr '\n' ' ')"
			elif grep -qE 'Sanitizer|runtime error' "$T/e"; then
				bad "$what" "$(grep -m1 -E 'Sanitizer|runtime error' "$T/e")"
			else
				ok
				refused=$((refused + 1))
			fi
			;;
		*)
			bad "$what" "exit $rc: $(grep -m1 -E 'Sanitizer|runtime error|ERROR' "$T/e" || tail -n 2 "$T/e" | tr '\n' ' ')"
			;;
		esac
		cd "$T" && rm -rf "$T/w" "${TMPDIR:?}"/*
	done
	summary+=("$cmd $n ($refused refused, $absorbed absorbed)")
done
echo "allocation failures over ${#SET[@]} policies, each allocation failed in turn: ${summary[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
