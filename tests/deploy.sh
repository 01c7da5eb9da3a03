#!/usr/bin/env bash
# deploy/ (karmor-loader(8), DEPLOYMENT), checked on the host:
#   kubernetes/  both DaemonSets read by karmorc's own workload-inventory reader (they are
#                Kubernetes objects: the targets of a policy that selects them name every
#                container), then the fields a DaemonSet needs, and nothing more: node
#                selection, the capabilities (no privileged container), the host paths,
#                a state directory below its mount (apply renames it), apply's arguments
#                taken by karmor-loader's parser, the signature required
#   systemd/     `make install` into a scratch root, then systemd-analyze verify on the
#                units there; their commands taken by karmor-loader's parser; loader.conf
#                read by the loader
# (The OCI fetch script of karmor-loader-oci.yaml runs for real against a registry in
# tests/loader/bundle.sh.)
# Usage: tests/deploy.sh BUILD_DIR.  One line per check, then "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
kc=$build/karmorc loader=$build/karmor-loader
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

cat >"$work/pol.yaml" <<'EOF'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: karmor-loader-itself
  namespace: karmor-system
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: karmor-loader
  file:
    matchPaths:
    - path: /etc/shadow
  action: Block
EOF
# ---- kubernetes: karmorc's inventory reader
for m in karmor-loader karmor-loader-oci; do
	want="init container apply|container events"
	[ $m = karmor-loader-oci ] && want="init container fetch|init container apply|container events"
	if "$kc" bundle --target=bpf --workloads "deploy/kubernetes/$m.yaml" -o "$work/$m.kb" "$work/pol.yaml" \
		>"$work/$m.log" 2>&1; then
		got=$(grep -a '^target	' "$work/$m.kb" | sed -n 's/.*\tthe \(.*\) of DaemonSet karmor-system\/karmor-loader$/\1/p' |
			tr '\n' '|' | sed 's/|$//')
		[ "$got" = "$want" ] && ok "$m.yaml: karmorc's inventory reader takes it: DaemonSet karmor-system/karmor-loader, $want" ||
			bad "$m.yaml targets" "got '$got', wanted '$want'"
	else
		bad "$m.yaml: karmorc's inventory reader" "$(cat "$work/$m.log")"
	fi
done

# ---- kubernetes: the fields a DaemonSet needs, and no more privilege than the loader's
python3 - deploy/kubernetes/karmor-loader.yaml deploy/kubernetes/karmor-loader-oci.yaml >"$work/fields" 2>&1 <<'PY'
import sys, yaml
CAPS = {"SYS_ADMIN", "BPF", "PERFMON", "NET_ADMIN", "MAC_ADMIN"}
HOST = {"/sys/fs/bpf", "/sys/kernel/security", "/sys/fs/cgroup", "/run/karmor"}
for path in sys.argv[1:]:
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    ds = [d for d in docs if d["kind"] == "DaemonSet"]
    assert len(ds) == 1 and ds[0]["apiVersion"] == "apps/v1", path
    ds = ds[0]
    assert any(d["kind"] == "Namespace" and d["metadata"]["name"] == ds["metadata"]["namespace"] for d in docs), "namespace"
    spec = ds["spec"]["template"]["spec"]
    labels = ds["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in ds["spec"]["selector"]["matchLabels"].items()), "selector"
    assert spec["nodeSelector"], "nodeSelector"
    assert not spec.get("hostNetwork") and not spec.get("hostIPC"), "host namespaces"
    assert spec.get("automountServiceAccountToken") is False, "no API token: the loader never calls the API"
    vols = {v["name"]: v for v in spec["volumes"]}
    hp = {v["hostPath"]["path"] for v in vols.values() if "hostPath" in v}
    assert hp == HOST, f"host paths {hp}"
    inits, mains = spec["initContainers"], spec["containers"]
    names = [c["name"] for c in inits]
    assert names[-1] == "apply" and (names == ["apply"] or names == ["fetch", "apply"]), names
    apply = inits[-1]
    events = mains[0]
    assert len(mains) == 1 and events["args"][:3] == ["events", "--json", "--follow"], events["args"]
    for c in inits + mains:
        sc = c["securityContext"]
        assert not sc.get("privileged"), c["name"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
        add = set(sc["capabilities"].get("add", []))
        assert add == (set() if c["name"] == "fetch" else CAPS), (c["name"], add)
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        if c["name"] != "fetch":
            assert {vols[m["name"]]["hostPath"]["path"] for m in mounts.values()
                    if "hostPath" in vols[m["name"]]} == HOST, c["name"]
            assert mounts["/sys/fs/cgroup"].get("readOnly") is True, "cgroup read-only"
    a = apply["args"]
    assert a[0] == "apply" and "--require-signature" in a and a[a.index("--key") + 1].startswith("/etc/karmor/key/"), a
    state = a[a.index("--state-dir") + 1]
    assert events["args"][events["args"].index("--state-dir") + 1] == state, "apply and events share the state"
    mounts = {m["mountPath"] for m in apply["volumeMounts"]}
    # apply renames the state directory and the pin directory: neither may be a mount point
    assert state not in mounts and any(state.startswith(m + "/") for m in mounts), state
    pin = a[a.index("--pin-dir") + 1]
    assert pin not in mounts and pin.startswith("/sys/fs/bpf/"), pin
    # the bundle the fetch container writes is the one apply reads
    if names[0] == "fetch":
        env = {e["name"]: e["value"] for e in inits[0]["env"]}
        assert a[-1] == env["KARMOR_BUNDLE_DIR"] + "/bundle.kb", (a[-1], env)
    print(path.split("/")[-1], " ".join(a))
PY
if [ $? -eq 0 ]; then
	ok "both DaemonSets: node selector, no privileged container, capabilities $(echo SYS_ADMIN BPF PERFMON NET_ADMIN MAC_ADMIN), four host paths, the state below its mount, signature required"
else
	bad "DaemonSet fields" "$(tail -n 3 "$work/fields")"
fi
# apply's arguments, as the DaemonSets give them, taken by karmor-loader's parser: the only
# complaint is the bundle that is not here
while read -r m args; do
	# shellcheck disable=SC2086
	"$loader" $args >"$work/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "/etc/karmor/bundle/bundle.kb: No such file" "$work/out" &&
		ok "$m: karmor-loader takes apply's arguments (exit 1 only for the missing bundle)" ||
		bad "$m: apply's arguments" "exit $rc: $(cat "$work/out")"
done <"$work/fields"

# ---- systemd: installed into a scratch root, verified there
root=$work/root
mk=(BUILD="${build#"$top"/}")
[[ $build == */san ]] && mk=(SAN=1)	# the same build, its flags included
if make -s install DESTDIR="$root" "${mk[@]}" >"$work/install.log" 2>&1; then
	mkdir -p "$root/usr/lib/systemd"
	cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"	# sysinit.target and the like
	units=$(cd "$root/usr/local/lib/systemd/system" && ls karmor-*)
	if systemd-analyze verify --man=no --root="$root" $(printf "/usr/local/lib/systemd/system/%s " $units) \
		>"$work/verify" 2>&1 && ! grep -q . "$work/verify"; then
		ok "systemd-analyze verify: $(echo $units)"
	else
		bad "systemd-analyze verify" "$(cat "$work/verify")"
	fi
else
	bad "make install" "$(tail -n 3 "$work/install.log")"
fi
# their commands, taken by karmor-loader's parser (with loader.conf's defaults)
for u in deploy/systemd/karmor-apply.service deploy/systemd/karmor-reapply.service; do
	cmd=$(sed -n 's|^ExecStart=/usr/local/sbin/karmor-loader ||p' "$u" | sed 's/\$KARMOR_APPLY_ARGS //')
	# shellcheck disable=SC2086
	KARMOR_LOADER_CONF=deploy/systemd/loader.conf "$loader" $cmd >"$work/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "/var/lib/karmor/bundle.kb: No such file" "$work/out" &&
		ok "$(basename "$u"): karmor-loader takes '$cmd' with deploy/systemd/loader.conf" ||
		bad "$(basename "$u") command" "exit $rc: $(cat "$work/out")"
done
cmd=$(sed -n 's|^ExecStart=/usr/local/sbin/karmor-loader ||p' deploy/systemd/karmor-events.service)
# shellcheck disable=SC2086
"$loader" $cmd --state-dir "$work/none" >"$work/out" 2>&1
[ $? -eq 1 ] && grep -q "nothing is attached" "$work/out" &&
	ok "karmor-events.service: karmor-loader takes '$cmd'" || bad "karmor-events.service command" "$(cat "$work/out")"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
