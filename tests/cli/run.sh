#!/usr/bin/env bash
# Command-line and hostile-input tests for karmorc.
#
#   tests/cli/run.sh BUILD_DIR        (BUILD_DIR: build, build/san, ... relative to the repo root,
#                                      or absolute)
#
# One line per test ("ok   name" or "FAIL name: why"), then "N passed, M failed".
# Exit 0 only when nothing failed.  Every karmorc run is under `timeout 20` (KC_HANG_SECONDS): exit 124 is
# a hang, an exit >= 128 a crash, and an ASan/UBSan report on stderr a failure too.
# Inputs are generated at run time in a temporary directory removed on exit.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$HERE/data
FMT=$HERE/diagfmt.py

BUILD=${1:-build}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
K=$BUILD/karmorc
if [ ! -x "$K" ]; then
	echo "FAIL setup: no executable $K (build it first: make -C $ROOT)"
	echo "0 passed, 1 failed"
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/karmorc-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP
W=$T/w			# the working directory of every test: diagnostics show short names
mkdir -p "$W"
cd "$W" || exit 1

# Sanitizer reports must not be mistaken for the exit code 1 of an invalid input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

PASS=0
FAILS=0
WHY=

# ------------------------------------------------------------------ helpers

fail() { [ -n "$WHY" ] || WHY="$*"; }

# kc [--in FILE] ARGS...: runs karmorc; RC, $OUT (stdout file), $ERR (stderr file).
OUT=$T/out
ERR=$T/err
# what counts as a hang: 20 s, or more where every run is slowed down on purpose
# (scripts/valgrind sets KC_HANG_SECONDS)
KC_HANG=${KC_HANG_SECONDS:-20}
kc() {
	local in=/dev/null
	if [ "${1:-}" = --in ]; then
		in=$2
		shift 2
	fi
	# (the outer redirection keeps bash's "Segmentation fault" notice out of the report)
	{ timeout "$KC_HANG" "$K" "$@" <"$in" >"$OUT" 2>"$ERR"; } 2>/dev/null
	RC=$?
	if [ "$RC" -eq 124 ]; then
		fail "hang: karmorc $* did not finish in $KC_HANG s"
	elif [ "$RC" -ge 128 ]; then
		fail "crash: karmorc $* died with signal $((RC - 128))"
	fi
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$ERR"; then
		fail "sanitizer: $(grep -m1 -E 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$ERR" | cut -c1-200)"
	fi
	return 0
}

rc_is() { [ "$RC" = "$1" ] || fail "exit $RC, expected $1 ($(head -c 300 "$ERR" | tr '\n' ' '))"; }
rc_in() {
	local want
	for want in "$@"; do [ "$RC" = "$want" ] && return 0; done
	fail "exit $RC, expected one of $*"
}
err_has() { grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1' (stderr: $(head -c 300 "$ERR" | tr '\n' ' '))"; }
err_re() { grep -qE -- "$1" "$ERR" || fail "stderr does not match /$1/ (stderr: $(head -c 300 "$ERR" | tr '\n' ' '))"; }
err_lacks() { ! grep -qF -- "$1" "$ERR" || fail "stderr has '$1': $(grep -m1 -F -- "$1" "$ERR" | cut -c1-200)"; }
out_has() { grep -qF -- "$1" "$OUT" || fail "stdout lacks '$1' (stdout: $(head -c 300 "$OUT" | tr '\n' ' '))"; }
out_re() { grep -qE -- "$1" "$OUT" || fail "stdout does not match /$1/ (stdout: $(head -c 300 "$OUT" | tr '\n' ' '))"; }
out_lacks() { ! grep -qF -- "$1" "$OUT" || fail "stdout has '$1'"; }
out_empty() { [ ! -s "$OUT" ] || fail "stdout is not empty: $(head -c 200 "$OUT")"; }
# the line after the first line containing $1 must be exactly $2
err_next_is() {
	local got
	got=$(grep -A1 -m1 -F -- "$1" "$ERR" | sed -n 2p)
	[ "$got" = "$2" ] || fail "after '$1' expected '$2', got '$got'"
}
# the text diagnostics follow the C-compiler format (see diagfmt.py)
fmt_ok() {
	local why
	why=$(python3 "$FMT" "$ERR" "$W" 2>&1) || fail "diagnostic format: $why"
}
# every stdout line is a JSON object with the fields of a diagnostic
json_diags_ok() {
	local why
	why=$(python3 -c '
import json, sys
n = 0
for i, l in enumerate(sys.stdin.buffer.read().split(b"\n")):
    if not l:
        continue
    try:
        o = json.loads(l.decode("utf-8"))
    except Exception as e:
        sys.exit("line %d is not JSON: %s" % (i + 1, e))
    if not isinstance(o, dict):
        sys.exit("line %d is not an object" % (i + 1))
    for k, t in (("file", str), ("line", int), ("column", int), ("severity", str), ("code", str), ("message", str)):
        if not isinstance(o.get(k), t) or isinstance(o.get(k), bool):
            sys.exit("line %d: field %s missing or of the wrong type" % (i + 1, k))
    if o["severity"] not in ("error", "warning", "note"):
        sys.exit("line %d: severity %r" % (i + 1, o["severity"]))
    if len(o["code"]) != 6 or not o["code"].startswith("KC") or not o["code"][2:].isdigit():
        sys.exit("line %d: code %r" % (i + 1, o["code"]))
    n += 1
if n == 0:
    sys.exit("no JSON object")
' <"$OUT" 2>&1) || fail "JSON: $why"
}
# the last line of stdout is "N passed, M failed" with these numbers
summary_is() {
	local last
	last=$(tail -n 1 "$OUT")
	[ "$last" = "$1" ] || fail "last line of stdout is '$last', expected '$1'"
}
summary_last() {
	local last
	last=$(tail -n 1 "$OUT")
	[[ $last =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]] || fail "last line of stdout is '$last', not 'N passed, M failed'"
}

# KC_ONLY=REGEX runs only the tests whose name matches (the summary counts those)
t() {
	local name=$1
	shift
	if [ -n "${KC_ONLY:-}" ] && ! [[ $name =~ $KC_ONLY ]]; then
		return 0
	fi
	WHY=
	rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
	"$@"
	if [ -z "$WHY" ]; then
		echo "ok   $name"
		PASS=$((PASS + 1))
	else
		# keep the report one printable line whatever the input held
		echo "FAIL $name: $(printf '%s' "$WHY" | LC_ALL=C tr -c '[:print:]' '?' | cut -c1-400)"
		FAILS=$((FAILS + 1))
	fi
}

# pol [KIND [NAME]]: the first lines of a policy document (metadata left open)
pol() {
	printf 'apiVersion: security.kubearmor.com/v1\nkind: %s\nmetadata:\n  name: %s\n' \
		"${1:-KubeArmorPolicy}" "${2:-p1}"
}
# a minimal valid spec body
PROC='  process:
    matchPaths:
    - path: /bin/sleep
'
HSEL='  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: node-1
'

# ------------------------------------------------------------------ 1. exit codes, usage

t_valid() {
	cp "$DATA/valid.yaml" .
	kc check valid.yaml
	rc_is 0
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
	err_lacks "error:"
}
t_invalid() {
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - path: bin/sleep\n'; } >bad.yaml
	kc check bad.yaml
	rc_is 1
	err_has "bad.yaml:8:13: error: path 'bin/sleep' must be absolute"
	err_has "[KC0109]"
	err_has "1 error"
}
t_no_command() {
	kc
	rc_is 2
	err_has "missing command"
	err_has "usage: karmorc"
	out_empty
}
t_unknown_command() {
	kc frobnicate x.yaml
	rc_is 2
	err_has "unknown command 'frobnicate'"
}
t_check_no_path() {
	kc check
	rc_is 2
	err_has "check needs at least one PATH"
}
t_check_only_options() {
	kc check --schema=daemon
	rc_is 2
	err_has "check needs at least one PATH"
}
t_bad_schema() {
	cp "$DATA/valid.yaml" .
	kc check --schema=k8s valid.yaml
	rc_is 2
	err_has "--schema must be crd or daemon, not 'k8s'"
}
t_bad_format() {
	cp "$DATA/valid.yaml" .
	kc check --format=xml valid.yaml
	rc_is 2
	err_has "--format must be text or json, not 'xml'"
}
t_unknown_option() {
	cp "$DATA/valid.yaml" .
	kc check --frobnicate valid.yaml
	rc_is 2
	err_has "usage: karmorc"
}
t_missing_file() {
	kc check does-not-exist.yaml
	rc_is 3
	err_has "karmorc: does-not-exist.yaml: No such file or directory"
}
t_missing_file_among_valid() {
	cp "$DATA/valid.yaml" .
	kc check valid.yaml nope/missing.yaml
	rc_is 3
	err_has "nope/missing.yaml: No such file or directory"
}
t_help() {
	kc help
	rc_is 0
	out_has "usage: karmorc <command>"
	out_has "check"
	kc --help
	rc_is 0
	out_has "usage: karmorc"
	kc check --help
	rc_is 0
	out_has "usage: karmorc"
}
t_version() {
	kc --version
	rc_is 0
	out_re '^karmorc [0-9]+\.[0-9]+\.[0-9]+$'
	kc version
	rc_is 0
	out_re '^karmorc [0-9]+\.[0-9]+\.[0-9]+$'
}
t_test_no_file() {
	kc test
	rc_is 2
	err_has "test needs at least one SCENARIO_FILE"
}
t_test_missing_scenario() {
	# DESIGN §7: an I/O failure is exit 3, as for check and explain
	kc test no-such-scenario.yaml
	rc_is 3
	err_has "no-such-scenario.yaml: No such file or directory"
}

t valid_policy_exit_0 t_valid
t invalid_policy_exit_1 t_invalid
t usage_no_command_exit_2 t_no_command
t usage_unknown_command_exit_2 t_unknown_command
t usage_check_without_path_exit_2 t_check_no_path
t usage_check_only_options_exit_2 t_check_only_options
t usage_bad_schema_exit_2 t_bad_schema
t usage_bad_format_exit_2 t_bad_format
t usage_unknown_option_exit_2 t_unknown_option
t missing_file_exit_3 t_missing_file
t missing_file_among_valid_exit_3 t_missing_file_among_valid
t help_exit_0 t_help
t version_exit_0 t_version
t usage_test_without_file_exit_2 t_test_no_file
t test_missing_scenario_file_exit_3 t_test_missing_scenario

# ------------------------------------------------------------------ 2. diagnostics

t_format_exact() {
	{ pol; printf 'spec:\n  file:\n    matchDirectories:\n    - dir: /usr/bin\n      recursive: true\n'; } >d.yaml
	kc check d.yaml
	rc_is 1
	local want
	want="d.yaml:8:12: error: dir must end with '/' [KC0104]
    8 |     - dir: /usr/bin
      |            ^
      = fix: dir: /usr/bin/"
	[ "$(head -n 4 "$ERR")" = "$want" ] || fail "stderr starts with '$(head -n 4 "$ERR")', expected '$want'"
	fmt_ok
	err_has "1 file, 1 policy: 1 error, 0 warnings"
}
t_dir_slash_daemon() {
	{ pol; printf 'spec:\n  file:\n    matchDirectories:\n    - dir: /usr/bin\n'; } >d.yaml
	kc check --schema=daemon d.yaml
	rc_is 0
	err_has "d.yaml:8:12: warning: dir must end with '/'"
	err_has "[KC0125]"
	err_has "= fix: dir: /usr/bin/"
	fmt_ok
}
t_unknown_field() {
	{ pol; printf 'spec:\n  file:\n    matchDirectories:\n    - dir: /usr/bin/\n      recurive: true\n'; } >u.yaml
	kc check u.yaml
	rc_is 1
	err_has "u.yaml:9:7: error: unknown field 'recurive' in spec.file.matchDirectories[0]"
	err_has "[KC0105]"
	err_has "      = fix: did you mean 'recursive'?"
	fmt_ok
}
t_selector_labels() {
	{ pol; printf 'spec:\n  selector:\n    group: group-1\n%s' "$PROC"; } >s.yaml
	kc check s.yaml
	rc_is 1
	err_re "^s\.yaml:7:5: error: label 'group' placed straight under 'spec\.selector'.*\[KC0115\]$"
	err_has "= fix: put the labels under 'spec.selector.matchLabels'"
	fmt_ok
}
t_dup_key() {
	{ pol; printf 'spec:\n  selector:\n    matchLabels:\n      a: b\n    matchLabels:\n      c: d\n%s' "$PROC"; } >k.yaml
	kc check k.yaml
	rc_is 1
	err_re "^k\.yaml:9:5: error: duplicate key 'matchLabels'.*\[KC0007\]$"
	err_has "k.yaml:7:5: note: 'matchLabels' first appears here"
	err_next_is "k.yaml:7:5: note:" "    7 |     matchLabels:"
	fmt_ok
}
t_dup_key_nested_seq() {
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - path: /bin/a\n      path: /bin/b\n'; } >k.yaml
	kc check k.yaml
	rc_is 1
	err_has "k.yaml:9:7: error: duplicate key 'path'"
	err_has "k.yaml:8:7: note: 'path' first appears here"
	fmt_ok
}
t_lower_action_crd() {
	{ pol; printf 'spec:\n%s  action: audit\n' "$PROC"; } >a.yaml
	kc check a.yaml
	rc_is 1
	err_re "^a\.yaml:9:11: error: .*\[KC0108\]$"
	err_has "= fix: write 'Audit'"
	fmt_ok
}
t_lower_action_daemon() {
	{ pol; printf 'spec:\n%s  action: audit\n' "$PROC"; } >a.yaml
	kc check --schema=daemon a.yaml
	rc_is 0
	err_re "^a\.yaml:9:11: warning: lower-case action.*\[KC0125\]$"
	err_has "= fix: write 'Audit'"
	err_has "0 errors, 1 warning"
	fmt_ok
}
t_hsp_no_node_selector_crd() {
	{ pol KubeArmorHostPolicy h1; printf 'spec:\n%s' "$PROC"; } >h.yaml
	kc check h.yaml
	rc_is 1
	err_re "^h\.yaml:6:3: error: required field 'nodeSelector' is missing in spec \[KC0107\]$"
	fmt_ok
}
t_hsp_no_node_selector_daemon() {
	{ pol KubeArmorHostPolicy h1; printf 'spec:\n%s' "$PROC"; } >h.yaml
	kc check --schema=daemon h.yaml
	rc_is 0
	err_re "^h\.yaml:6:3: warning: required field 'nodeSelector' is missing.*\[KC0125\]$"
	fmt_ok
}
t_severity_11() {
	{ pol; printf 'spec:\n%s  severity: 11\n' "$PROC"; } >s.yaml
	kc check s.yaml
	rc_is 1
	err_has "s.yaml:9:13: error: 'severity' is 11; it must be between 1 and 10 [KC0111]"
	fmt_ok
}
t_severity_0() {
	{ pol; printf 'spec:\n  process:\n    severity: 0\n    matchPaths:\n    - path: /bin/sleep\n'; } >s.yaml
	kc check s.yaml
	rc_is 1
	err_has "s.yaml:7:15: error: 'severity' is 0; it must be between 1 and 10 [KC0111]"
}
t_severity_huge() {
	{ pol; printf 'spec:\n%s  severity: 99999999999999999999999\n' "$PROC"; } >s.yaml
	kc check s.yaml
	rc_is 1
	err_re "^s\.yaml:9:13: error: .*\[KC0111\]$"
}
t_path_too_long() {
	local p200 p201
	p200=/$(printf 'a%.0s' $(seq 199))
	p201=/$(printf 'a%.0s' $(seq 200))
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - path: %s\n' "$p200"; } >ok.yaml
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - path: %s\n' "$p201"; } >long.yaml
	kc check ok.yaml
	rc_is 0
	kc check long.yaml
	rc_is 1
	err_has "long.yaml:8:13: error: 'path' is 201 characters long; the limit is 200 [KC0110]"
	fmt_ok
}
t_path_length_counts_characters() {
	# maxLength counts characters: 150 two-byte characters (300 bytes) are within 200
	python3 -c '
import sys
sys.stdout.write("apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p1\n"
                 "spec:\n  file:\n    matchPaths:\n    - path: /" + "\u00e9" * 150 + "\n")' >u.yaml
	kc check u.yaml
	rc_is 0
	err_lacks "KC0110"
}
t_name_space() {
	{ pol KubeArmorPolicy "my policy"; printf 'spec:\n%s' "$PROC"; } >n.yaml
	kc check n.yaml
	rc_is 1
	err_re "^n\.yaml:4:9: error: metadata\.name 'my policy' is not a DNS-1123 subdomain.*\[KC0113\]$"
	fmt_ok
}
t_name_upper() {
	{ pol KubeArmorPolicy "BlockSleep"; printf 'spec:\n%s' "$PROC"; } >n.yaml
	kc check n.yaml
	rc_is 1
	err_re "^n\.yaml:4:9: error: metadata\.name 'BlockSleep' .*\[KC0113\]$"
}
t_name_missing() {
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  namespace: ns\nspec:\n%s' "$PROC" >n.yaml
	kc check n.yaml
	rc_is 1
	err_re "^n\.yaml:4:3: error: required field 'name' is missing in metadata \[KC0107\]$"
}
t_namespace_bad() {
	{ pol; printf '  namespace: Team_A\nspec:\n%s' "$PROC"; } >n.yaml
	kc check n.yaml
	rc_is 1
	err_re "^n\.yaml:5:14: error: metadata\.namespace 'Team_A' is not a DNS-1123 label.*\[KC0114\]$"
	fmt_ok
}
t_unknown_kind() {
	{ pol KubeArmorPolicyy; printf 'spec:\n%s' "$PROC"; } >k.yaml
	kc check k.yaml
	rc_is 1
	err_has "k.yaml:2:7: error: unknown kind 'KubeArmorPolicyy' in the security.kubearmor.com group [KC0101]"
	err_has "= fix: did you mean 'KubeArmorPolicy'?"
	fmt_ok
}
t_unknown_version() {
	{ printf 'apiVersion: security.kubearmor.com/v2\nkind: KubeArmorPolicy\nmetadata:\n  name: p1\nspec:\n%s' "$PROC"; } >k.yaml
	kc check k.yaml
	rc_is 1
	err_re "^k\.yaml:1:13: error: unknown version 'security\.kubearmor\.com/v2'.*\[KC0101\]$"
}
t_foreign_document() {
	{ printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n---\n'
		pol; printf 'spec:\n%s' "$PROC"; } >m.yaml
	kc check m.yaml
	rc_is 0
	err_re "^m\.yaml:1:1: note: skipping Deployment.*\[KC0103\]$"
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
	fmt_ok
}
t_foreign_only() {
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n' >cm.yaml
	kc check cm.yaml
	rc_is 1
	err_has "KC0103"
	err_re "error: no KubeArmor policy in 1 file \[KC0011\]"
}
t_network_policy() {
	{ pol KubeArmorNetworkPolicy np; printf 'spec:\n  ingress: []\n'; } >n.yaml
	kc check n.yaml
	rc_is 0
	err_re "^n\.yaml:2:7: warning: KubeArmorNetworkPolicy is recognised but not compiled.*\[KC0102\]$"
	fmt_ok
}
t_no_rules() {
	{ pol; printf 'spec:\n  selector:\n    matchLabels:\n      a: b\n  action: Block\n'; } >n.yaml
	kc check n.yaml
	rc_is 1
	err_re "^n\.yaml:6:3: error: this KubeArmorPolicy has no rule at all.*\[KC0116\]$"
	fmt_ok
}
t_no_spec() {
	pol >n.yaml
	kc check n.yaml
	rc_is 1
	err_re "^n\.yaml:1:1: error: this KubeArmorPolicy has no rule at all.*\[KC0116\]$"
}
t_empty_section() {
	{ pol; printf 'spec:\n  process:\n    action: Block\n  file:\n    matchPaths:\n    - path: /etc/shadow\n'; } >e.yaml
	kc check e.yaml
	rc_is 1
	err_re "^e\.yaml:7:5: error: section 'process' has no match entry.*\[KC0117\]$"
	err_lacks "KC0116"
	fmt_ok
}
t_empty_section_empty_list() {
	{ pol; printf 'spec:\n  network:\n    matchProtocols: []\n'; } >e.yaml
	kc check e.yaml
	rc_is 1
	err_has "section 'network' has no match entry"
	err_has "[KC0117]"
}
t_comma_protocol() {
	{ pol; printf 'spec:\n  network:\n    matchProtocols:\n    - protocol: tcp,udp\n'; } >p.yaml
	kc check p.yaml
	rc_is 0
	err_re "^p\.yaml:8:17: warning: protocol list 'tcp,udp'.*\[KC0124\]$"
	fmt_ok
	# every element is expanded: both protocols are denied in the compiled profile
	kc compile --target=apparmor -o out p.yaml
	rc_is 0
	grep -q '^  audit deny network tcp,$' out/apparmor/* || fail "tcp not compiled"
	grep -q '^  audit deny network udp,$' out/apparmor/* || fail "udp not compiled"
}
t_cap_prefix() {
	{ pol; printf 'spec:\n  capabilities:\n    matchCapabilities:\n    - capability: cap_net_raw\n'; } >c.yaml
	kc check c.yaml
	rc_is 0
	err_re "^c\.yaml:8:19: warning: the 'cap_' prefix of 'cap_net_raw' is ignored \[KC0127\]$"
	err_has "= fix: write 'net_raw'"
	fmt_ok
}
t_glob_in_path() {
	{ pol; printf 'spec:\n  file:\n    matchPaths:\n    - path: /etc/*.conf\n'; } >g.yaml
	kc check g.yaml
	rc_is 0
	err_re "^g\.yaml:8:13: warning: '/etc/\*\.conf' contains glob characters.*\[KC0121\]$"
	fmt_ok
}
t_namespace_on_host_policy() {
	{ pol KubeArmorHostPolicy h1; printf '  namespace: default\nspec:\n%s%s' "$HSEL" "$PROC"; } >h.yaml
	kc check h.yaml
	rc_is 0
	err_re "^h\.yaml:5:14: warning: KubeArmorHostPolicy is cluster-scoped: metadata\.namespace 'default' is ignored \[KC0122\]$"
	fmt_ok
}
t_compile_removes_stale() {
	# a profile from an earlier run for a target that is gone does not stay in DIR/apparmor
	cp "$DATA/valid.yaml" v.yaml
	mkdir -p out/apparmor
	echo 'profile stale {}' >out/apparmor/karmorc-ns-stale-00000000
	kc compile --target=apparmor -o out v.yaml
	rc_is 0
	[ -e out/apparmor/karmorc-ns-stale-00000000 ] && fail "a stale profile survived"
	[ "$(ls out/apparmor | wc -l)" -eq 1 ] || fail "expected exactly one profile, got: $(ls out/apparmor | tr '\n' ' ')"
}
t_allow_mount_opt_out() {
	# DESIGN §4.12: a target may opt out of the mount refusals, explicitly, and check says so
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: m\n  namespace: ns\n  annotations:\n    karmorc.io/allow-mount: "true"\nspec:\n  selector:\n    matchLabels: {app: m}\n  file:\n    matchPaths:\n    - path: /etc/secret\n  action: Block\n' >m.yaml
	kc check m.yaml
	rc_is 0
	err_re '^m\.yaml:7:29: note: the targets this policy selects may mount.*\[KC0410\]$'
	kc compile --target=apparmor -o out m.yaml
	rc_is 0
	grep -q '^  mount,$' out/apparmor/karmorc-ns-* || fail "the opted-out profile does not grant mount"
	grep -q 'deny mount' out/apparmor/karmorc-ns-* && fail "the opted-out profile still denies mount"
	sed -i 's/"true"/"yes"/' m.yaml
	kc check m.yaml
	rc_is 0
	err_re "^m\.yaml:7:29: warning: karmorc.io/allow-mount is 'yes', neither 'true' nor 'false': no opt-out.*\[KC0410\]$"
	kc compile --target=apparmor -o out m.yaml
	grep -q 'audit deny mount,' out/apparmor/karmorc-ns-* || fail "without the opt-out the profile must deny mount"
}
t_host_allow_no_source() {
	{ pol KubeArmorHostPolicy h1
		printf 'spec:\n%s  file:\n    matchPaths:\n    - path: /etc/hosts\n    - path: /etc/passwd\n      fromSource:\n      - path: /bin/cat\n  action: Allow\n' "$HSEL"; } >h.yaml
	kc check h.yaml
	rc_is 0
	err_re "^h\.yaml:11:7: warning: host Allow rule without fromSource is ignored.*\[KC0123\]$"
	fmt_ok
	# the sourceless Allow is dropped, the one with fromSource kept
	kc compile --target=apparmor -o out h.yaml
	rc_is 0
	grep -q '/etc/hosts' out/apparmor/* && fail "the ignored host Allow was compiled"
	grep -q '/etc/passwd' out/apparmor/* || fail "the host Allow with fromSource is missing"
}
t_null_values() {
	{ pol; printf 'spec:\n  severity:\n  message: ~\n  tags: null\n%s' "$PROC"; } >n.yaml
	kc check n.yaml
	rc_is 0
	err_re "^n\.yaml:6:12: warning: 'severity' has a null value.*\[KC0120\]$"
	err_re "^n\.yaml:7:12: warning: 'message' has a null value.*\[KC0120\]$"
	err_re "^n\.yaml:8:9: warning: 'tags' has a null value.*\[KC0120\]$"
	fmt_ok
}
t_unknown_protocol() {
	{ pol; printf 'spec:\n  network:\n    matchProtocols:\n    - protocol: quic\n'; } >p.yaml
	kc check p.yaml
	rc_is 1
	err_re "^p\.yaml:8:17: error: unknown protocol 'quic' \[KC0109\]$"
	fmt_ok
}
t_unknown_protocol_in_list() {
	{ pol; printf 'spec:\n  network:\n    matchProtocols:\n    - protocol: foo,tcp\n'; } >p.yaml
	kc check p.yaml
	rc_is 1
	err_re "^p\.yaml:8:17: error: unknown protocol 'foo' \[KC0118\]$"
}
t_unknown_capability() {
	{ pol; printf 'spec:\n  capabilities:\n    matchCapabilities:\n    - capability: net_rwa\n'; } >c.yaml
	kc check c.yaml
	rc_is 1
	err_re "^c\.yaml:8:19: error: unknown capability 'net_rwa' \[KC0109\]$"
	err_has "= fix: did you mean 'net_raw'?"
}
t_wrong_type_int() {
	{ pol; printf 'spec:\n%s  severity: high\n' "$PROC"; } >w.yaml
	kc check w.yaml
	rc_is 1
	err_has "w.yaml:9:13: error: 'severity' must be an integer, not a string [KC0106]"
	fmt_ok
}
t_wrong_type_quoted_int() {
	{ pol; printf 'spec:\n%s  severity: "5"\n' "$PROC"; } >w.yaml
	kc check w.yaml
	rc_is 1
	err_has "w.yaml:9:13: error: 'severity' must be an integer, not a string [KC0106]"
	err_has "= fix: remove the quotes"
}
t_wrong_type_bool() {
	{ pol; printf 'spec:\n  file:\n    matchPaths:\n    - path: /etc/x\n      readOnly: "yes"\n'; } >w.yaml
	kc check w.yaml
	rc_is 1
	err_has "w.yaml:9:17: error: 'readOnly' must be true or false, not a string [KC0106]"
	err_has "= fix: remove the quotes"
	fmt_ok
}
t_wrong_type_list() {
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n      path: /bin/sleep\n'; } >w.yaml
	kc check w.yaml
	rc_is 1
	err_has "w.yaml:8:7: error: 'matchPaths' must be a list, not a mapping [KC0106]"
}
t_wrong_type_label_value() {
	{ pol; printf 'spec:\n  selector:\n    matchLabels:\n      tier: 1\n%s' "$PROC"; } >w.yaml
	kc check w.yaml
	rc_is 1
	err_has "w.yaml:8:13: error: label value of 'tier' must be a string, not an integer [KC0106]"
	err_has "= fix: quote it: \"1\""
}
t_exec_target_none() {
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - ownerOnly: true\n'; } >x.yaml
	kc check x.yaml
	rc_is 1
	err_has "x.yaml:8:7: error: a process matchPaths entry needs 'path' or 'execname' [KC0119]"
	fmt_ok
}
t_exec_target_both() {
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - path: /bin/sleep\n      execname: sleep\n'; } >x.yaml
	kc check x.yaml
	rc_is 1
	err_has "x.yaml:8:7: error: give either 'path' or 'execname', not both [KC0119]"
}
t_dup_policy() {
	{ pol; printf 'spec:\n%s---\n' "$PROC"; pol; printf 'spec:\n%s' "$PROC"; } >d.yaml
	kc check d.yaml
	rc_is 0
	err_re "^d\.yaml:10:1: warning: KubeArmorPolicy 'p1' is defined twice.*\[KC0126\]$"
	err_has "d.yaml:1:1: note: the other definition"
	fmt_ok
}
t_dup_policy_other_namespace() {
	{ pol; printf '  namespace: a\nspec:\n%s---\n' "$PROC"; pol; printf '  namespace: b\nspec:\n%s' "$PROC"; } >d.yaml
	kc check d.yaml
	rc_is 0
	err_lacks "KC0126"
}
t_not_object() {
	printf 'foo: bar\nbaz: 1\n' >o.yaml
	kc check o.yaml
	rc_is 1
	err_re "^o\.yaml:1:1: error: document has no apiVersion and no kind.*\[KC0100\]$"
}

t diag_format_exact_with_fixit t_format_exact
t diag_dir_slash_daemon_warning t_dir_slash_daemon
t diag_unknown_field_did_you_mean t_unknown_field
t diag_selector_labels_KC0115 t_selector_labels
t diag_duplicate_key_KC0007_note t_dup_key
t diag_duplicate_key_in_list_item t_dup_key_nested_seq
t diag_lower_case_action_crd_KC0108 t_lower_action_crd
t diag_lower_case_action_daemon_KC0125 t_lower_action_daemon
t diag_hsp_without_node_selector_crd t_hsp_no_node_selector_crd
t diag_hsp_without_node_selector_daemon t_hsp_no_node_selector_daemon
t diag_severity_11_KC0111 t_severity_11
t diag_severity_0_KC0111 t_severity_0
t diag_severity_huge_KC0111 t_severity_huge
t diag_path_201_chars_KC0110 t_path_too_long
t diag_path_length_counts_characters t_path_length_counts_characters
t diag_name_with_space_KC0113 t_name_space
t diag_name_upper_case_KC0113 t_name_upper
t diag_name_missing_KC0107 t_name_missing
t diag_namespace_invalid_KC0114 t_namespace_bad
t diag_unknown_kind_KC0101 t_unknown_kind
t diag_unknown_version_KC0101 t_unknown_version
t diag_foreign_document_note_KC0103 t_foreign_document
t diag_only_foreign_documents_KC0011 t_foreign_only
t diag_network_policy_KC0102 t_network_policy
t diag_no_rules_KC0116 t_no_rules
t diag_no_spec_KC0116 t_no_spec
t diag_empty_section_KC0117 t_empty_section
t diag_empty_match_list_KC0117 t_empty_section_empty_list
t diag_comma_protocol_KC0124 t_comma_protocol
t diag_cap_prefix_KC0127 t_cap_prefix
t diag_glob_in_matchpaths_KC0121 t_glob_in_path
t diag_namespace_on_host_policy_KC0122 t_namespace_on_host_policy
t diag_host_allow_without_source_KC0123 t_host_allow_no_source
t diag_allow_mount_opt_out_KC0410 t_allow_mount_opt_out
t compile_removes_stale_profiles t_compile_removes_stale
t diag_null_values_KC0120 t_null_values
t diag_unknown_protocol t_unknown_protocol
t diag_unknown_protocol_in_list_KC0118 t_unknown_protocol_in_list
t diag_unknown_capability t_unknown_capability
t diag_wrong_type_string_for_int t_wrong_type_int
t diag_wrong_type_quoted_int t_wrong_type_quoted_int
t diag_wrong_type_quoted_bool t_wrong_type_bool
t diag_wrong_type_mapping_for_list t_wrong_type_list
t diag_wrong_type_label_value t_wrong_type_label_value
t diag_exec_target_neither_KC0119 t_exec_target_none
t diag_exec_target_both_KC0119 t_exec_target_both
t diag_duplicate_policy_KC0126 t_dup_policy
t diag_same_name_other_namespace_ok t_dup_policy_other_namespace
t diag_not_an_object_KC0100 t_not_object

# ------------------------------------------------------------------ 3. --format=json

t_json_fields() {
	{ pol; printf 'spec:\n  selector:\n    matchLabels:\n      a: b\n    matchLabels:\n      c: d\n  file:\n    matchDirectories:\n    - dir: /usr/bin\n      recurive: true\n'; } >j.yaml
	kc check --format=json j.yaml
	rc_is 1
	json_diags_ok
	[ "$(wc -l <"$OUT")" -eq 3 ] || fail "expected 3 JSON lines, got $(wc -l <"$OUT")"
	python3 - "$OUT" <<'EOF' || fail "JSON content differs from the text diagnostics"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = [("j.yaml", 9, 5, "error", "KC0007"), ("j.yaml", 13, 12, "error", "KC0104"),
        ("j.yaml", 14, 7, "error", "KC0105")]
got = [(r["file"], r["line"], r["column"], r["severity"], r["code"]) for r in rows]
assert got == want, got
assert rows[0]["related"] == {"file": "j.yaml", "line": 7, "column": 5,
                              "message": "'matchLabels' first appears here"}, rows[0]
assert rows[1]["fix"] == "dir: /usr/bin/", rows[1]
assert rows[2]["fix"] == "did you mean 'recursive'?", rows[2]
EOF
	[ ! -s "$ERR" ] || fail "stderr is not empty with --format=json: $(head -c 200 "$ERR")"
}
t_json_clean() {
	cp "$DATA/valid.yaml" .
	kc check --format=json valid.yaml
	rc_is 0
	out_empty
}
t_json_escaping() {
	# a key with quote, backslash, tab and a control character ends up in a message
	{ pol; printf 'spec:\n%s  "we\\"ird\\\\key\\tx\\x01y\\u00e9": 1\n' "$PROC"; } >e.yaml
	kc check --format=json e.yaml
	rc_is 1
	json_diags_ok
	python3 -c '
import json, sys
r = json.loads(open(sys.argv[1], encoding="utf-8").readline())
assert r["code"] == "KC0105", r
assert "we\"ird\\key\tx\x01y\u00e9" in r["message"], r["message"]' "$OUT" || fail "escaped message does not round-trip"
}
t_json_warnings_and_notes() {
	{ printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\n'
		pol; printf 'spec:\n  capabilities:\n    matchCapabilities:\n    - capability: cap_net_raw\n'; } >m.yaml
	kc check --format=json m.yaml
	rc_is 0
	json_diags_ok
	out_re '"severity":"note","code":"KC0103"'
	out_re '"severity":"warning","code":"KC0127"'
}
t_json_no_policy() {
	: >empty.yaml
	kc check --format=json empty.yaml
	rc_is 1
	json_diags_ok
	out_has '"code":"KC0011"'
}
t_json_nonutf8_filename() {
	# file names are bytes; the JSON must still be valid UTF-8
	mkdir d
	{ pol; printf 'spec:\n  severity: 11\n%s' "$PROC"; } >"$(printf 'd/bad\377name.yaml')"
	kc check --format=json d
	rc_is 1
	json_diags_ok
	out_has '"code":"KC0111"'
}

t json_fields_fix_related t_json_fields
t json_clean_input_prints_nothing t_json_clean
t json_escaping_round_trips t_json_escaping
t json_warnings_and_notes t_json_warnings_and_notes
t json_no_policy_KC0011 t_json_no_policy
t json_non_utf8_file_name t_json_nonutf8_filename

# ------------------------------------------------------------------ 4. inputs

t_directory() {
	mkdir -p tree/sub/deeper
	cp "$DATA/valid.yaml" tree/a.yaml
	{ pol KubeArmorPolicy p2; printf 'spec:\n  file:\n    matchDirectories:\n    - dir: /usr/bin\n'; } >tree/sub/b.yml
	cp "$DATA/allow-list.yaml" tree/sub/deeper/c.yaml
	printf 'this: [is not yaml\n' >tree/notes.txt
	printf '{"json": ' >tree/sub/x.json
	printf 'key: [broken\n' >tree/sub/README
	kc check tree
	rc_is 1
	err_has "tree/sub/b.yml:8:12: error: dir must end with '/' [KC0104]"
	err_lacks "notes.txt"
	err_lacks "x.json"
	err_lacks "README"
	err_has "3 files, 3 policies: 1 error, 0 warnings"
	fmt_ok
}
t_directory_valid() {
	mkdir -p tree/sub
	cp "$DATA/valid.yaml" tree/a.yaml
	cp "$DATA/allow-list.yaml" tree/sub/b.yml
	printf 'garbage: [\n' >tree/sub/ignored.txt
	kc check tree/
	rc_is 0
	err_has "2 files, 2 policies: 0 errors, 0 warnings"
}
t_directory_empty() {
	mkdir empty
	kc check empty
	rc_is 1
	err_has "no KubeArmor policy in 0 files [KC0011]"
}
t_directory_data() {
	# the committed data directory: every file in it is valid
	kc check "$DATA/dir"
	rc_is 0
	err_has "2 files, 2 policies"
}
t_stdin_valid() {
	kc --in "$DATA/valid.yaml" check -
	rc_is 0
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
}
t_stdin_invalid() {
	{ pol; printf 'spec:\n%s  severity: 11\n' "$PROC"; } >s.yaml
	kc --in s.yaml check -
	rc_is 1
	err_has "<stdin>:9:13: error: 'severity' is 11; it must be between 1 and 10 [KC0111]"
	err_next_is "<stdin>:9:13:" "    9 |   severity: 11"
	fmt_ok
}
t_multi_doc_leading_separator() {
	{ printf -- '---\n'; pol KubeArmorPolicy a1; printf 'spec:\n%s---\n' "$PROC"
		pol KubeArmorPolicy a2; printf 'spec:\n%s' "$PROC"
		printf -- '---\n'; pol KubeArmorPolicy a3; printf 'spec:\n%s  severity: 11\n' "$PROC"; printf -- '---\n'; } >m.yaml
	kc check m.yaml
	rc_is 1
	err_has "m.yaml:28:13: error: 'severity' is 11"
	err_has "1 file, 3 policies: 1 error, 0 warnings"
	fmt_ok
}
t_crlf() {
	python3 -c '
import sys
v = open(sys.argv[1]).read()
open("crlf.yaml", "w", newline="").write(v.replace("\n", "\r\n"))
bad = v.replace("    - path: /bin/sleep", "    - path: /bin/sleep\n      recurive: true\n    - path: /bin/\n")
open("crlf-bad.yaml", "w", newline="").write("---\n" + v.replace("block-sleep", "other") + "---\n" + bad)
' "$DATA/valid.yaml"
	python3 -c 'import sys; d=open("crlf-bad.yaml","rb").read(); open("crlf-bad.yaml","wb").write(d.replace(b"\n", b"\r\n"))'
	kc check crlf.yaml
	rc_is 0
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
	kc check crlf-bad.yaml
	rc_is 1
	err_has "crlf-bad.yaml:28:7: error: unknown field 'recurive'"
	err_has "crlf-bad.yaml:29:13: error: path '/bin/' must be absolute and must not end in '/'"
	err_next_is "crlf-bad.yaml:28:7:" "   28 |       recurive: true"
	! grep -q $'\r' "$ERR" || fail "a carriage return leaked into the diagnostics"
	fmt_ok
}
t_tab_before_comment() {
	sed -e 's/^  action: Block$/  action: Block\t# the default anyway/' \
		-e 's/^  process:$/  process:\t\t# processes/' "$DATA/valid.yaml" >t.yaml
	grep -q $'\t#' t.yaml || fail "test setup: no tab in the input"
	kc check t.yaml
	rc_is 0
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
	# and a located error on a line with tabs: the caret keeps the tab
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: p1}\nspec:\n  process: {matchPaths: [{path: /bin/a},\t{path: rel}]}\n' >t2.yaml
	kc check t2.yaml
	rc_is 1
	err_has "t2.yaml:5:49: error: path 'rel' must be absolute"
	fmt_ok
}
t_flow_style() {
	cat >f.yaml <<'EOF'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: flow-pol, namespace: ns1}
spec:
  selector: {matchLabels: {app: web}}
  process:
    matchPaths: [{path: /bin/sleep}, {path: /bin/ls, ownerOnly: true}]
  file: {matchDirectories: [{dir: /etc/, recursive: true, readOnly: true}]}
  action: Block
EOF
	kc check f.yaml
	rc_is 0
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
	kc explain --namespace ns1 --label app=web --op exec --resource /bin/sleep f.yaml
	rc_is 0
	out_has "verdict: Block"
	out_has "rule:    f.yaml:7:18:"
}
t_multiline_plain_scalar() {
	sed -e 's/^  action: Block$/  action:\n    Audit/' "$DATA/valid.yaml" >m.yaml
	grep -qx '    Audit' m.yaml || fail "test setup: no multi-line scalar"
	kc check m.yaml
	rc_is 0
	kc explain --namespace multiubuntu --label group=group-1 --op exec --resource /bin/sleep m.yaml
	rc_is 0
	out_has "verdict: Audit"
	out_has "(path Audit)"
}
t_typographic_quotes() {
	printf '%s' "$(cat "$DATA/valid.yaml")" | sed 's/^  action: Block$/  message: the “sleep” binary isn’t allowed here\n  action: Block/' >q.yaml
	printf '\n' >>q.yaml
	grep -q '“sleep”' q.yaml || fail "test setup"
	kc check q.yaml
	rc_is 0
	err_has "0 errors, 0 warnings"
	# typographic quotes around a path are not quotes: the path is not absolute
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - path: “/bin/sleep”\n'; } >q2.yaml
	kc check q2.yaml
	rc_is 1
	err_has "q2.yaml:8:13: error: path '“/bin/sleep”' must be absolute"
	fmt_ok
}
t_utf8_columns() {
	# columns count characters, not bytes: the error follows multi-byte characters
	{ pol; printf 'spec:\n%s  message: ‘héllo’\n  tags: [“ä”, ö, 5x, {a: b}]\n' "$PROC"; } >u.yaml
	kc check u.yaml
	rc_is 1
	err_has "u.yaml:10:22: error: 'tags' must be a string, not a mapping [KC0106]"
	fmt_ok
}
t_no_trailing_newline() {
	printf '%s' "$(cat "$DATA/valid.yaml")" >n.yaml
	[ "$(tail -c 1 n.yaml | od -An -c | tr -d ' ')" = k ] || fail "test setup: file ends in a newline"
	kc check n.yaml
	rc_is 0
	printf '%s' "$(sed 's/^  action: Block$/  action: Blok/' "$DATA/valid.yaml")" >n2.yaml
	kc check n2.yaml
	rc_is 1
	err_has "n2.yaml:13:11: error: action 'Blok' is not one of Allow, Audit, Block [KC0108]"
	err_next_is "n2.yaml:13:11:" "   13 |   action: Blok"
	fmt_ok
}
t_yml_file() {
	cp "$DATA/valid.yaml" v.yml
	kc check v.yml
	rc_is 0
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
}
t_utf8_bom() {
	printf '\357\273\277' >b.yaml
	cat "$DATA/valid.yaml" >>b.yaml
	kc check b.yaml
	rc_is 0
	err_has "1 file, 1 policy: 0 errors, 0 warnings"
}
t_same_file_twice_stdin() {
	# "-" read twice: the second read is empty, not a hang
	kc --in "$DATA/valid.yaml" check - -
	rc_is 0
	err_has "1 policy"
}

t input_directory_recursive t_directory
t input_directory_valid t_directory_valid
t input_directory_empty_KC0011 t_directory_empty
t input_directory_data t_directory_data
t input_stdin_valid t_stdin_valid
t input_stdin_located_error t_stdin_invalid
t input_multi_document_leading_separator t_multi_doc_leading_separator
t input_crlf_line_endings t_crlf
t input_tab_before_comment t_tab_before_comment
t input_flow_style t_flow_style
t input_multiline_plain_scalar t_multiline_plain_scalar
t input_typographic_quotes t_typographic_quotes
t input_utf8_columns_count_characters t_utf8_columns
t input_no_trailing_newline t_no_trailing_newline
t input_yml_extension t_yml_file
t input_utf8_bom t_utf8_bom
t input_stdin_twice t_same_file_twice_stdin

# ------------------------------------------------------------------ 5. hostile inputs

# located: a "FILE:LINE:COL: error: ... [KCnnnn]" header with the given code
located() { err_re "^$1:[0-9]+:[0-9]+: error: .*\[$2\]$"; }

t_nested_brackets() {
	python3 -c 'open("b.yaml","w").write("[" * 20000 + "\n")'
	kc check b.yaml
	rc_is 1
	err_has "b.yaml:1:65: error: collections nested more than 64 deep [KC0002]"
}
t_nested_flow_maps() {
	python3 -c 'open("m.yaml","w").write("{a: " * 20000 + "\n")'
	kc check m.yaml
	rc_is 1
	located m.yaml KC0002
}
t_nested_block_maps() {
	python3 -c '
open("d.yaml","w").write("".join("  " * i + "k%d:\n" % i for i in range(100)) + "  " * 100 + "v: 1\n")'
	kc check d.yaml
	rc_is 1
	err_has "d.yaml:65:129: error: collections nested more than 64 deep [KC0002]"
	fmt_ok
}
t_nested_in_policy() {
	# 64 levels are allowed; the error must come from the schema, not the depth limit
	python3 -c '
s = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p1\nspec:\n  process:\n    matchPaths:\n    - path: /bin/sleep\n  x: " + "[" * 60 + "]" * 60 + "\n"
open("n.yaml","w").write(s)'
	kc check n.yaml
	rc_is 1
	err_has "n.yaml:9:3: error: unknown field 'x' in spec"
	err_lacks "KC0002"
}
t_binary() {
	python3 -c '
import random
random.seed(7)
b = bytearray(random.randrange(256) for _ in range(8192))
b[0:20] = b"apiVersion: v1\nkind:"
b[300] = 0
open("bin.yaml","wb").write(bytes(b))'
	kc check bin.yaml
	rc_is 1
	located bin.yaml KC0009
	err_has "not a text file"
}
t_invalid_utf8() {
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p1\nspec:\n  message: bad \377\376 bytes\n' >u.yaml
	kc check u.yaml
	rc_is 1
	err_has "u.yaml:6:16: error: not a text file: invalid leading UTF-8 octet [KC0009]"
}
t_invalid_utf8_column() {
	# the column of a reader error counts characters like every other column:
	# "  x: café" is 9 characters, the bad byte is the 10th
	printf '  x: caf\303\251\377\n' >u.yaml
	kc check u.yaml
	rc_is 1
	err_has "u.yaml:1:10: error: not a text file"
	err_has "[KC0009]"
}
t_truncated_quoted() {
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: "block-sle' >t.yaml
	kc check t.yaml
	rc_is 1
	located t.yaml KC0001
	err_has "t.yaml:4:9: note: while scanning a quoted scalar"
}
t_truncated_flow() {
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: p1}\nspec:\n  process:\n    matchPaths: [{path: /bin/a}, {path: /bin/b}' >t.yaml
	kc check t.yaml
	rc_is 1
	located t.yaml KC0001
	err_has "t.yaml:6:17: note: while parsing a flow sequence"
}
t_alias_bomb() {
	python3 -c '
s = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
names = "abcdefghi"
for i in range(1, 9):
    s += "%s: &%s [%s]\n" % (names[i], names[i], ",".join(["*" + names[i - 1]] * 9))
open("lol.yaml","w").write(s)'
	kc check lol.yaml
	rc_is 1
	err_has "lol.yaml:1:4: error: anchor '&a': anchors and aliases are not accepted in policies [KC0005]"
}
t_alias_in_policy() {
	{ pol; printf 'spec:\n  process:\n    matchPaths:\n    - path: /bin/sleep\n      tags: *t\n'; } >a.yaml
	kc check a.yaml
	rc_is 1
	err_has "a.yaml:9:13: error: alias '*t': anchors and aliases are not accepted in policies [KC0005]"
}
t_big_scalar() {
	python3 -c '
s = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p1\nspec:\n  message: " + "x" * 300000 + "\n"
open("s.yaml","w").write(s)'
	kc check s.yaml
	rc_is 1
	err_has "s.yaml:6:12: error: scalar of 300000 bytes exceeds the limit of 262144 [KC0003]"
}
t_many_nodes() {
	python3 -c 'open("n.yaml","w").write("[" + ",".join(["1"] * 1100000) + "]\n")'
	kc check n.yaml
	rc_is 1
	located n.yaml KC0004
	err_has "more than 1000000 YAML nodes"
}
t_huge_file() {
	python3 -c '
with open("h.yaml","w") as f:
    f.write("# " + "x" * (17 * 1024 * 1024) + "\n")'
	kc check h.yaml
	rc_is 1
	err_re "^h\.yaml: error: file is larger than the limit of 16777216 bytes \[KC0008\]$"
	kc --in h.yaml check -
	rc_is 1
	err_re "^<stdin>: error: file is larger than the limit.*\[KC0008\]$"
}
t_many_keys_one_dup() {
	python3 -c '
keys = ["k%d: 1\n" % i for i in range(200000)]
keys.insert(150000, "k777: 2\n")
open("k.yaml","w").write("".join(keys))'
	kc check k.yaml
	rc_is 1
	err_has "k.yaml:150001:1: error: duplicate key 'k777'"
	err_has "[KC0007]"
	err_has "k.yaml:778:1: note: 'k777' first appears here"
	[ "$(grep -c 'KC0007' "$ERR")" -eq 1 ] || fail "expected exactly one KC0007"
}
t_mapping_key_top() {
	printf '? {a: 1}\n: x\n' >m.yaml
	kc check m.yaml
	rc_is 1
	err_has "m.yaml:1:3: error: mapping key is a mapping; policy keys are plain strings [KC0012]"
}
t_mapping_key_in_policy() {
	{ pol; printf 'spec:\n  ? {a: 1}\n  : x\n%s' "$PROC"; } >m.yaml
	kc check m.yaml
	rc_is 1
	err_has "m.yaml:6:5: error: mapping key is a mapping; policy keys are plain strings [KC0012]"
}
t_mapping_key_policy_root() {
	{ printf '? [a]\n: b\n'; pol; printf 'spec:\n%s' "$PROC"; } >m.yaml
	kc check m.yaml
	rc_is 1
	err_has "m.yaml:1:3: error: mapping key is a list; policy keys are plain strings [KC0012]"
}
t_mapping_key_in_labels() {
	{ pol; printf 'spec:\n  selector:\n    matchLabels:\n      ? [a]\n      : b\n%s' "$PROC"; } >m.yaml
	kc check m.yaml
	rc_is 1
	err_has "m.yaml:8:9: error: mapping key is a list; policy keys are plain strings [KC0012]"
	err_lacks "(null)"
}
t_python_tag() {
	{ printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: !!python/object:os.system\n  name: p1\n'; } >t.yaml
	kc check t.yaml
	rc_is 1
	err_has "t.yaml:3:11: error: explicit tag 'tag:yaml.org,2002:python/object:os.system' is not supported in policies [KC0006]"
}
t_custom_tag() {
	{ printf 'apiVersion: security.kubearmor.com/v1\nkind: !custom KubeArmorPolicy\nmetadata:\n  name: p1\n'; } >t.yaml
	kc check t.yaml
	rc_is 1
	err_has "t.yaml:2:7: error: explicit tag '!custom' is not supported in policies [KC0006]"
}
t_core_tag_str() {
	# a core-schema tag is accepted and forces the type
	{ pol; printf 'spec:\n%s  severity: !!str 5\n' "$PROC"; } >t.yaml
	kc check t.yaml
	rc_is 1
	err_has "t.yaml:9:13: error: 'severity' must be an integer, not a string [KC0106]"
}
t_core_tag_bad_content() {
	# a core tag whose content does not fit it is an error, not a silent false
	{ pol; printf 'spec:
  file:
    matchPaths:
    - path: /etc/x
      readOnly: !!bool maybe
'; } >t.yaml
	kc check t.yaml
	rc_is 1
	err_re '^t\.yaml:9:17: error: .*\[KC0[01][0-9][0-9]\]$'
}
t_empty_file() {
	: >e.yaml
	kc check e.yaml
	rc_is 1
	err_has "no KubeArmor policy in 1 file [KC0011]"
	err_has "e.yaml: warning: file holds no YAML document [KC0010]"
}
t_comment_only() {
	printf '# nothing here\n   # still nothing\n\n' >c.yaml
	kc check c.yaml
	rc_is 1
	err_has "no KubeArmor policy in 1 file [KC0011]"
	err_has "c.yaml: warning: file holds no YAML document [KC0010]"
}
t_separators_only() {
	printf -- '---\n---\n...\n' >s.yaml
	kc check s.yaml
	rc_is 1
	err_has "[KC0011]"
}
t_scalar_document() {
	printf 'just a string\n' >s.yaml
	kc check s.yaml
	rc_is 1
	err_has "s.yaml:1:1: error: document is a string, not a Kubernetes object (a mapping with apiVersion and kind) [KC0100]"
	fmt_ok
}
t_list_document() {
	printf -- '- apiVersion: security.kubearmor.com/v1\n- kind: KubeArmorPolicy\n' >l.yaml
	kc check l.yaml
	rc_is 1
	err_has "l.yaml:1:1: error: document is a list, not a Kubernetes object (a mapping with apiVersion and kind) [KC0100]"
}
t_many_diagnostics() {
	# 200,000 unknown fields in a 3.6 MB file: every one is reported, in time
	python3 -c '
s = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p1\nspec:\n  process:\n    matchPaths:\n    - path: /bin/sleep\n"
s += "".join("  bogus%d: 1\n" % i for i in range(200000))
open("m.yaml","w").write(s)'
	kc check m.yaml
	rc_is 1
	err_has "m.yaml:200008:3: error: unknown field 'bogus199999' in spec"
	err_has "200000 errors"
}
t_many_documents() {
	python3 -c '
import sys
doc = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p%d\nspec:\n  process:\n    matchPaths:\n    - path: /bin/sleep\n---\n"
open("m.yaml","w").write("".join(doc % i for i in range(20000)) + "---\n" * 100000)'
	kc check m.yaml
	rc_is 0
	err_has "1 file, 20000 policies: 0 errors, 0 warnings"
}
t_long_line_caret() {
	# an error far right on a long line: the caret must still point at the column
	python3 -c '
s = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: p1}\nspec: {message: \"" + "m" * 300 + "\", severity: 11, process: {matchPaths: [{path: /bin/sleep}]}}\n"
open("l.yaml","w").write(s)'
	kc check l.yaml
	rc_is 1
	err_has "l.yaml:4:331: error: 'severity' is 11"
	fmt_ok
}
t_dir_fifo() {
	mkdir d
	cp "$DATA/valid.yaml" d/a.yaml
	mkfifo d/pipe.yaml
	kc check d
	rc_is 0
	err_has "1 file, 1 policy"
}
t_dir_symlink_loop() {
	mkdir d
	cp "$DATA/valid.yaml" d/a.yaml
	ln -s . d/loop
	kc check d
	rc_in 0 1 3
	err_lacks "KC0126"
	err_has "1 file, 1 policy"
}
t_dev_zero() {
	kc check /dev/zero
	rc_is 1
	err_re "^/dev/zero: error: .*\[KC0008\]$"
}
t_control_chars() {
	printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p1\x07\n' >c.yaml
	kc check c.yaml
	rc_is 1
	located c.yaml 'KC000[19]'
}
t_utf16() {
	python3 -c 'open("w.yaml","wb").write(open(__import__("sys").argv[1]).read().encode("utf-16"))' "$DATA/valid.yaml"
	kc check w.yaml
	rc_is 1
	located w.yaml KC0009
}
t_deep_directories() {
	python3 -c '
import os
p = "deep"
for i in range(40):
    p = os.path.join(p, "d")
os.makedirs(p)
open(os.path.join(p, "x.yaml"), "w").write("a: [\n")'
	kc check deep
	# either the depth limit (an I/O failure, exit 3) or the file's syntax error (exit 1)
	if [ "$RC" = 3 ]; then
		err_has "directories nested deeper than"
	else
		rc_is 1
		err_re "^deep(/d)+/x\.yaml:2:1: error: .*\[KC0001\]$"
	fi
}

t hostile_20000_nested_brackets t_nested_brackets
t hostile_20000_nested_flow_mappings t_nested_flow_maps
t hostile_block_mapping_100_deep t_nested_block_maps
t hostile_60_deep_inside_policy_is_not_a_depth_error t_nested_in_policy
t hostile_random_binary_with_nul t_binary
t hostile_invalid_utf8 t_invalid_utf8
t hostile_invalid_utf8_column_counts_characters t_invalid_utf8_column
t hostile_truncated_quoted_scalar t_truncated_quoted
t hostile_truncated_flow_sequence t_truncated_flow
t hostile_alias_bomb t_alias_bomb
t hostile_alias_in_policy t_alias_in_policy
t hostile_300KB_scalar t_big_scalar
t hostile_1100000_nodes t_many_nodes
t hostile_17MiB_file t_huge_file
t hostile_200000_keys_one_duplicate t_many_keys_one_dup
t hostile_mapping_as_key_top_level t_mapping_key_top
t hostile_mapping_as_key_in_spec t_mapping_key_in_policy
t hostile_list_as_key_in_policy_root t_mapping_key_policy_root
t hostile_list_as_key_in_match_labels t_mapping_key_in_labels
t hostile_python_tag t_python_tag
t hostile_custom_tag t_custom_tag
t hostile_core_str_tag t_core_tag_str
t hostile_core_bool_tag_bad_content t_core_tag_bad_content
t hostile_empty_file t_empty_file
t hostile_comment_only_file t_comment_only
t hostile_separators_only t_separators_only
t hostile_scalar_document t_scalar_document
t hostile_list_document t_list_document
t hostile_200000_diagnostics_in_time t_many_diagnostics
t hostile_20000_documents t_many_documents
t hostile_long_line_caret t_long_line_caret
t hostile_fifo_in_directory t_dir_fifo
t hostile_symlink_loop_in_directory t_dir_symlink_loop
t hostile_dev_zero t_dev_zero
t hostile_control_character t_control_chars
t hostile_utf16_file t_utf16
t hostile_40_deep_directories t_deep_directories

# ------------------------------------------------------------------ 6. karmorc test

# scenario files next to a copy of the data policies
scen_setup() {
	mkdir -p sc/policies
	cp "$DATA/valid.yaml" "$DATA/allow-list.yaml" sc/policies/
	cat >sc/pass.yaml <<'EOF'
policies:
  - policies/valid.yaml
cases:
  - name: sleep is blocked
    workload: {namespace: multiubuntu, labels: {group: group-1}}
    op: exec
    resource: /bin/sleep
    expect: Block
    policy: block-sleep
  - name: ls is allowed
    workload: {namespace: multiubuntu, labels: {group: group-1}}
    op: exec
    resource: /bin/ls
    expect: Allow
EOF
}
t_scen_pass() {
	scen_setup
	kc test sc/pass.yaml
	rc_is 0
	out_has "ok   sc/pass.yaml: sleep is blocked"
	out_has "ok   sc/pass.yaml: ls is allowed"
	summary_is "2 passed, 0 failed"
}
t_scen_fail() {
	scen_setup
	sed 's/expect: Allow/expect: Block/' sc/pass.yaml >sc/fail.yaml
	kc test sc/fail.yaml
	rc_is 1
	out_has "ok   sc/fail.yaml: sleep is blocked"
	out_re '^FAIL sc/fail\.yaml:10: ls is allowed: expected Block, got Allow'
	summary_is "1 passed, 1 failed"
}
t_scen_two_files() {
	scen_setup
	sed 's/expect: Allow/expect: Audit/' sc/pass.yaml >sc/fail.yaml
	kc test sc/pass.yaml sc/fail.yaml
	rc_is 1
	summary_is "3 passed, 1 failed"
}
t_scen_wrong_policy_name() {
	scen_setup
	sed 's/policy: block-sleep/policy: some-other-policy/' sc/pass.yaml >sc/p.yaml
	kc test sc/p.yaml
	rc_is 1
	out_re '^FAIL sc/p\.yaml:4: sleep is blocked: expected Block \(some-other-policy\), got Block \(block-sleep\)'
	summary_is "1 passed, 1 failed"
}
t_scen_typo_key() {
	scen_setup
	sed 's/^    expect: Allow$/    expct: Allow/' sc/pass.yaml >sc/typo.yaml
	kc test sc/typo.yaml
	rc_is 1
	err_has "sc/typo.yaml:14:5: error: unknown field 'expct' in a case (did you mean 'expect'?) [KC0300]"
	out_lacks "ok   sc/typo.yaml: ls is allowed"
	out_has "FAIL sc/typo.yaml: ls is allowed"
	summary_is "1 passed, 1 failed"
}
t_scen_typo_top() {
	scen_setup
	sed 's/^cases:$/casse:/' sc/pass.yaml >sc/top.yaml
	kc test sc/top.yaml
	rc_is 1
	err_has "sc/top.yaml:3:1: error: unknown field 'casse' in the scenario (did you mean 'cases'?) [KC0300]"
	out_lacks "ok "
	summary_last
}
t_scen_bad_expect() {
	scen_setup
	sed 's/expect: Allow/expect: allow/' sc/pass.yaml >sc/e.yaml
	kc test sc/e.yaml
	rc_is 1
	err_has "sc/e.yaml:14:13: error: expect must be Allow, Audit or Block [KC0300]"
	summary_is "1 passed, 1 failed"
}
t_scen_missing_policy() {
	scen_setup
	sed 's/valid.yaml/missing.yaml/' sc/pass.yaml >sc/m.yaml
	kc test sc/m.yaml
	[ "$RC" -ne 0 ] || fail "exit 0 with a missing policy file"
	rc_in 1 3
	err_has "sc/m.yaml:2:5: error: cannot read 'sc/policies/missing.yaml' [KC0301]"
	out_has "FAIL sc/m.yaml"
	out_lacks "ok "
	summary_last
}
t_scen_policy_with_errors() {
	scen_setup
	{ pol; printf 'spec:\n%s  severity: 11\n' "$PROC"; } >sc/policies/bad.yaml
	sed 's/valid.yaml/bad.yaml/' sc/pass.yaml >sc/b.yaml
	kc test sc/b.yaml
	rc_is 1
	err_has "sc/policies/bad.yaml:9:13: error: 'severity' is 11"
	out_lacks "ok "
	summary_last
}
t_scen_empty() {
	: >sc.yaml
	kc test sc.yaml
	rc_is 1
	err_has "sc.yaml:1:1: error: a scenario file is one mapping with 'policies' and 'cases' [KC0300]"
	summary_last
}
t_scen_posture() {
	scen_setup
	cat >sc/posture.yaml <<'EOF'
policies: [policies/allow-list.yaml]
posture: {file: block}
cases:
  - name: allowed read
    workload: {namespace: multiubuntu, labels: {group: group-2}}
    op: read
    resource: /etc/hostname
    expect: Allow
  - name: other read blocked by posture
    workload: {namespace: multiubuntu, labels: {group: group-2}}
    op: read
    resource: /etc/passwd
    expect: Block
    policy: DefaultPosture
EOF
	kc test sc/posture.yaml
	rc_is 0
	summary_is "2 passed, 0 failed"
}
t_scen_hostile_yaml() {
	python3 -c 'open("sc.yaml","w").write("policies: " + "[" * 20000 + "\n")'
	kc test sc.yaml
	rc_is 1
	err_re "^sc\.yaml:1:[0-9]+: error: collections nested more than 64 deep \[KC0002\]$"
	summary_last
}
t_scen_mapping_key() {
	scen_setup
	{ cat sc/pass.yaml; printf '? [x]\n: y\n'; } >sc/k.yaml
	kc test sc/k.yaml
	rc_is 1
	err_has "sc/k.yaml:15:3: error: mapping key is a list; policy keys are plain strings [KC0012]"
	summary_last
}
t_scen_create() {
	# `create: true` (DESIGN §4.11): only a write creates, a created file is its creator's,
	# and the rig needs an absolute, normalised path to remove first; each refusal is
	# located at the key that contradicts it
	scen_setup
	local wl='    workload: {namespace: multiubuntu, labels: {group: group-1}}'
	{
		printf 'policies:\n  - policies/valid.yaml\ncases:\n'
		printf '  - name: a read cannot create\n%s\n    op: read\n    create: true\n    resource: /tmp/a\n    expect: Allow\n' "$wl"
		printf '  - name: a non-owner cannot create\n%s\n    owner: false\n    op: write\n    create: true\n    resource: /tmp/a\n    expect: Allow\n' "$wl"
		printf '  - name: a relative path\n%s\n    op: write\n    create: true\n    resource: tmp/a\n    expect: Allow\n' "$wl"
		printf '  - name: a dot-dot component\n%s\n    op: write\n    create: true\n    resource: /tmp/../a\n    expect: Allow\n' "$wl"
		printf '  - name: not a boolean\n%s\n    op: write\n    create: 1\n    resource: /tmp/a\n    expect: Allow\n' "$wl"
		printf '  - name: the root\n%s\n    op: write\n    create: true\n    resource: /\n    expect: Allow\n' "$wl"
		printf '  - name: a directory creation\n%s\n    op: write\n    create: true\n    resource: /tmp/new/\n    expect: Allow\n' "$wl"
		printf '  - name: create false is a write\n%s\n    op: write\n    create: false\n    resource: /tmp/a\n    expect: Allow\n' "$wl"
	} >sc/create.yaml
	kc test sc/create.yaml
	rc_is 1
	err_has "sc/create.yaml:7:13: error: 'create' is only for op: write (creating a file or directory is a write of its path), not op: read [KC0300]"
	err_has "sc/create.yaml:12:12: error: a created file belongs to the user who creates it: 'owner: false' cannot go with 'create: true' [KC0300]"
	err_has "sc/create.yaml:21:15: error: a creation needs an absolute, normalised path below '/' (no '//', '.' or '..' component; a final '/' makes it a directory), not 'tmp/a' [KC0300]"
	err_has "sc/create.yaml:27:15: error: a creation needs an absolute, normalised path below '/'"
	err_has "sc/create.yaml:32:13: error: 'create' must be true or false [KC0300]"
	err_has "sc/create.yaml:39:15: error: a creation needs an absolute, normalised path below '/'"
	out_has "FAIL sc/create.yaml: a read cannot create: malformed case (see diagnostics)"
	out_has "ok   sc/create.yaml: a directory creation"
	out_has "ok   sc/create.yaml: create false is a write"
	summary_is "2 passed, 6 failed"
	# the manifest names the op the rig performs: create
	awk 'NR <= 3 || NR >= 41' sc/create.yaml >sc/ok.yaml
	kc compile --target=apparmor --scenario sc/ok.yaml -o out2
	rc_is 0
	awk -F'\t' 'NR > 1 { print $2 "|" $5 "|" $6 "|" $7 }' out2/cases.tsv >got
	printf 'a directory creation|1|create|/tmp/new/\ncreate false is a write|1|write|/tmp/a\n' >want
	cmp -s got want || fail "cases.tsv: $(tr '\n' ' ' <got)"
}

t test_passing_scenario t_scen_pass
t test_failing_case t_scen_fail
t test_two_scenario_files t_scen_two_files
t test_wrong_alert_policy_fails t_scen_wrong_policy_name
t test_unknown_key_in_case_is_an_error t_scen_typo_key
t test_unknown_top_level_key t_scen_typo_top
t test_bad_expect_value t_scen_bad_expect
t test_missing_policy_file_fails t_scen_missing_policy
t test_policy_with_errors_fails t_scen_policy_with_errors
t test_empty_scenario_file t_scen_empty
t test_posture_block t_scen_posture
t test_hostile_scenario_yaml t_scen_hostile_yaml
t test_scenario_mapping_key t_scen_mapping_key
t test_scenario_create t_scen_create

# ------------------------------------------------------------------ 7. karmorc explain

t_explain_block() {
	cp "$DATA/valid.yaml" .
	kc explain --namespace multiubuntu --label group=group-1 --op exec --resource /bin/sleep valid.yaml
	rc_is 0
	out_has "verdict: Block"
	out_has "alert:   block-sleep"
	out_re '^rule:    valid\.yaml:12:7: KubeArmorPolicy block-sleep process '\''/bin/sleep'\'' \(path Block\)$'
	out_has "op:      exec /bin/sleep by /bin/sh"
}
t_explain_other_workload() {
	cp "$DATA/valid.yaml" .
	kc explain --namespace multiubuntu --label group=group-9 --op exec --resource /bin/sleep valid.yaml
	rc_is 0
	out_has "verdict: Allow"
	out_has "alert:   none"
}
t_explain_default_posture_audit() {
	cp "$DATA/allow-list.yaml" .
	kc explain --namespace multiubuntu --label group=group-2 --op read --resource /etc/passwd allow-list.yaml
	rc_is 0
	out_has "verdict: Audit"
	out_has "alert:   DefaultPosture"
	out_has "(file posture: audit)"
}
t_explain_posture_block() {
	cp "$DATA/allow-list.yaml" .
	kc explain --posture file=block --namespace multiubuntu --label group=group-2 --op read --resource /etc/passwd allow-list.yaml
	rc_is 0
	out_has "verdict: Block"
	out_has "alert:   DefaultPosture"
	out_has "(file posture: block)"
	kc explain --posture file=block --namespace multiubuntu --label group=group-2 --op read --resource /etc/hostname allow-list.yaml
	rc_is 0
	out_has "verdict: Allow"
	out_has "rule:    allow-list.yaml:12:7:"
}
t_explain_json() {
	cp "$DATA/valid.yaml" .
	kc explain --format=json --namespace multiubuntu --label group=group-1 --op exec --resource /bin/sleep valid.yaml
	rc_is 0
	python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert o["verdict"] == "Block", o
assert o["policy"] == "block-sleep", o
assert o["rule"]["file"] == "valid.yaml" and o["rule"]["line"] == 12 and o["rule"]["column"] == 7, o
assert o["op"] == "exec" and o["resource"] == "/bin/sleep", o' "$OUT" || fail "explain JSON: $(head -c 300 "$OUT")"
}
t_explain_json_posture() {
	cp "$DATA/allow-list.yaml" .
	kc explain --format=json --posture file=block --namespace multiubuntu --label group=group-2 --op read --resource /etc/passwd allow-list.yaml
	rc_is 0
	python3 -c '
import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read())
assert o["verdict"] == "Block" and o["policy"] == "DefaultPosture" and o["posture"] == "block", o
assert o["allowList"] is True, o' "$OUT" || fail "explain JSON: $(head -c 300 "$OUT")"
}
t_explain_missing_op() {
	cp "$DATA/valid.yaml" .
	kc explain valid.yaml
	rc_is 2
	err_has "needs POLICY_PATH... and an operation"
	kc explain valid.yaml -- exec
	rc_is 2
	kc explain --op exec valid.yaml
	rc_is 2
	kc explain -- exec /bin/sleep
	rc_is 2
}
t_explain_bad_op() {
	cp "$DATA/valid.yaml" .
	kc explain --op run --resource /bin/sleep valid.yaml
	rc_is 2
	err_has "op must be exec, read, write, network, capability or syscall, not 'run'"
}
t_explain_extra_operand() {
	cp "$DATA/valid.yaml" .
	kc explain valid.yaml -- exec /bin/sleep /x extra
	rc_is 2
	err_has "unexpected 'extra' after the operation"
}
t_explain_bad_options() {
	cp "$DATA/valid.yaml" .
	kc explain --posture file=deny --op exec --resource /bin/sleep valid.yaml
	rc_is 2
	err_has "--posture takes CLASS=MODE"
	kc explain --label nolabel --op exec --resource /bin/sleep valid.yaml
	rc_is 2
	err_has "a label is key=value, not 'nolabel'"
	kc explain --format=yaml --op exec --resource /bin/sleep valid.yaml
	rc_is 2
	kc explain --schema=k8s --op exec --resource /bin/sleep valid.yaml
	rc_is 2
}
t_explain_two_forms() {
	cp "$DATA/valid.yaml" .
	kc explain --namespace multiubuntu --label group=group-1 --op exec --resource /bin/sleep valid.yaml
	rc_is 0
	out_has "verdict: Block"
	cp "$OUT" form1
	kc explain --namespace multiubuntu --label group=group-1 valid.yaml -- exec /bin/sleep
	rc_is 0
	out_has "verdict: Block"
	cmp -s form1 "$OUT" || fail "--op/--resource and -- OP RESOURCE give different output"
	# options may also follow the paths
	kc explain valid.yaml --namespace multiubuntu --label group=group-1 --op exec --resource /bin/sleep
	rc_is 0
	cmp -s form1 "$OUT" || fail "options after the policy path give different output"
}
t_explain_policy_errors() {
	{ pol; printf 'spec:\n%s  severity: 11\n' "$PROC"; } >bad.yaml
	kc explain --op exec --resource /bin/sleep bad.yaml
	rc_is 1
	err_has "bad.yaml:9:13: error: 'severity' is 11"
	err_has "the policies have errors; no verdict"
	out_empty
}
t_explain_missing_policy() {
	kc explain --op exec --resource /bin/sleep nowhere.yaml
	rc_is 3
	err_has "nowhere.yaml: No such file or directory"
	out_empty
}
t_explain_create() {
	# --create: the write creates its path (DESIGN §4.11); the creator owns the new file
	{ pol KubeArmorPolicy own; printf '  namespace: multiubuntu\nspec:\n  selector:\n    matchLabels:\n      group: group-1\n  file:\n    matchDirectories:\n    - dir: /srv/own/\n      recursive: true\n      ownerOnly: true\n  action: Block\n'; } >own.yaml
	kc explain --namespace multiubuntu --label group=group-1 --create own.yaml -- write /srv/own/new.txt
	rc_is 0
	out_has "verdict: Allow"
	out_has "op:      write /srv/own/new.txt (creates it: DESIGN §4.11) by /bin/sh"
	kc explain --namespace multiubuntu --label group=group-1 --not-owner own.yaml -- write /srv/own/new.txt
	rc_is 0
	out_has "verdict: Block"
	kc explain --format=json --namespace multiubuntu --label group=group-1 --create own.yaml -- write /srv/own/d/
	rc_is 0
	python3 -c '
import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read())
assert o["verdict"] == "Allow" and o["create"] is True and o["op"] == "write", o' "$OUT" || fail "explain JSON: $(head -c 300 "$OUT")"
	kc explain --create --not-owner own.yaml -- write /srv/own/new.txt
	rc_is 2
	err_has "--create cannot go with --not-owner"
	kc explain --create own.yaml -- read /srv/own/new.txt
	rc_is 2
	err_has "--create is only for op write"
}
t_explain_help() {
	kc explain --help
	rc_is 0
	out_has "usage: karmorc explain"
}
t_explain_glob_backtracking() {
	# a valid 61-character pattern that matches: the verdict must be Block whatever the
	# regex engine's backtracking limit (no fail-open)
	local pat
	pat=/$(python3 -c 'print("**a" * 20 + "**b")')
	{ pol; printf 'spec:\n  file:\n    matchPatterns:\n    - pattern: %s\n' "$pat"; } >g.yaml
	kc check g.yaml
	rc_is 0
	kc explain --op read --resource "/$(python3 -c 'print("a" * 40 + "b")')" g.yaml
	rc_is 0
	out_has "verdict: Block"
	kc explain --op read --resource "/$(python3 -c 'print("a" * 40 + "c")')" g.yaml
	rc_is 0
	out_has "verdict: Allow"
}
t_explain_glob_small() {
	{ pol; printf 'spec:\n  file:\n    matchPatterns:\n    - pattern: /etc/**/*.{key,pem}\n'; } >g.yaml
	kc explain --op read --resource /etc/ssl/private/x.pem g.yaml
	rc_is 0
	out_has "verdict: Block"
	kc explain --op read --resource /etc/ssl/private/x.crt g.yaml
	rc_is 0
	out_has "verdict: Allow"
}
t_invalid_glob_rejected() {
	# a pattern the matcher cannot compile must not be accepted silently (the rule would
	# never match): check reports it with a location
	{ pol; printf 'spec:\n  file:\n    matchPatterns:\n    - pattern: /etc/[abc\n'; } >g.yaml
	kc check g.yaml
	rc_is 1
	err_re '^g\.yaml:8:16: error: .*\[KC01[0-9][0-9]\]$'
}
t_explain_multiline_action() {
	sed -e 's/^  action: Block$/  action:\n    Audit/' "$DATA/valid.yaml" >m.yaml
	kc explain --namespace multiubuntu --label group=group-1 --op exec --resource /bin/sleep m.yaml
	rc_is 0
	out_has "verdict: Audit"
}

t_explain_classes() {
	{ pol; printf 'spec:
  syscalls:
    matchPaths:
    - path: /etc/
      recursive: true
      syscall: [unlink]
  network:
    matchProtocols:
    - protocol: TCP
  capabilities:
    matchCapabilities:
    - capability: net_raw
'; } >c.yaml
	kc check c.yaml
	rc_is 0
	kc explain --op network --resource tcp c.yaml
	rc_is 0
	out_has "verdict: Block"
	out_has "rule:    c.yaml:13:7:"
	kc explain --op capability --resource CAP_NET_RAW c.yaml
	rc_is 0
	out_has "verdict: Block"
	out_has "rule:    c.yaml:16:7:"
	kc explain --op syscall --resource unlink --path /etc/a/b c.yaml
	rc_is 0
	out_has "verdict: Audit"
	kc explain --op syscall --resource unlink --path /var/x c.yaml
	rc_is 0
	out_has "verdict: Allow"
}

t explain_block_with_rule_location t_explain_block
t explain_network_capability_syscall t_explain_classes
t explain_unselected_workload_allows t_explain_other_workload
t explain_default_posture_audit t_explain_default_posture_audit
t explain_posture_block t_explain_posture_block
t explain_json t_explain_json
t explain_json_posture t_explain_json_posture
t explain_missing_operation_exit_2 t_explain_missing_op
t explain_bad_operation_exit_2 t_explain_bad_op
t explain_extra_operand_exit_2 t_explain_extra_operand
t explain_bad_options_exit_2 t_explain_bad_options
t explain_op_resource_and_dashdash_forms t_explain_two_forms
t explain_policy_with_errors_exit_1 t_explain_policy_errors
t explain_missing_policy_exit_3 t_explain_missing_policy
t explain_create t_explain_create
t explain_help t_explain_help
t explain_glob_no_fail_open t_explain_glob_backtracking
t explain_glob_braces_and_stars t_explain_glob_small
t check_rejects_uncompilable_glob t_invalid_glob_rejected
t explain_multiline_action t_explain_multiline_action

# ------------------------------------------------------------------ 8. determinism

det_tree() {
	mkdir -p tree/b tree/a
	{ pol KubeArmorPolicy p1; printf 'spec:\n  severity: 11\n%s' "$PROC"; } >tree/b/one.yaml
	{ pol KubeArmorPolicy p1; printf 'spec:\n  bogus: 1\n  file:\n    matchDirectories:\n    - dir: /usr/bin\n'; } >tree/a/two.yml
	{ pol KubeArmorPolicy p3; printf 'spec:\n  network:\n    matchProtocols:\n    - protocol: tcp,udp\n'; } >tree/three.yaml
	{ pol KubeArmorPolicy p3; printf 'spec:\n  network:\n    matchProtocols:\n    - protocol: TCP\n'; } >tree/four.yaml
}
t_det_twice() {
	det_tree
	kc check --format=json tree
	rc_is 1
	json_diags_ok
	cp "$OUT" first
	kc check --format=json tree
	cmp -s first "$OUT" || fail "two runs differ"
	[ "$(wc -l <first)" -ge 4 ] || fail "expected at least 4 diagnostics, got $(wc -l <first)"
}
t_det_order() {
	det_tree
	kc check --format=json tree/b/one.yaml tree/a/two.yml tree/three.yaml tree/four.yaml
	rc_is 1
	sort "$OUT" >first
	kc check --format=json tree/four.yaml tree/three.yaml tree/a/two.yml tree/b/one.yaml
	rc_is 1
	sort "$OUT" >second
	cmp -s first second || fail "the diagnostics depend on the order of the files: $(diff first second | head -4 | tr '\n' ' ')"
	grep -q KC0126 first || fail "expected the duplicate policy warning KC0126"
}
t_det_text() {
	det_tree
	kc check tree
	cp "$ERR" first
	kc check tree
	cmp -s first "$ERR" || fail "two text runs differ"
}

t determinism_json_twice t_det_twice
t determinism_file_order t_det_order
t determinism_text_twice t_det_text

# ------------------------------------------------------------------ the bpf backend

# a stand-in for build/bpf/karmor.bpf.o: the header of a 64-bit little-endian ELF object
# for EM_BPF (247) is all karmorc checks before copying it
fake_bpf_object() {
	{ printf '\177ELF\002\001\001'; head -c 11 /dev/zero; printf '\367\000'; head -c 45 /dev/zero; } >"$1"
}
# N path rules in one policy for app=LABEL, paths under PREFIX
many_paths() {
	{ pol KubeArmorPolicy "$1"; printf 'spec:\n  selector:\n    matchLabels:\n      app: %s\n  file:\n    matchPaths:\n' "$2"
		seq -f "    - path: $3/f%.0f" 1 "$4"; printf '  action: Block\n'; } >"$5"
}
t_bpf_images() {
	fake_bpf_object obj.o
	cp "$DATA/valid.yaml" v.yaml
	kc compile --target=bpf --bpf-object obj.o -o out v.yaml
	rc_is 0
	[ "$(ls out/bpf/*.kmi 2>/dev/null | wc -l)" -eq 1 ] || fail "expected one image, got: $(ls out/bpf | tr '\n' ' ')"
	cmp -s obj.o out/bpf/karmor.bpf.o || fail "the BPF object was not copied beside the images"
	head -c 8 out/bpf/*.kmi | grep -q KARMORMI || fail "the image does not start with the magic"
	out_re '^bpf: karmorc-ns-[a-z0-9-]+: 2 path entries, 0 network, 0 capability, 0 source entries, 1 rule$'
	out_re '^bpf: total \(1 target\): 2 path entries, .*; maps [0-9,]+ of 268,435,456 bytes \(--bpf-map-budget\)$'
}
t_bpf_deterministic() {
	fake_bpf_object obj.o
	cp "$DATA/valid.yaml" v.yaml
	cp "$DATA/allow-list.yaml" a.yaml
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o one v.yaml a.yaml
	rc_is 0
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o two a.yaml v.yaml
	rc_is 0
	diff -r one two >/dev/null || fail "two runs (inputs in another order) wrote different images"
}
t_target_all() {
	# --target=all walks the backend table: every backend's folder, byte-identical whatever
	# the order of the inputs; options of one backend go with it or with all
	fake_bpf_object obj.o
	cp "$DATA/valid.yaml" v.yaml
	cp "$DATA/allow-list.yaml" a.yaml
	KARMORC_BPF_OBJECT=obj.o kc compile --target=all -o one v.yaml a.yaml
	rc_is 0
	[ -n "$(ls one/apparmor)" ] || fail "no AppArmor profile"
	[ -e one/bpf/karmor.bpf.o ] || fail "no BPF object"
	ls one/bpf/*.kmi >/dev/null 2>&1 || fail "no BPF image"
	err_re "^karmorc: compile: [0-9]+ targets?, [0-9]+ files written to one/"
	KARMORC_BPF_OBJECT=obj.o kc compile --target=all -o two a.yaml v.yaml
	rc_is 0
	diff -r one two >/dev/null || fail "two runs (inputs in another order) wrote different files"
	kc compile --target=all --bpf-object obj.o -o three v.yaml
	rc_is 0
	kc compile --target=nope -o four v.yaml
	rc_is 2
	err_has "--target must name a backend (apparmor, bpf, selinux or landlock) or all, not nope"
	printf 'policies: [v.yaml]\ncases:\n  - {name: c, workload: {namespace: ns}, op: read, resource: /x, expect: Allow}\n' >sc.yaml
	KARMORC_BPF_OBJECT=obj.o kc compile --target=all -o five --scenario sc.yaml
	rc_is 2
	err_has "--scenario writes one backend's case manifest"
}
t_bpf_stale() {
	fake_bpf_object obj.o
	cp "$DATA/valid.yaml" v.yaml
	mkdir -p out/bpf
	echo stale >out/bpf/karmorc-ns-stale-00000000.kmi
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o out v.yaml
	rc_is 0
	[ -e out/bpf/karmorc-ns-stale-00000000.kmi ] && fail "a stale image survived"
	[ "$(ls out/bpf | wc -l)" -eq 2 ] || fail "expected one image and the object, got: $(ls out/bpf | tr '\n' ' ')"
}
t_bpf_capacity() {
	# the maps of one output together are held to the memory budget (--bpf-map-budget)
	fake_bpf_object obj.o
	many_paths big-one one /data/a 20000 a.yaml
	many_paths big-two two /data/b 15000 b.yaml
	mkdir -p out/bpf
	echo keep >out/bpf/old.kmi
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf --bpf-map-budget 14M -o out a.yaml b.yaml
	rc_is 1
	# (20,000 + 15,000 paths, as many names (the name filter: literal paths only), and two
	# ancestor keys each: /data and /data/a or /data/b):
	# 131,072 buckets of 16 bytes and 70,004 + 128 elements of 160 bytes
	err_re "^b\.yaml:1:1: error: bpf: the maps of this output need [0-9,]+ bytes of kernel memory, more than the budget of 14,680,064 \(--bpf-map-budget\): .*path map 13,318,272 bytes \(70,004 entries\).*; target karmorc-ns-[a-z0-9-]+ takes them over.*\[KC0408\]$"
	err_has "nothing written"
	out_re "^bpf: total \(2 targets\): 70,004 path entries, .*; maps [0-9,]+ of 14,680,064 bytes \(--bpf-map-budget\)$"
	[ "$(ls out/bpf)" = old.kmi ] || fail "something was written: $(ls out/bpf | tr '\n' ' ')"
	fmt_ok
	# one of them alone fits that budget; both fit the default (256 MiB)
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf --bpf-map-budget=14M -o out a.yaml
	rc_is 0
	out_has "40,002 path entries"
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o out a.yaml b.yaml
	rc_is 0
	out_re "^bpf: total \(2 targets\): 70,004 path entries, .* of 268,435,456 bytes"
	# a size that is not one is a usage error, before any policy is read
	for v in 0 12X 1.5M 2P ''; do
		KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf --bpf-map-budget "$v" -o out a.yaml
		rc_is 2
		err_has "karmorc: --bpf-map-budget '$v': expected a size"
	done
	kc compile --target=apparmor --bpf-map-budget 1G -o out a.yaml
	rc_is 2
	err_has "--bpf-map-budget goes with --target=bpf only"
}
t_bpf_corpus() {
	# the bench corpus of a node (2,000 policies, 110 Deployments): about 6,000 network
	# entries, more than the object used to fix (4,096); the images record what the loader
	# sizes the maps with, and they add up to the totals
	local gen=$ROOT/../shared/bench/gen-corpus.py
	[ -r "$gen" ] || { fail "no $gen (../shared beside the clone)"; return; }
	python3 "$gen" 2000 pol --workloads=inv.yaml >/dev/null || { fail "gen-corpus.py failed"; return; }
	fake_bpf_object obj.o
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf --workloads inv.yaml -o out pol
	rc_is 0
	local sums
	sums=$(python3 - out/bpf <<'PY'
import glob, struct, sys
n = [0] * 6
for f in glob.glob(sys.argv[1] + "/*.kmi"):
    h = open(f, "rb").read(176)
    for i, v in enumerate(struct.unpack_from("<5I", h, 44)):   # nrules, npaths, nnets, ncaps, nsrcs
        n[i] += v
    n[5] += struct.unpack_from("<I", h, 168)[0]                # nsys (the syscall section)
print(len(glob.glob(sys.argv[1] + "/*.kmi")), " ".join("{:,}".format(v) for v in n[1:5] + n[5:] + n[:1]))
PY
)
	read -r nt np nn nc ns nsys nr <<<"$sums"
	if [ "$nsys" = 0 ]; then
		out_has "bpf: total ($nt targets): $np path entries, $nn network, $nc capability, $ns source entries, $nr rules; maps "
	else
		out_has "bpf: total ($nt targets): $np path entries, $nn network, $nc capability, $ns source entries, $nr rules, $nsys syscall entries; maps "
	fi
	[ "$nt" -gt 100 ] || fail "only $nt targets"
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf --workloads inv.yaml --bpf-map-budget 8M -o out2 pol
	rc_is 1
	err_re "error: bpf: the maps of this output need [0-9,]+ bytes of kernel memory, more than the budget of 8,388,608 \(--bpf-map-budget\): target map .* path map [0-9,]+ bytes \($np entries\).*\[KC0408\]$"
	[ -e out2 ] && fail "something was written over the budget"
}
t_bpf_sources() {
	# fromSource slots: 255 per target
	fake_bpf_object obj.o
	{ pol KubeArmorPolicy src; printf 'spec:\n  selector:\n    matchLabels:\n      app: s\n  file:\n    matchPaths:\n    - path: /etc/shadow\n      fromSource:\n'
		seq -f '      - path: /usr/bin/p%.0f' 1 256; printf '  action: Block\n'; } >s.yaml
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o out s.yaml
	rc_is 1
	err_re "^s\.yaml:11:7: error: bpf: target karmorc-ns-[a-z0-9-]+ has 256 distinct fromSource entries, more than the 255 slots.*\[KC0408\]$"
	[ -e out ] && fail "something was written"
	head -n 267 s.yaml >s2.yaml
	printf '  action: Block\n' >>s2.yaml
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o out s2.yaml
	rc_is 0
	out_has "255 source entries"
}
t_bpf_object_missing() {
	# a karmorc with no object beside it says how to get one
	mkdir -p bin
	cp "${KARMORC_BINARY:-$K}" bin/karmorc	# scripts/valgrind: the binary, not its wrapper
	cp "$DATA/valid.yaml" v.yaml
	{ timeout 20 bin/karmorc compile --target=bpf -o out v.yaml >"$OUT" 2>"$ERR"; } 2>/dev/null
	RC=$?
	rc_is 3
	err_has "the BPF object karmor.bpf.o was not found"
	err_has "make"
	err_has "--bpf-object"
	[ -e out ] && fail "something was written"
	kc compile --target=bpf --bpf-object nowhere.o -o out v.yaml
	rc_is 3
	err_has "nowhere.o: No such file or directory"
	KARMORC_BPF_OBJECT=v.yaml kc compile --target=bpf -o out v.yaml
	rc_is 3
	err_has "not a little-endian 64-bit ELF object for BPF"
	kc compile --target=apparmor --bpf-object nowhere.o -o out v.yaml
	rc_is 2
}
t_gap_scope_travels() {
	# a gap's scope (which cases depend on it) travels with the finding: the complain-mode
	# Block is seen again in the fromSource child profile and dropped as a duplicate, and
	# its "only the ops it decides" must not land on the unrelated sctp gap (KC0400)
	{ pol KubeArmorPolicy a-file; printf '  namespace: ns\nspec:\n  selector:\n    matchLabels:\n      app: g\n  file:\n    matchPaths:\n    - path: /etc/passwd\n      action: Allow\n    - path: /etc/shadow\n      action: Block\n    - path: /etc/hosts\n      fromSource:\n      - path: /bin/bash\n      action: Allow\n  action: Block\n---\n'; pol KubeArmorPolicy b-net; printf '  namespace: ns\nspec:\n  selector:\n    matchLabels:\n      app: g\n  network:\n    matchProtocols:\n    - protocol: sctp\n  action: Allow\n'; } >g.yaml
	cat >sc.yaml <<-'EOF'
	policies: [g.yaml]
	cases:
	  - {name: sctp, workload: {namespace: ns, labels: {app: g}}, op: network, resource: sctp, expect: Allow}
	  - {name: shadow, workload: {namespace: ns, labels: {app: g}}, op: read, resource: /etc/shadow, expect: Block}
	EOF
	kc compile --target=apparmor -o out --scenario sc.yaml
	rc_is 0
	err_re "^(\./)?g\.yaml:[0-9]+:7: warning: apparmor: AppArmor has no network keyword for protocol 'sctp'.*\[KC0400\]$"
	awk -F'\t' 'NR > 1 { print $2 "|" $10 }' out/cases.tsv >got
	printf '%s\n' "sctp|KC0400" "shadow|KC0402" >want
	cmp -s got want || fail "cases.tsv: $(tr '\n' ' ' <got)"
}
t_bpf_gaps() {
	# what the kernel side does not enforce is a located warning, and the cases that depend
	# on it are skipped in the manifest with that code; globs are enforced (an automaton),
	# so their cases are not skipped
	fake_bpf_object obj.o
	{ pol KubeArmorPolicy g; printf '  namespace: ns\nspec:\n  selector:\n    matchLabels:\n      app: g\n  file:\n    matchPatterns:\n    - pattern: /tmp/*.key\n    matchPaths:\n    - path: /etc/shadow\n  syscalls:\n    matchSyscalls:\n    - syscall:\n      - unlink\n  action: Block\n'; } >g.yaml
	cat >sc.yaml <<-'EOF'
	policies: [g.yaml]
	cases:
	  - {name: glob, workload: {namespace: ns, labels: {app: g}}, op: read, resource: /tmp/a.key, expect: Block}
	  - {name: path, workload: {namespace: ns, labels: {app: g}}, op: read, resource: /etc/shadow, expect: Block}
	  - {name: syscall, workload: {namespace: ns, labels: {app: g}}, op: syscall, resource: unlink, expect: Audit}
	  - {name: nobody, workload: {namespace: other}, op: read, resource: /etc/shadow, expect: Allow}
	EOF
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o out --scenario sc.yaml
	rc_is 0
	# globs are matched and syscall rules audited by the programs: no gap
	err_lacks "KC0406"
	err_lacks "KC0401"
	local img
	img=$(basename out/bpf/karmorc-wl-*.kmi .kmi)
	awk -F'\t' 'NR > 1 { print $2 "|" $3 "|" $10 }' out/cases.tsv >got
	printf '%s\n' "glob|$img|-" "path|$img|-" "syscall|$img|-" "nobody|unconfined|-" >want
	cmp -s got want || fail "cases.tsv: $(tr '\n' ' ' <got)"
}
t_write_all_or_nothing() {
	# files are written as each target is emitted, under temporary names: a run that fails
	# part-way (here the bpf folder cannot be made) removes them and what it created
	fake_bpf_object obj.o
	{ pol KubeArmorPolicy a; printf '  namespace: ns\nspec:\n  selector:\n    matchLabels:\n      app: a\n%s\n  action: Block\n' "$PROC"; } >a.yaml
	mkdir out
	echo keep >out/bpf
	KARMORC_BPF_OBJECT=obj.o kc compile --target=all -o out a.yaml
	rc_is 3
	err_re "^karmorc: out/bpf/karmorc-[a-z0-9-]+\.kmi: Not a directory$"
	[ "$(ls -A out)" = bpf ] || fail "the failed run left: $(ls -A out | tr '\n' ' ')"
	rm out/bpf
	rmdir out
	KARMORC_BPF_OBJECT=obj.o kc compile --target=all -o out a.yaml
	rc_is 0
	[ -z "$(find out -name '*.tmp*')" ] || fail "temporary files left: $(find out -name '*.tmp*')"
	[ "$(ls out/apparmor | wc -l)" -eq 1 ] || fail "no profile: $(ls -R out | tr '\n' ' ')"
}
t compile_writes_all_or_nothing t_write_all_or_nothing
t bpf_compile_writes_images t_bpf_images
t bpf_images_deterministic t_bpf_deterministic
t compile_target_all t_target_all
t bpf_removes_stale_images t_bpf_stale
t bpf_map_capacity_KC0408 t_bpf_capacity
t bpf_source_slots_KC0408 t_bpf_sources
t bpf_bench_corpus_map_sizes t_bpf_corpus
t bpf_object_missing t_bpf_object_missing
t bpf_no_gaps_globs_syscalls t_bpf_gaps
t_syscall_write_gaps() {
	# a syscall that writes its path is that write (DESIGN §4.11): the write's gaps decide
	# its skip too (here a Block in a complain-mode profile has no audit record: KC0402)
	{ pol KubeArmorPolicy w; printf '  namespace: ns\nspec:\n  selector:\n    matchLabels:\n      app: w\n  file:\n    matchDirectories:\n    - dir: /srv/locked/\n      recursive: true\n    matchPaths:\n    - path: /srv/ro\n      readOnly: true\n      action: Allow\n  action: Block\n'; } >w.yaml
	cat >sc.yaml <<-'EOF'
	policies: [w.yaml]
	posture: {file: audit}
	cases:
	  - {name: unlink, workload: {namespace: ns, labels: {app: w}}, op: syscall, resource: unlink, path: /srv/locked/f, expect: Block}
	  - {name: getpid, workload: {namespace: ns, labels: {app: w}}, op: syscall, resource: getpid, expect: Allow}
	EOF
	kc test sc.yaml
	rc_is 0
	kc compile --target=apparmor -o out --scenario sc.yaml
	rc_is 0
	awk -F'\t' 'NR > 1 { print $2 "|" $10 }' out/cases.tsv >got
	printf '%s\n' "unlink|KC0402" "getpid|-" >want
	cmp -s got want || fail "cases.tsv: $(tr '\n' ' ' <got)"
	kc explain w.yaml --namespace ns --label app=w -- syscall unlink /srv/locked/f
	out_has "verdict: Block"
	out_has "so it is judged as that write too"
}
t apparmor_gap_scope_travels_KC0400 t_gap_scope_travels
t_scenario_identity() {
	# a scenario case's workload gets the identity the case describes, so its artifacts
	# (and the rig's events) carry one as an inventory's would
	fake_bpf_object obj.o
	{ pol KubeArmorPolicy a; printf '  namespace: ns\nspec:\n  selector:\n    matchLabels:\n      app: a\n%s\n  action: Block\n' "$PROC"; echo ---; pol KubeArmorHostPolicy h; printf 'spec:\n  nodeSelector:\n    matchLabels:\n      kubernetes.io/hostname: node-7\n%s\n  action: Block\n' "$PROC"; } >a.yaml
	cat >sc.yaml <<-'EOF'
	policies: [a.yaml]
	cases:
	  - {name: c, workload: {namespace: ns, labels: {app: a, tier: t}, container: web}, op: exec, resource: /bin/x, expect: Allow}
	  - {name: h, host: {labels: {kubernetes.io/hostname: node-7}}, op: exec, resource: /bin/x, expect: Allow}
	EOF
	kc compile --target=apparmor -o out --scenario sc.yaml
	rc_is 0
	local wl host
	wl=$(ls out/apparmor/karmorc-wl-*)
	host=$(ls out/apparmor/karmorc-host-*)
	for l in "# identity.kind: Pod" "# identity.namespace: ns" "# identity.container: web" "# identity.image: scenario" \
		"# identity.label: app=a" "# identity.label: tier=t"; do
		grep -qxF "$l" "$wl" || fail "the workload's profile lacks '$l'"
	done
	grep -qE '^# identity.pod: scenario-[0-9a-f]{8}$' "$wl" || fail "no pod name scenario-HASH: $(grep identity.pod "$wl")"
	grep -qxF "# identity.node: node-7" "$host" || fail "the node's profile lacks its name"
	KARMORC_BPF_OBJECT=obj.o kc compile --target=bpf -o outb --scenario sc.yaml
	rc_is 0
}
t syscall_write_takes_the_writes_gaps t_syscall_write_gaps
t scenario_workloads_have_identities t_scenario_identity

# ------------------------------------------------------------------ workload inventory

INV=$ROOT/testdata/lint/inventory
t_workloads_compile() {
	# one artifact per container (and node) the policies select, named after it; the same
	# bytes whatever the order of the policies and of the inventory's paths
	fake_bpf_object obj.o
	cp "$INV"/*.yaml .
	cp -r "$INV/inventory" inv
	sed -n '1,6p' inv/cluster.yaml >inv/ns.yaml
	sed -n '8,$p' inv/cluster.yaml >inv/rest.yaml
	rm inv/cluster.yaml
	KARMORC_BPF_OBJECT=obj.o kc compile --target=all --workloads inv/ns.yaml --workloads inv/rest.yaml -o one \
		allow-web.yaml hosts.yaml wrong-label.yaml
	rc_is 0
	err_re "^karmorc: compile: 3 targets, 18 files written to one/"
	# a Landlock ruleset for each of the 3 targets (containers and nodes alike)
	[ "$(ls one/landlock | grep -c '\.ruleset$')" -eq 3 ] || fail "expected 3 Landlock rulesets: $(ls one/landlock | tr '\n' ' ')"
	# and each its rule table (karmor-loader events --landlock)
	[ "$(ls one/landlock-rules | grep -c '\.rules$')" -eq 3 ] || fail "expected 3 Landlock rule tables: $(ls one/landlock-rules | tr '\n' ' ')"
	# each AppArmor profile has its rule table (what karmor-loader events reads)
	[ "$(ls one/apparmor-rules | grep -c '\.rules$')" -eq 3 ] || fail "expected 3 AppArmor rule tables: $(ls one/apparmor-rules | tr '\n' ' ')"
	# selinux serves the node only; with --target=all its KC0411 is a note (not printed)
	ls one/selinux | grep -q '^karmorc-host-worker-1-.*\.cil$' || fail "no SELinux module for the node worker-1"
	[ "$(ls one/selinux | wc -l)" -eq 2 ] || fail "SELinux files other than the node's module and rule table: $(ls one/selinux | tr '\n' ' ')"
	grep -q KC0411 "$ERR" && fail "KC0411 printed with --target=all (it is a note there)"
	ls one/apparmor | grep -q '^karmorc-wl-shop-web-nginx-' || fail "no profile named after shop/web/nginx: $(ls one/apparmor | tr '\n' ' ')"
	ls one/apparmor | grep -q '^karmorc-host-worker-1-' || fail "no profile for the node worker-1"
	[ "$(ls one/apparmor | wc -l)" -eq 3 ] || fail "expected 3 profiles: $(ls one/apparmor | tr '\n' ' ')"
	KARMORC_BPF_OBJECT=obj.o kc compile --target=all --workloads inv/rest.yaml --workloads inv/ns.yaml -o two \
		wrong-label.yaml hosts.yaml allow-web.yaml
	rc_is 0
	diff -r one two >/dev/null || fail "another order of policies and inventory paths wrote different files"
	# the namespace's annotation is the file posture of its containers
	grep -q '^# file class: allow-list, posture block$' one/apparmor/karmorc-wl-shop-web-nginx-* ||
		fail "the nginx profile does not take its namespace's file posture (block)"
	grep -q 'flags=(.*complain' one/apparmor/karmorc-wl-shop-web-nginx-* &&
		fail "the nginx profile is in complain mode under a block posture"
}
t_selinux_hosts_only() {
	# containers only: one warning that counts them, and no module
	cp "$INV/allow-web.yaml" .
	kc compile --target=selinux --workloads "$INV/inventory" -o out allow-web.yaml
	rc_is 0
	err_re "warning: selinux: serves host targets only: 2 container targets get nothing from it .*\[KC0411\]"
	[ "$(grep -c KC0411 "$ERR")" -eq 1 ] || fail "KC0411 more than once"
	[ ! -e out/selinux ] || [ -z "$(ls out/selinux)" ] || fail "modules written for containers: $(ls out/selinux)"
}
t selinux_serves_hosts_only t_selinux_hosts_only
t_selinux_domains() {
	# fromSource programs are domains: each gets exactly the sockets and capabilities the
	# verdict model leaves it, refusals guarded by neverallow; Allow rules make allow-lists
	# whose audit posture is auditallow on what no Allow grants
	cp "$ROOT/testdata/selinux/sources.yaml" .
	kc compile --target=selinux -o out sources.yaml
	rc_is 0
	local src allow
	src=$(ls out/selinux/karmorc-host-*selinux-sourc*.cil) || fail "no module for node selinux-sources"
	allow=$(ls out/selinux/karmorc-host-*selinux-allow*.cil) || fail "no module for node selinux-allowlist"
	grep -q '^    (neverallow d1 self (udp_socket (create)))$' "$src" || fail "nc's udp Block is no neverallow"
	grep -q '^    (allow d1 self (udp_socket' "$src" && fail "nc is granted udp sockets"
	grep -q '^    (auditallow d1 self (tcp_socket (create)))$' "$src" || fail "nc's tcp Audit is no auditallow"
	grep -q '^    (neverallow d1 self (capability (chown)))$' "$src" || fail "nc's chown Block is no neverallow"
	grep -q '^    (auditallow d1 self (capability (kill)))$' "$src" || fail "nc's kill Audit is no auditallow"
	grep -q '^    (allow d0 self (udp_socket (all)))$' "$src" || fail "programs nc runs lost udp sockets"
	grep -q 'sys_module\|mac_override' "$src" && fail "a domain is granted a capability the reference policy reserves"
	grep -q 'auditallow others' "$src" && fail "no allow-list on selinux-sources, yet something is audited for others"
	# the allow-list node: posture audit on the base's files, sockets and capabilities
	grep -q '^    (auditallow others file_type (file (open read ' "$allow" || fail "no posture audit of others' files"
	grep -q '^    (auditallow others self (tcp_socket (create)))$' "$allow" || fail "no posture audit of others' tcp"
	grep -q '^    (auditallow d3 self (tcp_socket (create)))$' "$allow" && fail "curl's Allow on tcp is audited"
	grep -q '^    (auditallow d3 self (udp_socket (create)))$' "$allow" || fail "curl's udp is not audited by the posture"
	grep -q '^    (filecon "/dev/null" any ' "$allow" || fail "the baseline's /dev/null has no type of its own"
	err_re "warning: selinux: stream sockets of /usr/bin/curl share SELinux's class tcp_socket with tcp sockets, which are Allow for it.*\[KC0400\]"
	# the rule table: the posture and the rules, keyed by domain and class
	grep -q $'^karmor_[a-z0-9_]*sourc[a-z0-9_]*\.d1/udp_socket\tBlock\thsp-sources-block\t' out/selinux/*sourc*.rules ||
		fail "no rule table line for nc's udp Block"
	grep -q $'^\*/tcp_socket\tAudit\tDefaultPosture\t' out/selinux/*allow*.rules || fail "no posture line for others' tcp"
	# posture block: a module cannot take from the base's domains (KC0402), and audits nothing
	kc compile --target=selinux --posture file=block,network=block -o blk sources.yaml
	rc_is 0
	err_re "warning: selinux: the file class is an allow-list with posture block: .*\[KC0402\]"
	err_re "warning: selinux: the network class is an allow-list with posture block: .*\[KC0402\]"
	grep -q 'auditallow others file_type' blk/selinux/*allow*.cil && fail "posture block still audits others' files"
	grep -q '^    (neverallow d3 self (udp_socket (create)))$' blk/selinux/*allow*.cil ||
		fail "posture block does not refuse curl's udp"
}
t selinux_domains_and_allow_lists t_selinux_domains
t_workloads_compile_errors() {
	cp "$INV/allow-web.yaml" .
	mkdir bad
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: b}]\n' >bad/d.yaml
	kc compile --target=apparmor --workloads bad -o out allow-web.yaml
	rc_is 1
	err_re "^bad/d\.yaml:4:3: error: metadata\.name is required \[KC0502\]$"
	err_has "nothing written"
	[ ! -e out ] || fail "an output directory was written"
	kc compile --target=apparmor --workloads missing.yaml -o out allow-web.yaml
	rc_is 3
	printf 'policies: [allow-web.yaml]\ncases:\n  - {name: c, workload: {namespace: shop}, op: read, resource: /x, expect: Allow}\n' >sc.yaml
	kc compile --target=apparmor --workloads bad -o out --scenario sc.yaml
	rc_is 2
	err_has "--workloads and --scenario do not go together"
	kc check --workloads bad allow-web.yaml
	rc_is 2
	err_has "--workloads is an option of lint, compile, explain and test"
}
t_workloads_explain() {
	cp "$INV"/*.yaml .
	cp -r "$INV/inventory" inv
	kc explain --workloads inv --workload shop/Deployment/web --container nginx allow-web.yaml -- read /etc/passwd
	rc_is 0
	out_has "verdict: Block"
	out_has "file posture: block"
	kc explain --workloads inv --workload shop/web --container logger allow-web.yaml -- read /usr/share/nginx/a
	rc_is 0
	out_has "verdict: Allow"
	kc explain --workloads inv --node worker-1 hosts.yaml -- read /etc/shadow
	rc_is 0
	out_has "alert:   worker-1-shadow"
	kc explain --workloads inv --workload shop/web allow-web.yaml -- read /etc/passwd
	rc_is 1
	err_has "shop/web names 2 targets of the inventory"
	err_has "--workload shop/Deployment/web --container logger"
	kc explain --workloads inv --workload shop/nope allow-web.yaml -- read /etc/passwd
	rc_is 1
	err_has "the inventory has no workload shop/nope"
	kc explain --workloads inv --namespace shop --workload shop/web allow-web.yaml -- read /etc/passwd
	rc_is 2
	err_has "with --workloads, name the target with --workload"
	kc explain --node worker-1 hosts.yaml -- read /etc/shadow
	rc_is 2
	err_has "give --workloads PATH"
}
t_workloads_test() {
	cp "$INV"/*.yaml .
	cp -r "$INV/inventory" inv
	cat >sc.yaml <<'SC'
policies: [allow-web.yaml, hosts.yaml]
cases:
  - {name: annotated, workload: {namespace: shop, name: web, container: nginx}, op: read, resource: /etc/passwd, expect: Block}
  - {name: node, host: {name: worker-1}, op: read, resource: /etc/shadow, expect: Block, policy: worker-1-shadow}
  - {name: ambiguous, workload: {namespace: shop, name: web}, op: read, resource: /etc/passwd, expect: Block}
  - {name: absent, workload: {namespace: shop, kind: Pod, name: web, container: nginx}, op: read, resource: /etc/passwd, expect: Block}
SC
	kc test --workloads inv sc.yaml
	rc_is 1
	out_has "ok   sc.yaml: annotated"
	out_has "ok   sc.yaml: node"
	out_has "FAIL sc.yaml: ambiguous: malformed case"
	out_has "FAIL sc.yaml: absent: malformed case"
	summary_is "2 passed, 2 failed"
	err_re "^sc\.yaml:5:57: error: the workload shop/web names 2 targets of the inventory .*\[KC0300\]$"
	err_re "^sc\.yaml:6:65: error: the workload inventory has no workload shop/Pod/web container nginx \[KC0300\]$"
	# without an inventory a case naming one cannot run
	kc test sc.yaml
	rc_is 1
	err_has "but there is none (the scenario's 'workloads', or --workloads)"
	summary_is "0 passed, 4 failed"
}
t_workloads_gap_once() {
	# a gap that holds for several targets is one warning that counts them, not one each
	cp -r "$INV/inventory" inv
	{ pol KubeArmorPolicy web-sctp; printf '  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: web\n  network:\n    matchProtocols:\n    - protocol: sctp\n  action: Allow\n'; } >g.yaml
	kc compile --target=apparmor --workloads inv -o out g.yaml
	rc_is 0
	err_re "^(\./)?g\.yaml:12:7: warning: apparmor: AppArmor has no network keyword for protocol 'sctp' in policy web-sctp \(target karmorc-wl-shop-web-[a-z0-9-]+ and 1 other target\); cases that depend on it are not enforced as the verdict model says \[KC0400\]$"
	[ "$(grep -c KC0400 "$ERR")" -eq 1 ] || fail "the sctp gap is reported $(grep -c KC0400 "$ERR") times"
	kc lint --format=json --backend apparmor --workloads inv g.yaml
	grep -q '"code":"KC0400".*"target":"karmorc-wl-shop-web-[a-z0-9-]*","targets":2,' "$OUT" ||
		fail "lint's JSON does not count the gap's 2 targets: $(grep KC0400 "$OUT")"
}
t workloads_compile_targets_and_determinism t_workloads_compile
t_lint_map_budget() {
	# lint takes the backends' options as compile does: a budget the maps exceed is KC0408
	fake_bpf_object obj.o
	cp -r "$INV/inventory" inv
	cp "$INV/allow-web.yaml" .
	kc lint --format=json --backend bpf --bpf-object obj.o --bpf-map-budget 4K --workloads inv allow-web.yaml
	rc_is 1
	out_has '"code":"KC0408"'
	kc lint --format=json --backend bpf --bpf-object obj.o --workloads inv allow-web.yaml
	rc_is 0
	kc lint --backend apparmor --bpf-map-budget 4K allow-web.yaml
	rc_is 2
	err_has "--bpf-map-budget goes with --backend bpf only"
	kc lint --backend bpf --bpf-object obj.o --bpf-map-budget lots allow-web.yaml
	rc_is 2
	err_has "karmorc: --bpf-map-budget 'lots': expected a size"
}
t workloads_gap_warned_once t_workloads_gap_once
t lint_takes_bpf_map_budget t_lint_map_budget
t workloads_compile_errors t_workloads_compile_errors
t workloads_explain_picks_a_target t_workloads_explain
t workloads_test_names_targets t_workloads_test

# ------------------------------------------------------------------ working directory

t_from_elsewhere() {
	# paths are taken as given, relative to the caller's directory
	mkdir -p x/y
	cp "$DATA/valid.yaml" x/y/v.yaml
	cd x
	kc check y/v.yaml
	rc_is 0
	cd "$W"
}
t cwd_relative_paths t_from_elsewhere

echo "$PASS passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
