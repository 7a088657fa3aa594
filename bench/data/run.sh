#!/usr/bin/env bash
# Benchmark (issue 16, item 7): `terraform apply` and `destroy` of N oppie_database and N
# oppie_cache (default 20 each; plus a network, two private subnets, a firewall and one
# oppie_key they are encrypted with) against moto, -parallelism=10. Reports wall time and
# the provider's own CPU per resource (the launcher method of bench/lib.sh) into
# bench/data/RESULTS.md, beside bench/aws's figures for instances.
#
# Usage: bash bench/data/run.sh                       (release build, 20 + 20)
#        PROFILE=dev N=5 bash bench/data/run.sh
#        BIN=/path/to/terraform-provider-oppie bash bench/data/run.sh   (no build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
profile=${PROFILE:-release}
n=${N:-20}
parallelism=${PARALLELISM:-10}
out=$root/bench/data/RESULTS.md
bench_require_tools

dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
if [[ -z ${BIN:-} ]]; then
  # The workspace's feature set (building the provider crate alone rebuilds the AWS SDK).
  cargo build --quiet --profile "$profile" --workspace --bins --manifest-path "$root/Cargo.toml"
fi
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/$dir/terraform-provider-oppie}

bench_setup "$bin"

cat > "$work/tf/main.tf" <<HCL
terraform {
  required_providers {
    oppie = { source = "oppie/oppie", version = "0.1.0" }
  }
}
provider "oppie" {
  default_cloud  = "aws"
  default_region = "us-east"
  default_tags   = { project = "bench", environment = "dev" }
  aws { endpoint = "http://127.0.0.1:$port" }
}
resource "oppie_network" "main" {
  name = "bench-dev-net"
  cidr = "10.50.0.0/16"
}
resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.50.1.0/24"
  zone       = 1
}
resource "oppie_subnet" "b" {
  network_id = oppie_network.main.id
  cidr       = "10.50.2.0/24"
  zone       = 2
}
resource "oppie_firewall" "data" {
  network_id = oppie_network.main.id
  name       = "bench-dev-data"
  ingress {
    protocol = "tcp"
    ports    = "5432"
    sources  = ["10.50.0.0/16"]
  }
}
resource "oppie_key" "data" {
  name                 = "bench-dev-data"
  deletion_window_days = 7
}
resource "oppie_database" "db" {
  count           = $n
  name            = "bench-dev-db-\${count.index}"
  engine          = "postgres"
  size            = "xs"
  storage_gb      = 20
  subnet_ids      = [oppie_subnet.a.id, oppie_subnet.b.id]
  firewall_ids    = [oppie_firewall.data.id]
  key_id          = oppie_key.data.id
  manage_password = true
}
resource "oppie_cache" "cache" {
  count        = $n
  name         = "bench-dev-cache-\${count.index}"
  size         = "xs"
  subnet_ids   = [oppie_subnet.a.id, oppie_subnet.b.id]
  firewall_ids = [oppie_firewall.data.id]
  key_id       = oppie_key.data.id
  auth_enabled = false
}
HCL

tf init -input=false

total=$((2 * n + 5))
measure apply -input=false -auto-approve -parallelism="$parallelism"
apply_wall=$wall apply_cpu=$cpu apply_procs=$procs
measure plan -input=false -detailed-exitcode
plan_wall=$wall plan_cpu=$cpu plan_procs=$procs
measure destroy -input=false -auto-approve -parallelism="$parallelism"
destroy_wall=$wall destroy_cpu=$cpu destroy_procs=$procs

per() { awk -v c="$1" -v n="$total" 'BEGIN { printf "%.1f", c * 1000 / n }'; }
{
  echo "# Data kinds against moto: apply, re-plan, destroy"
  echo
  echo "Command: \`PROFILE=$profile N=$n PARALLELISM=$parallelism bash bench/data/run.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, moto $("$tools/venv/bin/python" -c 'import moto; print(moto.__version__)'), Terraform $("$tools/bin/terraform" version | head -1 | cut -d' ' -f2), provider built with the \`$profile\` profile)."
  echo
  echo "$n \`oppie_database\` (PostgreSQL, cloud-managed password) and $n \`oppie_cache\`, all encrypted with one \`oppie_key\`, plus a network, two subnets and a firewall: $total resources, \`-parallelism=$parallelism\`."
  echo "Provider CPU is user+sys of every provider process of the command; wall time includes Terraform and moto (which makes databases at once: a real cloud takes minutes each, so wall time here is not what a user waits)."
  echo "Load average at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| step | wall (s) | provider CPU (s) | provider CPU per resource (ms) | provider processes |"
  echo "|---|---|---|---|---|"
  echo "| apply | $apply_wall | $apply_cpu | $(per "$apply_cpu") | $apply_procs |"
  echo "| plan (no changes: refresh of every resource) | $plan_wall | $plan_cpu | $(per "$plan_cpu") | $plan_procs |"
  echo "| destroy | $destroy_wall | $destroy_cpu | $(per "$destroy_cpu") | $destroy_procs |"
} > "$out"
cat "$out"
