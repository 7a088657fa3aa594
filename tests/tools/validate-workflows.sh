#!/usr/bin/env bash
# Validates every GitHub workflow, the GitHub Action and the GitLab CI templates with
# check-jsonschema's built-in schemas (shipped inside the PyPI package: no network), then runs
# the example workflows' shell steps locally (tests/tools/run-workflow-steps.py).
#
# Environment: OPPIE_VENV (default .tools/venv, with tests/tools/requirements.txt installed),
# OPPIE_BIN_DIR (the directory holding the built oppie-policy and oppie; default
# $CARGO_TARGET_DIR/debug, else target/debug).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${OPPIE_VENV:-$root/.tools/venv}
bin_dir=${OPPIE_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/debug}
check="$venv/bin/check-jsonschema"
if [[ ! -x "$check" ]]; then
  echo "check-jsonschema not found in $venv: run make tools (tests/tools/requirements.txt)" >&2
  exit 1
fi
cd "$root"
shopt -s nullglob
workflows=(examples/ci/github/*.yml .github/workflows/*.yml)
gitlab=(ci/gitlab/*.yml examples/ci/gitlab/*.yml)
"$check" --builtin-schema vendor.github-workflows "${workflows[@]}"
"$check" --builtin-schema vendor.github-actions action.yml
"$check" --builtin-schema vendor.gitlab-ci --data-transform gitlab-ci "${gitlab[@]}"
"$venv/bin/python" tests/tools/run-workflow-steps.py --bin-dir "$bin_dir"
