#!/usr/bin/env bash
# karmor-loader events --apparmor (runtime-loader/aa_audit.c), on the host: the AppArmor
# records the VM's run of five scenario files gave (testdata/apparmor-events/NAME.log,
# the R lines of scripts/vmtest with an audit header: files, execs, sockets,
# capabilities, ownerOnly and readOnly, fromSource child profiles, the postures, a
# workload inventory's identity), attributed through the rule tables karmorc writes for
# testdata/scenarios/model/NAME.yaml, compared with NAME.expected.jsonl (HostName, this
# machine's, left out).  scripts/vmtest checks the same attribution against every case's
# verdict and policy in the VM; this keeps it in `make test`.  modifiers.log ends with a
# STATUS record and one of another profile (ignored) and a dmesg line whose name and comm
# the kernel wrote in hex.  Then the command's refusals.
# Usage: tests/loader/aa-events.sh [BUILD_DIR]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
build=${1:-build}
loader=$build/karmor-loader
. tests/loader/lib.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

: >"$work/all.json"
for n in classes host-sources inventory modifiers posture; do
	"$build/karmorc" compile --target=apparmor --scenario "testdata/scenarios/model/$n.yaml" -o "$work/$n" \
		>/dev/null 2>&1
	"$loader" events --apparmor "$work/$n/apparmor-rules" --json --from "testdata/apparmor-events/$n.log" \
		>"$work/$n.json" 2>"$work/err"
	rc=$?
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l); e.pop("HostName", None); print(json.dumps(e, separators=(",", ":")))' "$work/$n.json" >"$work/got"
	if [ $rc -eq 0 ] && diff -u "testdata/apparmor-events/$n.expected.jsonl" "$work/got" >"$work/diff"; then
		ok "$n: the records become the expected alerts ($(wc -l <"$work/got"))"
	else
		bad "$n" "exit $rc: $(head -c 800 "$work/diff" "$work/err")"
	fi
	cat "$work/$n.json" >>"$work/all.json"
done
# host-sources has child profiles: what every profile holds is one TARGET//ALL line, not one a
# profile (the child lookups above go through those lines)
python3 - "$work/host-sources/apparmor-rules" >"$work/once" 2>&1 <<'PY'
import collections, os, sys
d = sys.argv[1]
every = children = 0
for f in sorted(os.listdir(d)):
    seen = collections.Counter()
    for l in open(os.path.join(d, f)):
        if l.startswith(("#", "@")):
            continue
        key, rest = l.split("\t", 1)
        every += "//ALL/" in key
        children += "//src-" in key
        seen[rest] += 1
    twice = [r for r, n in seen.items() if n > 1]
    assert not twice, "%s: a line written for several profiles: %s" % (f, twice[0][:120])
assert every and children, "expected TARGET//ALL lines and child profiles' own lines (%d, %d)" % (every, children)
print(every, children)
PY
[ $? -eq 0 ] && ok "a rule table writes each line once: TARGET//ALL for every profile ($(cat "$work/once"))" ||
	bad "rule table lines" "$(tail -2 "$work/once")"
python3 tests/loader/vm-events.py "$work/all.json" >"$work/fmt" && ok "the alerts have KubeArmor's keys, in its order" ||
	bad "alert format" "$(grep -v '^ok' "$work/fmt" | head -3)"

"$loader" events --apparmor "$work/classes/apparmor-rules" --from testdata/apparmor-events/classes.log >"$work/text" 2>&1
[ "$(wc -l <"$work/text")" -eq 17 ] && grep -q ' Block exec x /usr/bin/top target=.* policy=classes-proc-block pid=' "$work/text" &&
	ok "the text form: a line per alert" || bad "text form" "$(head -3 "$work/text")"

# the tables and the command's arguments
cp -r "$work/classes/apparmor-rules" "$work/damaged"
t=$(grep -l "$(printf '/file\t')" "$work/damaged"/*.rules | head -n 1)
cp "$t" "$work/t.keep"
printf 'x\tonly two\n' >>"$t"
"$loader" events --apparmor "$work/damaged" --from testdata/apparmor-events/classes.log >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "$(basename "$t"):[0-9]*: not a rule table line (12" "$work/err" &&
	ok "a damaged rule table is refused with its line" || bad "damaged table" "$(cat "$work/err")"
sed "s/\t^\/[^\t]*\$/\t^([/" "$work/t.keep" >"$t"
"$loader" events --apparmor "$work/damaged" --from - </dev/null >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q 'its match is not a pattern PCRE2 compiles' "$work/err" &&
	ok "a file line whose pattern does not compile is refused" || bad "bad pattern" "$(cat "$work/err")"
grep -v '^@target' "$work/t.keep" >"$t"
"$loader" events --apparmor "$work/damaged" --from - </dev/null >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -qE 'a rule line before the @target line|: no @target line' "$work/err" &&
	ok "a table without its @target line is refused" || bad "no @target" "$(cat "$work/err")"
mkdir "$work/empty"
"$loader" events --apparmor "$work/empty" --from - </dev/null >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q 'no rule table' "$work/err" && ok "a directory without rule tables is refused" ||
	bad "empty dir" "$(cat "$work/err")"
"$loader" events --apparmor "$work/none" --from - </dev/null >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "$work/none" "$work/err" && ok "a missing directory is refused" || bad "missing dir" "$(cat "$work/err")"
"$loader" events --selinux "$work/empty" --apparmor "$work/empty" >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q 'exclude each other' "$work/err" && ok "--selinux with --apparmor is a usage error" ||
	bad "--selinux --apparmor" "$(cat "$work/err")"
"$loader" events --apparmor "$work/classes/apparmor-rules" --follow >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q -- '--drain and --follow are for the BPF ring buffer' "$work/err" &&
	ok "--follow with --apparmor is a usage error" || bad "--follow --apparmor" "$(cat "$work/err")"
finish
