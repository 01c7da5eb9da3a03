#!/usr/bin/env python3
"""The event lines of a `scripts/vmtest --events FILE` run, checked as KubeArmor alerts:
every line is one JSON object with the keys KubeArmor's alerts always carry, in the order
of KubeArmor's Alert message, no empty or zero field (its encoder omits them), and every
container event carries its workload's identity (the scenario workloads get one, as an
inventory's would).  Prints one line per failure and "N passed, M failed".
Usage: tests/loader/vm-events.py FILE"""
import json
import sys

ORDER = ["Timestamp", "UpdatedTime", "ClusterName", "HostName", "NamespaceName", "Owner", "PodName", "Labels",
         "ContainerID", "ContainerName", "ContainerImage", "HostPPID", "HostPID", "PPID", "PID", "UID",
         "ParentProcessName", "ProcessName", "PolicyName", "Severity", "Tags", "ATags", "Message", "Type",
         "Source", "Operation", "Resource", "Data", "EventData", "Enforcer", "Action", "Result"]
ALWAYS = ["Timestamp", "UpdatedTime", "Type", "Operation", "Data", "Enforcer", "Action", "Result", "KarmorOp"]
# (Labels too when the workload has any: a pod without labels has none, and the encoder
# omits the empty string)
IDENTITY = ["NamespaceName", "Owner", "PodName", "ContainerName", "ContainerImage"]


def check(line):
    e = json.loads(line)
    for k in ALWAYS:
        if k not in e:
            return "no %s" % k
    keys = [k for k in e if not k.startswith("Karmor")]
    if [k for k in ORDER if k in keys] != keys:
        return "keys out of KubeArmor's order: %s" % keys
    for k, v in e.items():
        if v in ("", 0, [], {}):
            return "empty field %s" % k
    if e["Type"] == "MatchedPolicy" and e.get("KarmorTarget", "").startswith("karmorc-wl-"):
        missing = [k for k in IDENTITY if k not in e]
        if missing:
            return "a container event without %s" % ", ".join(missing)
    # a syscall rule's event says what the syscall returned (errno text), as KubeArmor's
    # system monitor does; the enforcer's refusals are always "Permission denied"
    if e["Operation"] == "Syscall":
        if e["Enforcer"] != "eBPF Monitor" or e["Action"] != "Audit" or not e["Data"].startswith("syscall=SYS_"):
            return "a Syscall event not from the monitor's audit: %s %s %s" % (e["Enforcer"], e["Action"], e["Data"])
    elif e["Result"] not in ("Passed", "Permission denied"):
        return "Result %r" % e["Result"]
    return None


def main():
    passed = failed = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                why = check(line)
            except ValueError as err:
                why = "not JSON: %s" % err
            if why:
                failed += 1
                print("FAIL event line %d: %s: %s" % (n, why, line.strip()[:300]))
            else:
                passed += 1
    if passed + failed == 0:
        failed = 1
        print("FAIL no event line at all")
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
