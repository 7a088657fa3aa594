#!/usr/bin/env bash
# `make demo`: starts moto (the local AWS emulator) on a free loopback port, applies
# examples/aws-quickstart with the provider from the .tools/ mirror (`make install`),
# shows the outputs, destroys everything and stops moto. No AWS account needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=$root/.tools
terraform=$tools/bin/terraform
work=$tools/demo/aws-quickstart
for need in "$terraform" "$tools/venv/bin/python" "$tools/terraformrc"; do
  [[ -e $need ]] || { echo "demo-aws: $need missing; run make tools install" >&2; exit 2; }
done

rm -rf "$work" && mkdir -p "$work" && cp -r "$root/examples/aws-quickstart/." "$work/"

# moto lives as long as this script holds its standard input open.
coproc MOTO { MOTO_AMIS_PATH=$root/tests/fixtures/amis.json exec "$tools/venv/bin/python" "$root/tests/tools/moto_run.py" 0 2>/dev/null; }
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
read -r line <&"${MOTO[0]}"
port=${line#port }
echo "demo-aws: moto listening on http://127.0.0.1:$port"

export TF_CLI_CONFIG_FILE=$tools/terraformrc TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true
export TF_VAR_aws_endpoint=http://127.0.0.1:$port
cd "$work"
"$terraform" init -input=false -no-color >/dev/null
"$terraform" apply -input=false -auto-approve -no-color
"$terraform" output -no-color
"$terraform" plan -input=false -detailed-exitcode -no-color >/dev/null && echo "demo-aws: plan after apply shows no changes"
"$terraform" destroy -input=false -auto-approve -no-color
echo "demo-aws: done"
