#!/usr/bin/env bash
# Provider benchmarks (issue: tfplug): handshake, schema round trip and peak RSS against the
# Go hashicorp/null 2.1.2 provider; `terraform plan -refresh=false` of 1,000 oppie_environment
# vs 1,000 null_resource; and planning a resource holding a set of 1,000 nested blocks.
# Release build. Writes bench/provider/RESULTS.md.
#   bash bench/provider/run.sh
#
# Before/after mode: this tree's provider against other builds of it (size, stripped size,
# crates linked, handshake, schema round trip, peak RSS; measured alternately in one run).
# Writes bench/provider/COMPARE.md, which `make bench` puts after the provider section.
#   bash bench/provider/run.sh --compare [LABEL=]OLD_BINARY [--src LABEL=OLD_SOURCE_TREE] [--title TITLE]
# --compare may be repeated (columns in that order; this tree comes last, labelled "after").
# --src names the tree a binary was built from, for its crate count and revision. To build an
# old revision as a user installs it:
#   git worktree add --detach ../old REV && (cd ../old && cargo build --release --locked \
#     -p terraform-provider-oppie --bin terraform-provider-oppie)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
compare=() srcs=() title="Provider binaries compared"
while [[ $# -gt 0 ]]; do
  case $1 in
    --compare) [[ $2 == *=* ]] && compare+=("$2") || compare+=("before=$2"); shift 2 ;;
    --src) srcs+=(--src "$2"); shift 2 ;;
    --title) title=$2; shift 2 ;;
    *) echo "usage: $0 [--compare [LABEL=]OLD_BINARY ... [--src LABEL=DIR ...] [--title TITLE]]" >&2; exit 2 ;;
  esac
done
[[ ${#compare[@]} -gt 0 || ${#srcs[@]} -eq 0 ]] || { echo "--src needs --compare" >&2; exit 2; }
[[ -x .tools/bin/terraform && -x .tools/null/terraform-provider-null_v2.1.2_x4 ]] || { echo "run make tools first" >&2; exit 2; }
# Built alone (-p), as a user installs it: the provider's own oppie-policy features, not the
# workspace's union with the policy CLI.
cargo build --release --locked -p terraform-provider-oppie --bin terraform-provider-oppie
cargo build --release --locked -p tfplug --example sets --example plugin_probe
if [[ ${#compare[@]} -gt 0 ]]; then
  new=${CARGO_TARGET_DIR:-target}/release/terraform-provider-oppie
  [[ $new == /* ]] || new=$root/$new
  args=()
  for c in "${compare[@]}"; do args+=(--compare "$c"); done
  python3 bench/provider/bench.py "${args[@]}" --compare "after=$new" \
    --src "after=$root" "${srcs[@]}" --title "$title" \
    --command "bash bench/provider/run.sh --compare ${compare[*]} ${srcs[*]}"
  exit 0
fi
python3 bench/provider/bench.py
