#!/usr/bin/env bash
# Policy server load test (issue 5): release build, `oppie-policy serve` on a loopback port with
# the full `policies/` library (and the 10-rule sample set, to separate the server's own cost from
# the rules'), driven by the bounded load generator `policy-host/examples/loadgen.rs`
# (one-resource checks as the provider sends them); baseline: one `oppie-policy check` process
# per resource. Results go to bench/policy-server/RESULTS.md; scratch files to
# bench/out/policy-server/ (git-ignored).
#
#   bench/policy-server/run.sh [--connections N] [--duration SECONDS] [--baseline-runs N]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$root/bench/out/policy-server
connections=8
duration=20
baseline_runs=20
while [[ $# -gt 0 ]]; do
  case $1 in
    --connections) connections=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --baseline-runs) baseline_runs=$2; shift 2 ;;
    *) echo "usage: $0 [--connections N] [--duration SECONDS] [--baseline-runs N]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

cargo build --release --quiet -p oppie-policy --bins --examples --manifest-path "$root/Cargo.toml"
target=${CARGO_TARGET_DIR:-$root/target}/release
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# serve POLICY_DIR LABEL: starts the server, runs the load generator, stops the server with
# SIGTERM and requires exit 0 (a graceful shutdown); the generator's JSON goes to $out/LABEL.json.
serve() {
  local policies=$1 label=$2
  "$target/oppie-policy" serve --addr 127.0.0.1:0 --policy "$policies" --token "$token" \
    >"$out/$label.stdout" 2>"$out/$label.stderr" &
  local pid=$!
  local url=""
  # Other processes on the machine skew the figures; record how busy it was.
  cut -d' ' -f1-3 /proc/loadavg >"$out/$label.load"
  for _ in $(seq 1 300); do
    url=$(awk 'NR == 1 { print $3 }' "$out/$label.stdout")
    [[ -n $url ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$out/$label.stderr" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n $url ]] || { echo "the server did not start" >&2; kill "$pid"; exit 1; }
  "$target/examples/loadgen" --url "$url" --connections "$connections" --duration "${duration}s" \
    --warmup 2s --token "$token" >"$out/$label.json" || true
  curl -fsS -H "Authorization: Bearer $token" "$url/metrics" >"$out/$label.metrics" || true
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  echo "$code" >"$out/$label.exit"
  cat "$out/$label.json"
}

cd "$root"
serve policies full
serve bench/policy/sample-policies sample

# Baseline: one process per resource (parse, compile the library, evaluate, report).
small=$out/one-resource.json
cat >"$small" <<'JSON'
{"format_version": "1.2", "terraform_version": "1.15.5", "planned_values": {"root_module": {"resources": []}},
 "resource_changes": [{"address": "oppie_firewall.web", "mode": "managed", "type": "oppie_firewall", "name": "web",
  "provider_name": "registry.terraform.io/oppie/oppie",
  "change": {"actions": ["create"], "before": null,
   "after": {"name": "shop-prod-web-fw", "network_id": "net-1", "ingress": [{"protocol": "tcp", "ports": "22", "sources": ["0.0.0.0/0"]}],
             "tags": {"project": "shop", "environment": "prod", "owner": "web", "cost-center": "cc-1"}},
   "after_unknown": {"id": true}}}]}
JSON
# Where the time goes for one resource: each rule timed alone (the first rule evaluated also
# pays for the shared helpers of data.oppie.lib), and warm evaluations of the whole library.
"$target/oppie-policy" check "$small" --policy policies --no-costs --format json --profile 2>"$out/profile.txt" >/dev/null || true
"$target/oppie-policy" check "$small" --policy policies --no-costs --format json --repeat 500 2>"$out/warm.txt" >/dev/null || true
# The same with the interpreter narrowed to the policy files the applicable rules need, as the
# server keeps one per set of applicable rules.
"$target/oppie-policy" check "$small" --policy policies --no-costs --format json --repeat 500 --specialise \
  2>"$out/warm-narrow.txt" >/dev/null || true

start=$(date +%s.%N)
for _ in $(seq 1 "$baseline_runs"); do
  "$target/oppie-policy" check "$small" --policy policies --no-costs --format json >/dev/null || [[ $? == 1 ]]
done
end=$(date +%s.%N)

python3 - "$out" "$root/bench/policy-server/RESULTS.md" "$baseline_runs" "$start" "$end" "$connections" "$duration" "bench/policy-server/run.sh $*" <<'EOF'
import json, os, platform, sys, datetime
out, results, runs, start, end, connections, duration, command = sys.argv[1:]
runs, start, end = int(runs), float(start), float(end)
def read(name):
    try:
        with open(os.path.join(out, name)) as f:
            return f.read().strip()
    except OSError:
        return ""
def load(label):
    return json.loads(read(label + ".json")), read(label + ".exit")
def mean_evaluation_ms(label):
    total = count = None
    for line in read(label + ".metrics").splitlines():
        if line.startswith("oppie_policy_evaluation_duration_seconds_sum "):
            total = float(line.split()[1])
        if line.startswith("oppie_policy_evaluation_duration_seconds_count "):
            count = float(line.split()[1])
    return 1000 * total / count if total is not None and count else float("nan")
full, full_exit = load("full")
sample, sample_exit = load("sample")
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
baseline_rate = runs / (end - start)
def row(key, label, data, code):
    l = data["latency_ms"]
    return (f"| {label} | {data['connections']} | {data['checks_per_s']:,.0f} | {l['p50']:.2f} ms | {l['p90']:.2f} ms | "
            f"{l['p99']:.2f} ms | {l['max']:.2f} ms | {data['errors']} | {mean_evaluation_ms(key):.2f} ms | "
            f"{read(key + '.load')} | {code} |")
met_rate = full["checks_per_s"] >= 2000
met_p99 = full["latency_ms"]["p99"] <= 20
lines = [
    "# oppie-policy server load test",
    "",
    f"Machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}. "
    f"Produced by `{command.strip()}` on {datetime.date.today().isoformat()} (release build, loopback, "
    f"bearer token on every request, {duration} s measured after a 2 s warm-up).",
    "",
    "Each request is the provider's plan-time document: `POST /v1/check` with a plan whose `resource_changes` holds one "
    "distinct resource (a rotating mix of oppie_firewall, oppie_bucket, oppie_instance, oppie_network, oppie_subnet); "
    "the answer is the `check --format json` document, whose rule catalogue lists the rules its findings cite "
    "(the server's default; `?rules=all` returns all 37). The load generator "
    "(`policy-host/examples/loadgen.rs`) keeps N keep-alive connections busy back to back on the same machine, so it "
    "competes with the server for the 2 cores. The machine is shared: the load average before each run is in the "
    "table (above 2 means other processes were also asking for the 2 cores, which inflates every figure).",
    "",
    "| policies | connections | checks/s | p50 | p90 | p99 | max | errors | mean evaluation in the server | load average before | server exit after SIGTERM |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    row("full", "`policies`, the full library (37 rules)", full, full_exit),
    row("sample", "`bench/policy/sample-policies` (10 rules)", sample, sample_exit),
    "",
    f"Baseline, one `oppie-policy check` process per resource (full library, `--no-costs`, {runs} runs in sequence): "
    f"{baseline_rate:.1f} checks/s ({1000 / baseline_rate:.0f} ms each). The server with the full library is "
    f"{full['checks_per_s'] / baseline_rate:.0f}× that.",
    "",
    "Where the time goes for one resource with the full library (`oppie-policy check --repeat 500`, in one process, "
    "no server): " + read("warm.txt").replace("\n", " ") + "; narrowed to the files the firewall's rules need, as "
    "the server keeps it (`--specialise`): " + read("warm-narrow.txt").replace("\n", " ") + ". Each rule timed alone (`check --profile`, slowest first; "
    "the first rule timed carries the costs it shares with the others, e.g. the `data.oppie.lib` helpers):",
    "",
    "```",
    *read("profile.txt").splitlines()[:9],
    "```",
    "",
    f"Targets (issue 5): ≥ 2,000 checks/s with p99 ≤ 20 ms on the full library: checks/s "
    f"{'met' if met_rate else 'NOT met'}, p99 {'met' if met_p99 else 'NOT met'}.",
    "",
]
with open(results, "w") as f:
    f.write("\n".join(lines))
print("\n".join(lines))
EOF
