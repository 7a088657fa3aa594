#!/usr/bin/env python3
"""oppie-policy benchmark: the full policy library on a generated plan, cold (fresh process)
and warm (in-process repeats), a warm OPA WASM evaluation, and Checkov on the same plan.
Writes a Markdown table to RESULTS.md. Run through run.sh, which builds and installs things.

Peak RSS is the kernel's ru_maxrss of each child (what `/usr/bin/time -v` reports), read with
os.wait4 so the script needs no extra tools; so is the CPU time (user + system), which other
work on a busy machine inflates far less than the wall time.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time


LAST_CPU = {"seconds": None}


def measure_rss(cmd, stdout_path=None, timeout=None, env=None):
    """Runs cmd; returns (exit code, wall s, peak RSS MiB, stderr). The child's CPU time (from
    the same wait4) is left in LAST_CPU["seconds"]."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    err_path = f"/tmp/oppie-bench-stderr-{os.getpid()}"
    with open(err_path, "wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                LAST_CPU["seconds"] = None
                return None, time.monotonic() - started, None, "timed out"
            time.sleep(0.005)
        wall = time.monotonic() - started
    if stdout_path:
        out.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(err_path, encoding="utf-8", errors="replace") as err:
        stderr = err.read()
    os.unlink(err_path)
    LAST_CPU["seconds"] = usage.ru_utime + usage.ru_stime
    return proc.returncode, wall, usage.ru_maxrss / 1024.0, stderr


DURATION = re.compile(r"([\d.]+)(ns|µs|us|ms|s)")


def seconds(text):
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"cannot read duration {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def warm_stats(stderr):
    """Parses the hidden --repeat timing line of `oppie-policy check`."""
    match = re.search(r"min ([^,]+), median ([^,]+), p95 ([^,]+), mean (\S+)", stderr)
    if not match:
        raise RuntimeError(f"no timing line in: {stderr[-2000:]}")
    return {k: seconds(v) for k, v in zip(["min", "median", "p95", "mean"], match.groups())}


def fmt_time(s):
    if s is None:
        return "n/a"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.1f} µs"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="release oppie-policy binary")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--policies", required=True)
    parser.add_argument("--sample-policies", help="a small direct-style rule set, timed too")
    parser.add_argument("--wasm-bundle", required=True)
    parser.add_argument("--small-plan", required=True)
    parser.add_argument("--checkov", help="checkov executable (omit to skip)")
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--wasm-runs", type=int, default=20000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--command", default="bench/policy/run.sh")
    args = parser.parse_args()

    with open(args.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    resources = len(plan["resource_changes"])
    plan_mib = os.path.getsize(args.plan) / 2**20
    def run_set(policies):
        check = [args.bin, "check", args.plan, "--policy", policies, "--format", "json",
                 "--rule-timeout", "30m"]
        print(f"{policies}: cold, {args.cold_runs} fresh processes ...", flush=True)
        cold = []
        report = os.path.join(args.out, "oppie-report.json")
        for i in range(args.cold_runs):
            code, wall, rss, stderr = measure_rss(check, stdout_path=report)
            if code not in (0, 1):
                sys.exit(f"oppie-policy failed (exit {code}): {stderr}")
            cold.append((wall, rss, LAST_CPU["seconds"]))
            print(f"  run {i + 1}: {fmt_time(wall)} (CPU {fmt_time(LAST_CPU['seconds'])}), "
                  f"peak RSS {rss:.0f} MiB", flush=True)
        with open(report, encoding="utf-8") as handle:
            summary = json.load(handle)["summary"]
        print(f"{policies}: warm, {args.warm_runs} in-process evaluations ...", flush=True)
        _, _, warm_rss, stderr = measure_rss(check + ["--repeat", str(args.warm_runs)])
        warm = warm_stats(stderr)
        print(f"  median {fmt_time(warm['median'])}", flush=True)
        return {
            "check": check,
            "summary": summary,
            "cold_wall": statistics.median(w for w, _, _ in cold),
            "cold_cpu": statistics.median(c for _, _, c in cold),
            "cold_rss": max(r for _, r, _ in cold),
            "warm": warm,
            "warm_rss": warm_rss,
        }

    full = run_set(args.policies)
    sample = run_set(args.sample_policies) if args.sample_policies else None

    print(f"wasm: {args.wasm_runs} warm evaluations of a one-resource plan ...", flush=True)
    wasm_cmd = [args.bin, "check", args.small_plan, "--policy", args.wasm_bundle,
                "--namespace", "plan", "--format", "json", "--repeat", str(args.wasm_runs)]
    code, _, _, stderr = measure_rss(wasm_cmd)
    wasm = warm_stats(stderr)
    print(f"  median {fmt_time(wasm['median'])}", flush=True)

    checkov = None
    if args.checkov:
        print("checkov: one run (this takes minutes) ...", flush=True)
        checkov_cmd = [args.checkov, "-f", args.plan, "--framework", "terraform_plan",
                       "--output", "json", "--quiet", "--compact", "--skip-download"]
        report = os.path.join(args.out, "checkov-report.json")
        env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
        code, wall, rss, stderr = measure_rss(checkov_cmd, stdout_path=report, timeout=3 * 3600,
                                              env=env)
        failed = None
        try:
            with open(report, encoding="utf-8") as handle:
                data = json.load(handle)
            runs = data if isinstance(data, list) else [data]
            failed = sum(r.get("summary", {}).get("failed", 0) for r in runs)
        except (OSError, ValueError):
            pass
        checkov = {"code": code, "wall": wall, "rss": rss, "failed": failed, "cpu": LAST_CPU["seconds"]}
        print(f"  {fmt_time(wall)}, peak RSS {rss or 0:.0f} MiB, exit {code}", flush=True)

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# oppie-policy benchmark results",
        "",
        f"Plan: {resources:,} resources ({plan_mib:.1f} MiB, generated by "
        f"`bench/policy/gen_plan.py --seed 1`). Machine: {os.cpu_count()} cores, {cpu}; load "
        f"average at the end of the run {load} (1/5/15 min; other work on the machine inflates wall "
        f"times, CPU times much less). Produced by `{args.command}` on {time.strftime('%Y-%m-%d')}.",
        "",
        "| tool | policies | mode | wall time | CPU time | peak RSS | findings | vs Checkov |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def times(r):
        return f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×"

    def ratio(t, cpu=None):
        if not (checkov and checkov["code"] is not None and t):
            return "n/a"
        r = checkov["wall"] / t
        text = f"{times(r)} faster" if r >= 1 else f"{1 / r:.1f}× slower"
        if cpu and checkov.get("cpu"):
            text += f" (CPU: {times(checkov['cpu'] / cpu)})"
        return text

    def rows(result, label):
        s = result["summary"]
        found = (f"{s['failures'] + s['warnings'] + s['errors']} ({s['failures']} failing, "
                 f"{s['warnings']} warnings, {s['errors']} errors)")
        return [
            f"| oppie-policy | {label} ({s['rules']} rules) | cold: fresh process (load, parse, "
            f"evaluate, report), median of {args.cold_runs} | {fmt_time(result['cold_wall'])} | "
            f"{fmt_time(result['cold_cpu'])} | "
            f"{result['cold_rss']:.0f} MiB | {found} | {ratio(result['cold_wall'], result['cold_cpu'])} |",
            f"| oppie-policy | {label} | warm: evaluation only, median of {args.warm_runs} | "
            f"{fmt_time(result['warm']['median'])} | n/a | {result['warm_rss']:.0f} MiB | same | "
            f"{ratio(result['warm']['median'])} |",
        ]

    lines += rows(full, f"`{args.policies}`, the full library")
    if sample:
        lines += rows(sample, f"`{args.sample_policies}`, direct rules")
    if checkov:
        status = ("timed out" if checkov["code"] is None
                  else f"exit {checkov['code']}, {checkov['failed']} failed checks")
        rss = "n/a" if checkov["rss"] is None else f"{checkov['rss']:.0f} MiB"
        lines.append(f"| Checkov 3.3.30 | its built-in checks | "
                     f"`checkov -f plan.json --framework terraform_plan` | "
                     f"{fmt_time(checkov['wall'])} | {fmt_time(checkov['cpu'])} | {rss} | {status} | 1× |")
    lines += [
        "",
        f"Warm OPA WASM evaluation (ABI 1.2 `opa_eval`, bundle built from "
        f"`policy-host/tests/fixtures/wasm/plan_rules.wat`, 3 entrypoints, 6 host builtin "
        f"calls, one-resource plan): median {fmt_time(wasm['median'])}, p95 "
        f"{fmt_time(wasm['p95'])}, min {fmt_time(wasm['min'])} over {args.wasm_runs:,} "
        f"evaluations.",
        "",
        "Targets (issue 3): ≤ 1 s end to end, ≥ 100× faster than Checkov, peak RSS ≤ 200 MiB, "
        "warm WASM evaluation ≤ 50 µs.",
        "",
        "Commands:",
        "",
        "```",
        " ".join(full["check"]),
        " ".join(full["check"] + ["--repeat", str(args.warm_runs)]),
    ]
    if sample:
        lines += [" ".join(sample["check"]),
                  " ".join(sample["check"] + ["--repeat", str(args.warm_runs)])]
    lines += [
        " ".join(wasm_cmd),
    ]
    if checkov:
        lines.append(" ".join(checkov_cmd))
    lines += ["```", ""]
    with open(args.results, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
