#!/usr/bin/env bash
# karmorc bundle and karmor-loader verify (karmor-bundle(5)), on the host: the same
# inputs in any order and directory give the same bytes; signatures in minisign's format
# both ways (minisign verifies karmorc's, the loader verifies minisign's; keys with and
# without a password); every flipped byte refused (in memory by build/bundle-tamper, and
# a sample through the command); the commands' refusals; and the OCI artifact, through a
# registry on the loopback address (Debian's docker-registry) with skopeo.
# Usage: tests/loader/bundle.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
kc=$build/karmorc loader=$build/karmor-loader tamper=$build/bundle-tamper
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
for tool in minisign skopeo docker-registry; do
	command -v $tool >/dev/null || { echo "FAIL $tool is missing (scripts/install-deps installs it)"; echo "0 passed, 1 failed"; exit 1; }
done

# --- reproducible: two directories, the inputs in another order, another TMPDIR
for d in one two; do
	mkdir -p "$work/$d/policies" "$work/$d/tmp"
	cp testdata/selinux/sources.yaml testdata/selinux/labels.yaml "$work/$d/policies/"
	cp testdata/scenarios/model/policies/host-policies.yaml "$work/$d/policies/"
done
(cd "$work/one" && TMPDIR=$work/one/tmp "$kc" bundle -o b.kb policies/sources.yaml policies/labels.yaml \
	policies/host-policies.yaml) >"$work/one.log" 2>&1
r1=$?
(cd "$work/two" && TMPDIR=$work/two/tmp "$kc" bundle -o b.kb policies/host-policies.yaml policies/labels.yaml \
	policies/sources.yaml) >"$work/two.log" 2>&1
r2=$?
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && cmp -s "$work/one/b.kb" "$work/two/b.kb"; then
	ok "the same inputs in another order and directory give the same bytes ($(wc -c <"$work/one/b.kb") bytes)"
else
	bad "bundles differ or failed (exit $r1, $r2): $(tail -1 "$work/one.log") $(cmp "$work/one/b.kb" "$work/two/b.kb" 2>&1)"
fi
[ -z "$(ls -A "$work/one/tmp")" ] && ok "the scratch directory is removed" || bad "scratch left: $(ls "$work/one/tmp")"
grep -q $'^input\t[0-9a-f]\\{64\\}\tpolicies/sources.yaml$' "$work/one/b.kb" && grep -q $'^backend\tselinux\tselinux\t' "$work/one/b.kb" &&
	grep -q '^section selinux/.*\.rules [0-9]* [0-9a-f]\{64\}$' "$work/one/b.kb" &&
	ok "the manifest names inputs, backends and sections" || bad "manifest: $(head -c 400 "$work/one/b.kb")"
B=$work/one/b.kb

# --- signatures: minisign keys without and with a password
cd "$work"
minisign -G -W -p nopw.pub -s nopw.key >/dev/null 2>&1
printf 'pw-of-test\npw-of-test\n' | minisign -G -p pw.pub -s pw.key >/dev/null 2>&1
printf 'pw-of-test\n' >pw.txt
"$kc" bundle -o s.kb --sign nopw.key one/policies/sources.yaml >s.log 2>&1 &&
	minisign -Vm s.kb -p nopw.pub >/dev/null 2>&1 && ok "minisign -V verifies a bundle karmorc signed (key without a password)" ||
	bad "minisign -V (no password): $(tail -2 s.log)"
"$kc" bundle -o p.kb --sign pw.key --password-file pw.txt one/policies/sources.yaml >p.log 2>&1 &&
	minisign -Vm p.kb -p pw.pub >/dev/null 2>&1 && ok "minisign -V verifies a bundle karmorc signed (key with a password)" ||
	bad "minisign -V (password): $(tail -2 p.log)"
"$loader" verify s.kb --key nopw.pub >v.out 2>&1 && grep -q 'signature: good (key ID ' v.out &&
	ok "karmor-loader verify: a karmorc signature" || bad "verify: $(cat v.out)"
minisign -S -W -s nopw.key -m s.kb -x s.mini >/dev/null 2>&1
"$loader" verify s.kb --key nopw.pub --signature s.mini >v.out 2>&1 && ok "karmor-loader verify: a signature minisign made" ||
	bad "verify minisign's signature: $(cat v.out)"
"$loader" verify s.kb --key "$(sed -n 2p nopw.pub)" --json >v.out 2>&1 && grep -q '"signature":"good"' v.out &&
	ok "the key given as its base64 text, JSON out" || bad "verify --key BASE64 --json: $(cat v.out)"

# --- tampering: every byte of a small signed bundle, 10,000 positions of a large one
"$kc" bundle -o small.kb --target=apparmor --sign nopw.key one/policies/sources.yaml >small.log 2>&1
"$tamper" small.kb small.kb.minisig nopw.pub >t1.out 2>&1 && tail -1 t1.out | grep -q ' 0 failed' &&
	ok "every byte of a small bundle and its signature flipped: all refused ($(head -1 t1.out | sed 's/^bundle-tamper: //'))" ||
	bad "tamper (small): $(grep FAIL t1.out | head -3) $(tail -1 t1.out)"
"$kc" bundle -o big.kb --sign nopw.key one/policies/sources.yaml one/policies/labels.yaml >big.log 2>&1
"$tamper" big.kb big.kb.minisig nopw.pub 10000 >t2.out 2>&1 && tail -1 t2.out | grep -q ' 0 failed' &&
	ok "10,000 positions over every section of a $(wc -c <big.kb)-byte bundle, and its signature: all refused" ||
	bad "tamper (large): $(grep FAIL t2.out | head -3) $(tail -1 t2.out)"
# the command itself, on a sample: a byte in each section and in the signature's lines
refused=0 tried=0
size=$(wc -c <big.kb)
for pos in 0 20 100 700 $((size / 3)) $((size / 2)) $((size * 2 / 3)) $((size - 80)) $((size - 2)) $((size - 1)); do
	cp big.kb x.kb && cp big.kb.minisig x.kb.minisig
	printf '\x01' | dd of=x.kb bs=1 seek="$pos" conv=notrunc 2>/dev/null
	cmp -s x.kb big.kb && printf '\x02' | dd of=x.kb bs=1 seek="$pos" conv=notrunc 2>/dev/null
	tried=$((tried + 1))
	"$loader" verify x.kb --key nopw.pub >/dev/null 2>&1
	[ $? -eq 1 ] && refused=$((refused + 1))
done
for pos in 0 30 60 100 150 200; do
	cp big.kb x.kb && cp big.kb.minisig x.kb.minisig
	printf '\x01' | dd of=x.kb.minisig bs=1 seek="$pos" conv=notrunc 2>/dev/null
	tried=$((tried + 1))
	"$loader" verify x.kb --key nopw.pub >/dev/null 2>&1
	[ $? -eq 1 ] && refused=$((refused + 1))
done
[ $refused -eq $tried ] && ok "karmor-loader verify refuses each of $tried altered copies (exit 1)" ||
	bad "verify accepted $((tried - refused)) of $tried altered copies"

# --- refusals
"$loader" verify s.kb --key pw.pub >v.out 2>&1
[ $? -eq 1 ] && grep -q 'made with another key' v.out && ok "another key is refused" || bad "wrong key: $(cat v.out)"
cp s.kb u.kb
"$loader" verify u.kb --key nopw.pub >v.out 2>&1
[ $? -eq 1 ] && grep -q 'not signed' v.out && ok "a key but no signature is refused" || bad "no signature: $(cat v.out)"
"$loader" verify u.kb --require-signature >v.out 2>&1
[ $? -eq 2 ] && ok "--require-signature without --key is a usage error" || bad "--require-signature: $(cat v.out)"
"$loader" verify u.kb >v.out 2>&1 && grep -q 'signature: not checked' v.out && ok "without --key: the hashes only, and says so" ||
	bad "unsigned verify: $(cat v.out)"
head -c 100 s.kb >trunc.kb
"$loader" verify trunc.kb >v.out 2>&1
[ $? -eq 1 ] && ok "a truncated bundle is refused: $(sed 's/^karmor-loader: verify: //' v.out)" || bad "truncated: $(cat v.out)"
printf 'wrong\n' >bad.txt
rm -f n.kb n.kb.minisig
"$kc" bundle -o n.kb --sign pw.key --password-file bad.txt one/policies/sources.yaml >n.log 2>&1
[ $? -eq 3 ] && [ ! -e n.kb ] && [ ! -e n.kb.minisig ] && grep -q 'wrong password' n.log &&
	ok "a wrong password: exit 3, nothing written" || bad "wrong password: $(tail -2 n.log); $(ls n.kb* 2>&1)"
"$kc" bundle -o n.kb - <one/policies/sources.yaml >n.log 2>&1
[ $? -eq 2 ] && [ ! -e n.kb ] && ok "standard input is refused as an input (exit 2)" || bad "stdin: $(tail -2 n.log)"
cp s.kb.minisig old.sig
"$kc" bundle -o s.kb one/policies/labels.yaml >r.log 2>&1
[ ! -e s.kb.minisig ] && grep -q 'removed s.kb.minisig' r.log && ok "an unsigned rebuild removes the earlier signature" ||
	bad "stale signature kept: $(tail -1 r.log)"
# --- OCI: the layout is deterministic, skopeo moves it through a registry on the
# loopback address unchanged, and the bundle that comes back verifies
rm -rf lay1 lay2 pulled reg
(cd one && "$kc" bundle -o o.kb --sign ../nopw.key --oci ../lay1 policies/sources.yaml) >o1.log 2>&1
(cd two && "$kc" bundle -o o.kb --sign ../nopw.key --oci ../lay2 policies/sources.yaml) >o2.log 2>&1
cp one/o.kb o1.kb
if [ -f lay1/index.json ] && diff -r lay1 lay2 >/dev/null 2>&1; then
	ok "the OCI layout is byte-identical when built again elsewhere"
else
	bad "OCI layouts differ: $(diff -rq lay1 lay2 2>&1 | head -2) $(tail -1 o1.log)"
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p reg
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/reg\nhttp:\n  addr: 127.0.0.1:%s\n' \
	"$work" "$port" >reg.yml
docker-registry serve reg.yml >reg.log 2>&1 &
regpid=$!
trap 'kill $regpid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
	python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null && break
	sleep 0.1
done
ref=127.0.0.1:$port/karmor/policies:v1
if skopeo copy --dest-tls-verify=false oci:lay1:latest "docker://$ref" >push.log 2>&1 &&
	skopeo copy --src-tls-verify=false "docker://$ref" oci:pulled:latest >pull.log 2>&1; then
	want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' lay1/index.json)
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' pulled/index.json)
	remote=$(skopeo inspect --raw --tls-verify=false "docker://$ref" | sha256sum | cut -d' ' -f1)
	blob=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + sys.argv[2].split(":")[1]))
for l in m["layers"]:
    print(l["mediaType"], l["digest"].split(":")[1])' pulled "$got")
	b=$(awk '$1 == "application/vnd.karmor.bundle.v1" { print $2 }' <<<"$blob")
	s=$(awk '$1 == "application/vnd.karmor.bundle.signature.v1" { print $2 }' <<<"$blob")
	if [ "$want" = "$got" ] && [ "sha256:$remote" = "$want" ] && cmp -s "pulled/blobs/sha256/$b" o1.kb &&
		"$loader" verify "pulled/blobs/sha256/$b" --key nopw.pub --signature "pulled/blobs/sha256/$s" >v.out 2>&1; then
		ok "skopeo round trip through a registry on 127.0.0.1: manifest digest unchanged ($want), the bundle byte-identical and verified"
	else
		bad "round trip: digests $want / $got / sha256:$remote; $(cat v.out 2>/dev/null)"
	fi
else
	bad "skopeo through the registry: $(tail -2 push.log pull.log)"
fi
# the fetch script of deploy/kubernetes/karmor-loader-oci.yaml's init container, run here
# against the same registry: it must hand apply the bundle and its signature unchanged
python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "DaemonSet":
        print([c for c in d["spec"]["template"]["spec"]["initContainers"] if c["name"] == "fetch"][0]["args"][0])' \
	"$top/deploy/kubernetes/karmor-loader-oci.yaml" >fetch.sh
mkdir -p fetched
if KARMOR_BUNDLE_REF=$ref KARMOR_SKOPEO_FLAGS=--src-tls-verify=false KARMOR_FETCH_DIR=$work/fetch \
	KARMOR_BUNDLE_DIR=$work/fetched sh fetch.sh >fetch.log 2>&1 && cmp -s fetched/bundle.kb o1.kb &&
	cmp -s fetched/bundle.kb.minisig one/o.kb.minisig &&
	"$loader" verify fetched/bundle.kb --key nopw.pub --require-signature >v2.out 2>&1; then
	ok "the DaemonSet's fetch script (karmor-loader-oci.yaml) pulls the bundle and its signature from the registry byte-identical; verified"
else
	bad "the DaemonSet's fetch script: $(tail -3 fetch.log) $(cat v2.out 2>/dev/null)"
fi
kill $regpid 2>/dev/null
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
