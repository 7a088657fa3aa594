#!/usr/bin/env bash
# Benchmark (issue 19, item 10): a full drift scan of N `oppie_*` resources applied on moto
# (default 1,000), `oppie drift DIR` (refresh-only plan, show -json, severity from the policy
# library, SQLite history) side by side with the bare `terraform plan -refresh-only` of the
# same directory. Changes made outside Terraform before the scans: a firewall opened to SSH
# from anywhere, tags edited on instances, versioning turned off on a bucket, an instance
# terminated. Median of 3 runs each, alternating. Writes bench/drift/SCAN.md.
#
# Usage: bash bench/drift/scan.sh                                   (release build, N=1000)
#        PROFILE=dev N=200 bash bench/drift/scan.sh
#        BIN=/path/to/provider OPPIE=/path/to/oppie PROFILES='what they are' bash bench/drift/scan.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
profile=${PROFILE:-release}
n=${N:-1000}
out=$root/bench/drift/SCAN.md
bench_require_tools

dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
if [[ -z ${BIN:-} || -z ${OPPIE:-} ]]; then
  # The workspace's feature set (building the provider crate alone rebuilds the AWS SDK).
  cargo build --quiet --profile "$profile" --workspace --bins --manifest-path "$root/Cargo.toml"
fi
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/$dir/terraform-provider-oppie}
oppie=${OPPIE:-${CARGO_TARGET_DIR:-$root/target}/$dir/oppie}

bench_setup "$bin"

# N resources: one network and subnet, then firewalls, buckets and instances in 5 : 5 : 90.
fixed=2
firewalls=$(( (n - fixed) * 5 / 100 ))
buckets=$(( (n - fixed) * 5 / 100 ))
instances=$(( n - fixed - firewalls - buckets ))
cat > "$work/tf/main.tf" <<HCL
terraform {
  required_providers {
    oppie = { source = "oppie/oppie", version = "0.1.0" }
  }
}
provider "oppie" {
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags   = { project = "shop", environment = "dev", owner = "bench", "cost-center" = "cc-1" }
  aws { endpoint = "http://127.0.0.1:$port" }
}
resource "oppie_network" "main" {
  name = "shop-dev-net"
  cidr = "10.40.0.0/16"
}
resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.40.0.0/18"
  zone       = 1
}
resource "oppie_firewall" "web" {
  count      = $firewalls
  name       = "shop-dev-web-\${count.index}"
  network_id = oppie_network.main.id
  ingress {
    protocol = "tcp"
    ports    = "443"
    sources  = ["10.0.0.0/8"]
  }
}
resource "oppie_bucket" "data" {
  count         = $buckets
  name          = "shop-dev-data-\${count.index}"
  versioning    = true
  force_destroy = true
}
resource "oppie_instance" "node" {
  count        = $instances
  name         = "shop-dev-node-\${count.index}"
  size         = "xs"
  image        = "ubuntu-22.04"
  subnet_id    = oppie_subnet.a.id
  firewall_ids = [oppie_firewall.web[count.index % $firewalls].id]
}
HCL

tf init -input=false
measure apply -auto-approve -parallelism=20
apply_wall=$wall

# Drift made outside Terraform, by the cloud's own API.
"$tools/venv/bin/python" - "$port" "$work/tf/terraform.tfstate" <<'PY'
import json, sys, boto3
port, state = sys.argv[1], json.load(open(sys.argv[2]))
ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
ids = {}
for r in state["resources"]:
    for i in r["instances"]:
        ids.setdefault(r["type"], []).append(i["attributes"]["id"])
ec2.authorize_security_group_ingress(GroupId=ids["oppie_firewall"][0], IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
ec2.create_tags(Resources=ids["oppie_instance"][:20], Tags=[{"Key": "owner", "Value": "someone-else"}])
s3.put_bucket_versioning(Bucket=ids["oppie_bucket"][0], VersioningConfiguration={"Status": "Suspended"})
ec2.terminate_instances(InstanceIds=ids["oppie_instance"][-1:])
PY

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
time_of() {
  local start end
  start=$(date +%s.%N)
  "$@" > "$work/scan.out" 2> "$work/scan.err" || [[ $? == 1 ]] || { cat "$work/scan.err" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }'
}
bare=() full=()
for _ in 1 2 3; do
  bare+=("$(time_of "$tools/bin/terraform" -chdir="$work/tf" plan -refresh-only -no-color -input=false -out=bare.tfplan)")
  rm -f "$work/drift.db"
  full+=("$(time_of "$oppie" drift "$work/tf" --terraform "$tools/bin/terraform" --policy "$root/policies" \
    --db "$work/drift.db" --format json)")
done
items=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$work/scan.out")
severities=$(python3 -c 'import json,sys,collections
d=json.load(open(sys.argv[1]))
items=[i for s in d["sources"] for i in s["items"]]
c=collections.Counter(i["severity"] for i in items)
print(", ".join(f"{k} {v}" for k,v in sorted(c.items())))' "$work/scan.out")
b=$(median "${bare[@]}") f=$(median "${full[@]}")
{
  echo "# oppie drift: a full scan of $n resources on moto"
  echo
  echo "Command: \`PROFILE=$profile N=$n bash bench/drift/scan.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, moto $("$tools/venv/bin/python" -c 'import moto; print(moto.__version__)'), Terraform $("$tools/bin/terraform" version | head -1 | cut -d' ' -f2), \`$profile\` builds)."
  echo
  if [[ -n ${BIN:-} || -n ${OPPIE:-} ]]; then
    echo "Binaries given (BIN, OPPIE): \`$bin\`, \`$oppie\`${PROFILES:+; $PROFILES}."
    echo
  fi
  echo "$n resources ($instances \`oppie_instance\`, $buckets \`oppie_bucket\`, $firewalls \`oppie_firewall\`, a network and a subnet), applied in ${apply_wall} s;"
  echo "then, outside Terraform: SSH opened to the world on a firewall, a tag edited on 20 instances, versioning suspended"
  echo "on a bucket, an instance terminated. Median of 3 runs each, alternating; load average at the end:"
  echo "$(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| command | wall (s), median | runs (s) |"
  echo "|---|---|---|"
  echo "| \`terraform plan -refresh-only -out\` (bare) | $b | ${bare[*]} |"
  echo "| \`oppie drift DIR --policy policies --db\` (plan, show -json, severity, history) | $f | ${full[*]} |"
  echo
  echo "oppie / bare: $(awk -v a="$f" -v b="$b" 'BEGIN { printf "%.2f", a / b }'). Items found: $items ($severities)."
  echo "Target (issue 19): under 30 s for 1,000 resources, 10 s aimed for on this machine."
} > "$out"
cat "$out"
