#!/usr/bin/env bash
# Benchmark: `terraform apply` and `destroy` of N oppie_instance (default 100; plus their
# network, subnet and firewall) with -parallelism=10 against moto. Reports wall time and
# the provider's own CPU time (user+sys of every provider process Terraform started),
# per resource, into bench/aws/RESULTS.md.
#
# Method (bench/lib.sh): the provider in the benchmark's private mirror is a small bash launcher that runs
# the real binary and, when it exits, appends bash's `times` (whose second line is the CPU
# of its reaped child, the provider) to a file. Terraform starts several provider processes per command (validate, plan,
# apply walks); their CPU is summed. Terraform's and moto's CPU are not included.
#
# Usage: bash bench/aws/run.sh            (release build, 100 instances)
#        PROFILE=dev N=20 bash bench/aws/run.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
profile=${PROFILE:-release}
n=${N:-100}
parallelism=${PARALLELISM:-10}
out=$root/bench/aws/RESULTS.md
bench_require_tools

cargo build --quiet --profile "$profile" -p terraform-provider-oppie --manifest-path "$root/Cargo.toml"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
bin=${CARGO_TARGET_DIR:-$root/target}/$dir/terraform-provider-oppie

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
  name = "bench-net"
  cidr = "10.20.0.0/16"
}
resource "oppie_subnet" "a" {
  network_id = oppie_network.main.id
  cidr       = "10.20.0.0/20"
}
resource "oppie_firewall" "web" {
  network_id = oppie_network.main.id
  name       = "bench-web"
  ingress {
    protocol = "tcp"
    ports    = "443"
    sources  = ["0.0.0.0/0"]
  }
}
resource "oppie_instance" "node" {
  count        = $n
  name         = "bench-\${count.index}"
  size         = "xs"
  image        = "ubuntu-22.04"
  subnet_id    = oppie_subnet.a.id
  firewall_ids = [oppie_firewall.web.id]
}
HCL

tf init -input=false

total=$((n + 3))
measure apply -input=false -auto-approve -parallelism="$parallelism"
apply_wall=$wall apply_cpu=$cpu apply_procs=$procs
measure destroy -input=false -auto-approve -parallelism="$parallelism"
destroy_wall=$wall destroy_cpu=$cpu destroy_procs=$procs

per() { awk -v c="$1" -v n="$total" 'BEGIN { printf "%.1f", c * 1000 / n }'; }
{
  echo "# AWS resources against moto: apply + destroy"
  echo
  echo "Command: \`PROFILE=$profile N=$n PARALLELISM=$parallelism bash bench/aws/run.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, moto $("$tools/venv/bin/python" -c 'import moto; print(moto.__version__)'), Terraform $("$tools/bin/terraform" version | head -1 | cut -d' ' -f2), provider built with the \`$profile\` profile)."
  echo
  echo "$n \`oppie_instance\` plus network, subnet and firewall: $total resources, \`-parallelism=$parallelism\`."
  echo "Provider CPU is user+sys of every provider process of the command (the launcher method in the script); wall time includes Terraform and moto."
  echo
  echo "| step | wall (s) | provider CPU (s) | provider CPU per resource (ms) | provider processes |"
  echo "|---|---|---|---|---|"
  echo "| apply | $apply_wall | $apply_cpu | $(per "$apply_cpu") | $apply_procs |"
  echo "| destroy | $destroy_wall | $destroy_cpu | $(per "$destroy_cpu") | $destroy_procs |"
} > "$out"
cat "$out"
