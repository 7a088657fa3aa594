#!/usr/bin/env python3
"""Snapshot of what `oppie-policy check` finds, to prove a performance change changed no result.

    findings.py snapshot --bin BIN --policies DIR [--data FILE] -o before.json PLAN...
    findings.py compare before.json after.json

A snapshot holds, per plan, the sorted (rule_id, status, resource, path, message) of every finding and the rules
that failed to evaluate; `compare` prints the differences and exits 1 when there are any.
"""

import argparse
import json
import subprocess
import sys


def findings_of(binary, policies, plan, data):
    """Runs one check and returns its findings as sorted lists, plus the evaluation errors."""
    extra = ["--data", data] if data else []
    run = subprocess.run(
        [binary, "check", plan, "--policy", policies, "--format", "json", "--rule-timeout", "30m", *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):
        return {"exit": run.returncode, "stderr": run.stderr.strip(), "findings": []}
    report = json.loads(run.stdout)
    rows = []
    for file in report["files"]:
        for f in file["findings"]:
            rows.append(
                [
                    f.get("rule_id", ""),
                    f.get("status", ""),
                    f.get("resource", ""),
                    json.dumps(f.get("path", [])),
                    f.get("message", ""),
                ]
            )
    rows.sort()
    return {"exit": run.returncode, "findings": rows}


def snapshot(args):
    result = {}
    for plan in args.plans:
        result[plan] = findings_of(args.bin, args.policies, plan, args.data)
        print(f"{len(result[plan]['findings']):6d} findings  {plan}", file=sys.stderr)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=1, sort_keys=True)


def compare(args):
    with open(args.before, encoding="utf-8") as f:
        before = json.load(f)
    with open(args.after, encoding="utf-8") as f:
        after = json.load(f)
    differences = 0
    for plan in sorted(set(before) | set(after)):
        a = before.get(plan, {"exit": None, "findings": []})
        b = after.get(plan, {"exit": None, "findings": []})
        old = {tuple(r) for r in a["findings"]}
        new = {tuple(r) for r in b["findings"]}
        if a["exit"] != b["exit"]:
            differences += 1
            print(f"{plan}: exit {a['exit']} -> {b['exit']} {b.get('stderr', '')}")
        for row in sorted(old - new):
            differences += 1
            print(f"{plan}: lost   {row}")
        for row in sorted(new - old):
            differences += 1
            print(f"{plan}: gained {row}")
    total = sum(len(v["findings"]) for v in before.values())
    print(f"{len(before)} plans, {total} findings before, {differences} differences")
    return 1 if differences else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("--bin", required=True)
    snap.add_argument("--policies", required=True)
    snap.add_argument("--data", help="a --data file for every check (e.g. a config override)")
    snap.add_argument("-o", "--output", required=True)
    snap.add_argument("plans", nargs="+")
    cmp = sub.add_parser("compare")
    cmp.add_argument("before")
    cmp.add_argument("after")
    args = parser.parse_args()
    if args.command == "snapshot":
        snapshot(args)
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
