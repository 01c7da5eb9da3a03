#!/usr/bin/env python3
"""karmorc lint tests.

    tests/lint/run.py BUILD_DIR [--update]

1. Every testdata/lint/NAME/ folder: `karmorc lint --format=json [ARGS] *.yaml` run inside the folder
   (ARGS from its optional `args` file) gives exactly the findings of its expected.txt, and the
   same findings with the files named in the reverse order (deterministic output).
2. `karmorc lint --format=sarif testdata/lint/` validates against ../shared/schemas/sarif-2.1.0.json
   (python3-jsonschema) and has one result per JSON finding.
3. `karmorc lint` over the whole ../shared/corpus/ finishes without a crash (exit 0 or 1).
One line per test ("ok NAME" or "FAIL NAME: why"), then "N passed, M failed".
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build = sys.argv[1] if len(sys.argv) > 1 else "build"
update = "--update" in sys.argv
K = build if os.path.isabs(build) else os.path.join(ROOT, build)
K = os.path.join(K, "karmorc")
LINT = os.path.join(ROOT, "testdata", "lint")
SCHEMA = os.path.join(ROOT, "..", "shared", "schemas", "sarif-2.1.0.json")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
env = dict(os.environ)
env.setdefault("ASAN_OPTIONS", "exitcode=86:detect_leaks=1")
env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
passed = failed = 0


def result(name, why):
    global passed, failed
    if why:
        failed += 1
        print(f"FAIL {name}: {why}")
    else:
        passed += 1
        print(f"ok {name}")


def run(args, cwd):
    p = subprocess.run([K] + args, cwd=cwd, env=env, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def crashed(rc, err):
    if rc < 0 or rc >= 4:
        return f"exit {rc}: {err[-500:]}"
    if "Sanitizer" in err or "runtime error" in err:
        return "sanitizer report: " + err[-500:]
    return None


def render(out):
    lines = []
    for raw in out.splitlines():
        r = json.loads(raw)
        rel = "".join(" -> %s:%d:%d" % (x["file"], x["line"], x["column"]) for x in r["related"])
        # the backend a finding comes from (backend-gap, capacity), when there is one
        be = " [%s]" % r["backend"] if "backend" in r else ""
        lines.append("%s:%d:%d %s %s %s%s%s" % (r["file"], r["line"], r["column"], r["severity"], r["code"],
                                                 r["check"], be, rel))
        lines.append("    " + r["message"])
    return "\n".join(lines) + ("\n" if lines else "")


for name in sorted(os.listdir(LINT)):
    d = os.path.join(LINT, name)
    if not os.path.isdir(d):
        continue
    files = sorted(f for f in os.listdir(d) if f.endswith((".yaml", ".yml")))
    extra = open(os.path.join(d, "args")).read().split() if os.path.exists(os.path.join(d, "args")) else []
    rc, out, err = run(["lint", "--format=json"] + extra + files, d)
    why = crashed(rc, err)
    got = render(out) if not why else ""
    exp_path = os.path.join(d, "expected.txt")
    if update and not why:
        open(exp_path, "w").write(got)
    expected = open(exp_path).read() if os.path.exists(exp_path) else None
    if not why and expected is None:
        why = "no expected.txt"
    elif not why and got != expected:
        why = "findings differ:\n--- expected\n" + expected + "--- got\n" + got
    result(f"lint {name}", why)
    rc2, out2, err2 = run(["lint", "--format=json"] + extra + files[::-1], d)
    why = crashed(rc2, err2) or (None if out2 == out else "output depends on the order of the files")
    result(f"lint {name} (files reversed)", why)

# SARIF against the schema
rc, out, err = run(["lint", "--format=sarif", "testdata/lint/"], ROOT)
why = crashed(rc, err)
if not why:
    try:
        import jsonschema
        log = json.loads(out)
        jsonschema.validate(log, json.load(open(SCHEMA)))
        rc2, out2, _ = run(["lint", "--format=json", "testdata/lint/"], ROOT)
        n = len(out2.splitlines())
        res = log["runs"][0]["results"]
        if len(res) != n:
            why = f"{len(res)} SARIF results for {n} JSON findings"
        elif not any(r["relatedLocations"] for r in res):
            why = "no relatedLocations in any result"
        elif any("karmorcFinding/v1" not in r["partialFingerprints"] for r in res):
            why = "a result without its partialFingerprints"
    except ImportError:
        why = "python3-jsonschema is not installed (scripts/install-deps)"
    except Exception as e:  # noqa: BLE001 -- any failure is the test's
        why = f"{type(e).__name__}: {str(e)[:800]}"
result("lint --format=sarif validates against sarif-2.1.0.json", why)

# fingerprints survive moved lines
import shutil, tempfile  # noqa: E401
tmp = tempfile.mkdtemp()
try:
    src = os.path.join(LINT, "conflict-block-allow")
    for f in os.listdir(src):
        if f.endswith(".yaml"):
            text = open(os.path.join(src, f)).read()
            open(os.path.join(tmp, f), "w").write("# moved\n\n\n" + text)
    fp = []
    for d in (src, tmp):
        _, out, _ = run(["lint", "--format=sarif", "allow.yaml", "block.yaml"], d)
        fp.append([(r["partialFingerprints"]["karmorcFinding/v1"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                   for r in json.loads(out)["runs"][0]["results"]])
    why = None
    if [f for f, _ in fp[0]] != [f for f, _ in fp[1]]:
        why = "fingerprints changed when lines moved"
    elif [l for _, l in fp[0]] == [l for _, l in fp[1]]:
        why = "the lines did not move"
    result("SARIF partialFingerprints do not change when lines move", why)
finally:
    shutil.rmtree(tmp)

# exit codes and usage
rc, _, _ = run(["lint", "--format=json", "conflict-block-allow"], LINT)
rcw, _, _ = run(["lint", "--fail-level=warning", "conflict-block-allow"], LINT)
rcn, _, _ = run(["lint", "--fail-level=note", "--backend", "none", "silent-layered-audit-block"], LINT)
rcu, _, _ = run(["lint", "--format=xml", "x.yaml"], LINT)
rcm, _, _ = run(["lint", "does-not-exist.yaml"], LINT)
result("lint exit codes (0 clean, 1 at --fail-level, 2 usage, 3 I/O)",
       None if (rc, rcw, rcn, rcu, rcm) == (0, 1, 0, 2, 3) else f"got {(rc, rcw, rcn, rcu, rcm)}")

# the backends: capacity notes count at --fail-level=note; an unknown backend is a usage
# error; a backend that cannot be prepared (no BPF object) is exit 3 with what to do
rcn, _, _ = run(["lint", "--fail-level=note", "silent-layered-audit-block"], LINT)
rcb, _, errb = run(["lint", "--backend", "nosuch", "silent-layered-audit-block"], LINT)
env_saved = env.get("KARMORC_BPF_OBJECT")
env["KARMORC_BPF_OBJECT"] = os.path.join(LINT, "no-such-object.o")
rco, outo, erro = run(["lint", "silent-layered-audit-block"], LINT)
rca, _, _ = run(["lint", "--backend", "apparmor", "silent-layered-audit-block"], LINT)
if env_saved is None:
    del env["KARMORC_BPF_OBJECT"]
else:
    env["KARMORC_BPF_OBJECT"] = env_saved
got = (rcn, rcb, rco, rca)
why = None if got == (1, 2, 3, 0) else f"got {got}"
if not why and ("--bpf-object FILE" not in erro or "--backend" not in erro or outo):
    why = "no BPF object: the message does not say what to do, or findings were printed: " + erro[-300:]
if not why and "unknown backend 'nosuch'" not in errb:
    why = "unknown backend: " + errb[-300:]
result("lint --backend (capacity notes fail at note, unknown name 2, no BPF object 3, apparmor alone 0)", why)

# lint runs the backends' emit but never writes: the working directory stays as it was
tmp = tempfile.mkdtemp()
try:
    shutil.copy(os.path.join(LINT, "backend-gap-sctp", "policy.yaml"), tmp)
    rc, out, err = run(["lint", "--format=json", "policy.yaml"], tmp)
    left = sorted(os.listdir(tmp))
    why = crashed(rc, err) or (None if left == ["policy.yaml"] else f"lint left files: {left}")
    if not why and not any(json.loads(l).get("backend") for l in out.splitlines()):
        why = "no finding from a backend"
    result("lint runs the backends and writes no file", why)
finally:
    shutil.rmtree(tmp)

# the whole corpus: no crash
rc, out, err = run(["lint", "--format=json", CORPUS], ROOT)
why = crashed(rc, err)
if not why:
    try:
        for line in out.splitlines():
            json.loads(line)
    except ValueError as e:
        why = f"bad JSON line: {e}"
result("lint over ../shared/corpus/ finishes without a crash", why)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
