#!/usr/bin/env bash
# Benchmark: `terraform query` over N instances that no state manages (default 1,000) in moto:
# listing alone, then listing with `-generate-config-out` (which asks the provider for every
# object's full state and writes an `oppie_instance` block and an identity `import` block for
# each). Reports wall time and the provider's own CPU (user+sys of every provider process of
# the command, measured by a launcher as in bench/aws/run.sh) into bench/query/RESULTS.md.
#
# Usage: bash bench/query/run.sh                                 (release build, 1,000 instances)
#        PROFILE=dev N=200 bash bench/query/run.sh
#        BIN=/path/to/terraform-provider-oppie bash bench/query/run.sh   (no build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=$root/.tools
profile=${PROFILE:-release}
n=${N:-1000}
out=$root/bench/query/RESULTS.md
[[ -x $tools/bin/terraform && -x $tools/venv/bin/python ]] || { echo "run make tools first" >&2; exit 2; }

dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
if [[ -z ${BIN:-} ]]; then
  # The workspace's feature set (building the provider crate alone rebuilds the AWS SDK).
  cargo build --quiet --profile "$profile" --workspace --bins --manifest-path "$root/Cargo.toml"
fi
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/$dir/terraform-provider-oppie}

work=$(mktemp -d)
trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
pkg=$work/mirror/registry.terraform.io/oppie/oppie/0.1.0/linux_amd64
mkdir -p "$pkg" "$work/tf"
cpu_file=$work/provider-cpu
cat > "$pkg/terraform-provider-oppie_v0.1.0" <<LAUNCHER
#!/usr/bin/env bash
"$bin" "\$@"
rc=\$?
times >> "$cpu_file"
exit \$rc
LAUNCHER
chmod +x "$pkg/terraform-provider-oppie_v0.1.0"
printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["oppie/oppie"]\n  }\n  direct {\n    exclude = ["oppie/oppie"]\n  }\n}\n' "$work/mirror" > "$work/terraformrc"

coproc MOTO { MOTO_AMIS_PATH=$root/tests/fixtures/amis.json exec "$tools/venv/bin/python" "$root/tests/tools/moto_run.py" 0 2>/dev/null; }
read -r line <&"${MOTO[0]}"
port=${line#port }
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true

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

export TF_CLI_CONFIG_FILE=$work/terraformrc TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
tf() { "$tools/bin/terraform" -chdir="$work/tf" "$@" -no-color > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }; }
tf init -input=false

provider_cpu() {
  awk 'NR % 2 == 0 { for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] } } END { printf "%.2f", t }' "$cpu_file"
}
measure() {
  : > "$cpu_file"
  local start end
  start=$(date +%s.%N)
  tf "$@"
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  cpu=$(provider_cpu)
}

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
