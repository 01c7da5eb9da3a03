#!/usr/bin/env bash
# karmor-loader events --selinux (runtime-loader/avc.c), on the host: AVC records of
# testdata/selinux/avc.log (captured in the VM, in audit.log and dmesg form) attributed
# through the rule table karmorc writes for testdata/selinux/labels.yaml, compared with
# testdata/selinux/avc.expected.jsonl (HostName, this machine's, left out); the same for
# testdata/selinux/avc-sources.log (records of the VM's run of host-sources.yaml, given an
# audit header) through sources.yaml's table; then the command's refusals.  Usage: tests/loader/avc.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${1:-build}
loader=$build/karmor-loader
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

"$build/karmorc" compile --target=selinux -o "$work/out" testdata/selinux/labels.yaml >/dev/null 2>&1
[ -f "$work/out/selinux/"*.rules ] && ok "karmorc writes the rule table beside the module" ||
	bad "no rule table in $work/out/selinux"
"$loader" events --selinux "$work/out/selinux" --json --from testdata/selinux/avc.log >"$work/json" 2>"$work/err"
rc=$?
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l); e.pop("HostName", None); print(json.dumps(e, separators=(",", ":")))' "$work/json" >"$work/got"
if [ $rc -eq 0 ] && diff -u testdata/selinux/avc.expected.jsonl "$work/got" >"$work/diff"; then
	ok "AVC records become the expected alerts (Block, Audit, exec, permissive; other types ignored)"
else
	bad "events --selinux --json (exit $rc): $(head -c 600 "$work/diff" "$work/err")"
fi
# sockets, capabilities and the posture: testdata/selinux/sources.yaml's domains
"$build/karmorc" compile --target=selinux -o "$work/src" testdata/selinux/sources.yaml >/dev/null 2>&1
"$loader" events --selinux "$work/src/selinux" --json --from testdata/selinux/avc-sources.log >"$work/json2" 2>"$work/err"
rc=$?
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l); e.pop("HostName", None); print(json.dumps(e, separators=(",", ":")))' "$work/json2" >"$work/got2"
if [ $rc -eq 0 ] && diff -u testdata/selinux/avc-sources.expected.jsonl "$work/got2" >"$work/diff"; then
	ok "socket and capability records of a program's domain, and the posture's, become the expected alerts"
else
	bad "events --selinux --json, sources (exit $rc): $(head -c 600 "$work/diff" "$work/err")"
fi
cat "$work/json2" >>"$work/json"
python3 tests/loader/vm-events.py "$work/json" >"$work/fmt" && ok "the alerts have KubeArmor's keys, in its order" ||
	bad "alert format: $(grep -v '^ok' "$work/fmt" | head -3)"
"$loader" events --selinux "$work/out/selinux" --from testdata/selinux/avc.log >"$work/text" 2>&1
[ "$(wc -l <"$work/text")" -eq 4 ] && grep -q '^.* Block exec execute /srv/d/tool target=' "$work/text" &&
	ok "the text form: a line per alert" || bad "text form: $(head -3 "$work/text")"
printf 'x\tonly two\n' >"$work/bad.rules"
"$loader" events --selinux "$work" --from testdata/selinux/avc.log >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q 'bad.rules:1: not a rule table line' "$work/err" && ok "a damaged rule table is refused with its line" ||
	bad "damaged table: $(cat "$work/err")"
"$loader" events --selinux "$work/none" --from testdata/selinux/avc.log >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q "$work/none" "$work/err" && ok "a missing directory is refused" || bad "missing dir: $(cat "$work/err")"
mkdir "$work/empty"
"$loader" events --selinux "$work/empty" --from - </dev/null >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -q 'no rule table' "$work/err" && ok "a directory without rule tables is refused" ||
	bad "empty dir: $(cat "$work/err")"
"$loader" events --from testdata/selinux/avc.log >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q -- '--from goes with --selinux' "$work/err" && ok "--from without --selinux is a usage error" ||
	bad "--from alone: $(cat "$work/err")"
"$loader" events --selinux "$work/out/selinux" --drain >/dev/null 2>"$work/err"
[ $? -eq 2 ] && ok "--drain with --selinux is a usage error" || bad "--drain --selinux: $(cat "$work/err")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
