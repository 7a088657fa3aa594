#!/usr/bin/env bash
# Provider benchmarks (issue: tfplug): handshake, schema round trip and peak RSS against the
# Go hashicorp/null 2.1.2 provider; `terraform plan -refresh=false` of 1,000 oppie_environment
# vs 1,000 null_resource; and planning a resource holding a set of 1,000 nested blocks.
# Release build. Writes bench/provider/RESULTS.md.
#   bash bench/provider/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[[ -x .tools/bin/terraform && -x .tools/null/terraform-provider-null_v2.1.2_x4 ]] || { echo "run make tools first" >&2; exit 2; }
cargo build --release --locked -p terraform-provider-oppie --bin terraform-provider-oppie
cargo build --release --locked -p tfplug --example sets --example plugin_probe
python3 bench/provider/bench.py "$@"
