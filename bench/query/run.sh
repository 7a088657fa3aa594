#!/usr/bin/env bash
# Benchmark: `terraform query` over N instances that no state manages (default 1,000) in moto:
# listing alone, then listing with `-generate-config-out` (which asks the provider for every
# object's full state and writes an `oppie_instance` block and an identity `import` block for
# each). Reports wall time and the provider's own CPU (user+sys of every provider process of
# the command, measured by the launcher of bench/lib.sh) into bench/query/RESULTS.md.
#
# Usage: bash bench/query/run.sh                                 (release build, 1,000 instances)
#        PROFILE=dev N=200 bash bench/query/run.sh
#        BIN=/path/to/terraform-provider-oppie bash bench/query/run.sh   (no build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
profile=${PROFILE:-release}
n=${N:-1000}
out=$root/bench/query/RESULTS.md
bench_require_tools

dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
if [[ -z ${BIN:-} ]]; then
  # The workspace's feature set (building the provider crate alone rebuilds the AWS SDK).
  cargo build --quiet --profile "$profile" --workspace --bins --manifest-path "$root/Cargo.toml"
fi
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/$dir/terraform-provider-oppie}

bench_setup "$bin"

# N machines made outside Terraform, in batches, tagged as a team would tag them.
"$tools/venv/bin/python" - "$port" "$n" <<'PY'
import sys, boto3
port, n = sys.argv[1], int(sys.argv[2])
ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.0.0/20")["Subnet"]["SubnetId"]
image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
made = 0
while made < n:
    k = min(100, n - made)
    ec2.run_instances(ImageId=image, InstanceType="t3.micro", SubnetId=subnet, MinCount=k, MaxCount=k,
                      TagSpecifications=[{"ResourceType": "instance",
                                          "Tags": [{"Key": "team", "Value": "bench"}, {"Key": "Name", "Value": f"legacy-{made}"}]}])
    made += k
PY

cat > "$work/tf/main.tf" <<HCL
terraform {
  required_providers {
    oppie = { source = "oppie/oppie", version = "0.1.0" }
  }
}
provider "oppie" {
  default_cloud  = "aws"
  default_region = "us-east"
  aws { endpoint = "http://127.0.0.1:$port" }
}
HCL
cat > "$work/tf/bench.tfquery.hcl" <<HCL
list "oppie_instance" "legacy" {
  provider = oppie
  limit    = $((n + 100))
  config {
    tags = { team = "bench" }
  }
}
HCL

tf init -input=false

measure query
list_wall=$wall list_cpu=$cpu
found=$(grep -c 'oppie_instance\.legacy' "$work/last.log" || true)
[[ $found -ge $n ]] || { echo "query found $found of $n" >&2; tail -5 "$work/last.log" >&2; exit 1; }
measure query -generate-config-out=generated.tf
gen_wall=$wall gen_cpu=$cpu
imports=$(grep -c '^import {' "$work/tf/generated.tf" || true)
[[ $imports -eq $n ]] || { echo "generated $imports import blocks for $n instances" >&2; exit 1; }

per() { awk -v c="$1" -v n="$n" 'BEGIN { printf "%.2f", c * 1000 / n }'; }
{
  echo "# terraform query over unmanaged instances in moto"
  echo
  echo "Command: \`PROFILE=$profile N=$n bash bench/query/run.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, moto $("$tools/venv/bin/python" -c 'import moto; print(moto.__version__)'), Terraform $("$tools/bin/terraform" version | head -1 | cut -d' ' -f2), provider built with the \`$profile\` profile)."
  echo
  echo "$n EC2 instances made with boto3 (no state), one \`list \"oppie_instance\"\` block filtered by a tag."
  echo "Provider CPU is user+sys of every provider process of the command; wall time includes Terraform and moto."
  echo "With \`-generate-config-out\` the provider reads each object's full state (as its import and refresh would)."
  echo "Load average at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates wall time far more than CPU time)."
  echo
  echo "| command | wall (s) | provider CPU (s) | provider CPU per instance (ms) |"
  echo "|---|---|---|---|"
  echo "| \`terraform query\` ($found results) | $list_wall | $list_cpu | $(per "$list_cpu") |"
  echo "| \`terraform query -generate-config-out\` ($imports import blocks) | $gen_wall | $gen_cpu | $(per "$gen_cpu") |"
} > "$out"
cat "$out"
