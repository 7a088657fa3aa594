#!/usr/bin/env bash
# oppie-policy benchmark (issue 3): release build, a generated 10,000-resource plan, the full
# policy library cold and warm, a warm OPA WASM evaluation, and Checkov 3.3.30 on the same plan.
# Results go to bench/policy/RESULTS.md; scratch files to bench/out/policy/ (git-ignored).
#
#   bench/policy/run.sh [--resources N] [--cold-runs N] [--warm-runs N] [--skip-checkov]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$root/bench/out/policy
resources=10000
checkov=1
runs=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --resources) resources=$2; shift 2 ;;
    --cold-runs | --warm-runs) runs+=("$1" "$2"); shift 2 ;;
    --skip-checkov) checkov=0; shift ;;
    *) echo "usage: $0 [--resources N] [--cold-runs N] [--warm-runs N] [--skip-checkov]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

cargo build --release --quiet -p oppie-policy --bins --examples --manifest-path "$root/Cargo.toml"
target=${CARGO_TARGET_DIR:-$root/target}/release

plan=$out/plan-$resources.json
python3 "$root/bench/policy/gen_plan.py" --resources "$resources" --seed 1 -o "$plan"

# The provider's plan-time shape: one resource change.
small=$out/one-resource.json
cat > "$small" <<'JSON'
{"format_version": "1.2", "variables": {"environment": {"value": "prod"}},
 "resource_changes": [{"address": "oppie_bucket.logs", "mode": "managed", "type": "oppie_bucket",
  "name": "logs", "change": {"actions": ["create"], "after": {"name": "shop-prod-api-logs"},
  "after_unknown": {"id": true}}}]}
JSON
"$target/examples/wasm_bundle" "$root/policy-host/tests/fixtures/wasm/plan_rules.wat" "$out/wasm-bundle.tar.gz"

checkov_args=()
if [[ $checkov == 1 ]]; then
  venv=$out/checkov-venv
  if [[ ! -x "$venv/bin/checkov" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check checkov==3.3.30
  fi
  checkov_args=(--checkov "$venv/bin/checkov")
fi

cd "$root"
python3 bench/policy/bench.py \
  --bin "$target/oppie-policy" \
  --plan "$plan" \
  --policies policies \
  --sample-policies bench/policy/sample-policies \
  --wasm-bundle "$out/wasm-bundle.tar.gz" \
  --small-plan "$small" \
  --out "$out" \
  --results "$root/bench/policy/RESULTS.md" \
  --command "$(echo bench/policy/run.sh "$@")" \
  "${runs[@]}" "${checkov_args[@]}"
