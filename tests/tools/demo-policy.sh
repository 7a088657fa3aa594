#!/usr/bin/env bash
# `make demo`, part 3: plan-time policy gating and cost estimates (examples/policy-gate).
# The first plan is refused because SSH is open to the internet; the fix (one variable)
# plans cleanly and shows each resource's estimated monthly cost. No cloud is called.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=$root/.tools
terraform=$tools/bin/terraform
work=$tools/demo/policy-gate
rm -rf "$work" && mkdir -p "$work" && cp -r "$root/examples/policy-gate/." "$work/"
export TF_CLI_CONFIG_FILE=$tools/terraformrc TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export AWS_EC2_METADATA_DISABLED=true TF_VAR_policies=$root/policies
cd "$work"
"$terraform" init -input=false -no-color >/dev/null
echo "demo-policy: planning with SSH open to 0.0.0.0/0 (expected to be refused):"
if "$terraform" plan -input=false -no-color; then
  echo "demo-policy: the plan should have been refused" >&2
  exit 1
fi
echo
echo "demo-policy: the fix, ssh_sources = [\"10.0.0.0/8\"]:"
"$terraform" plan -input=false -no-color -var 'ssh_sources=["10.0.0.0/8"]' | grep -E 'estimated_monthly_cost|Plan:|Warning:|monthly_cost'
echo "demo-policy: done"
