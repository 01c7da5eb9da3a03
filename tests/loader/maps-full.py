#!/usr/bin/env python3
"""Every map the loader sizes from the images is exactly as large as they need, and full:
`karmor-loader status --json` against the "bpf: total" line `karmorc compile` printed for
the same images.  Used by tests/loader/run.sh (host, --without-lsm) and tests/loader/vm.sh
(BPF-LSM, with --mode lsm) over a bench corpus whose counts pass the object's old fixed
sizes.  Exit 0, or 1 with what differs on stderr.
Usage: maps-full.py STATUS_JSON TOTAL_LINE [--mode MODE]"""
import json
import re
import sys


def main():
    d = json.loads(sys.argv[1])
    m = re.match(r"bpf: total \(([0-9,]+) targets\): ([0-9,]+) path entries, ([0-9,]+) network, "
                 r"([0-9,]+) capability, ([0-9,]+) source entries", sys.argv[2])
    if not m:
        sys.exit("no 'bpf: total' line: %r" % sys.argv[2])
    nt, np, nn, nc, ns = (int(x.replace(",", "")) for x in m.groups())
    # more than the object used to fix (65,536 path and 4,096 network entries)
    assert np > 65536 and nn > 4096, (np, nn)
    want = {"karmor_targets": nt, "karmor_counters": 3 * nt, "karmor_paths": np, "karmor_net": nn,
            "karmor_caps": nc, "karmor_srcs": ns}
    got = {x["name"]: x for x in d["maps"]}
    for name, n in want.items():
        assert got[name]["max_entries"] == n and got[name]["entries"] == n, (name, n, got[name])
    assert len(d["targets"]) == nt, (len(d["targets"]), nt)
    if len(sys.argv) > 4 and sys.argv[3] == "--mode":
        assert d["mode"] == sys.argv[4], d["mode"]


if __name__ == "__main__":
    main()
