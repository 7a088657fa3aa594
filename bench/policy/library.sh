#!/usr/bin/env bash
# Times oppie-policy (release build) on a third-party conftest library, e.g. Regula's conftest
# integration with its library and rules (not in this repository: lay it out as conftest pulls it,
# policy/regula.rego + policy/regula/lib + policy/regula/rules), on the plans given.
# Prints per plan: messages, rule errors, and the median wall time of N cold runs.
#
#   bench/policy/library.sh POLICY_DIR [--runs N] [--flags "..."] PLAN...
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
policy=$1; shift
runs=5; flags=""
plans=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --flags) flags=$2; shift 2 ;;
    *) plans+=("$1"); shift ;;
  esac
done
cargo build --release --quiet -p oppie-policy --bin oppie-policy --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/oppie-policy
for plan in "${plans[@]}"; do
  # shellcheck disable=SC2086
  "$bin" check "$plan" -p "$policy" --format json --no-costs --rule-timeout 10m $flags > /tmp/library-bench.json || true
  read -r messages errors < <(python3 - <<'PY'
import json
d = json.load(open("/tmp/library-bench.json"))
fs = [f for file in d["files"] for f in file["findings"]]
print(sum(1 for f in fs if f.get("status") != "error"), sum(1 for f in fs if f.get("status") == "error"))
PY
)
  times=()
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin" check "$plan" -p "$policy" --format json --no-costs --rule-timeout 10m $flags > /dev/null || true
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%s\t%s messages\t%s errors\t%.3f s median of %s\n' "$(basename "$plan")" "$messages" "$errors" "$median" "$runs"
done
