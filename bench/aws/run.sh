#!/usr/bin/env bash
# Benchmark: `terraform apply` and `destroy` of N oppie_instance (default 100; plus their
# network, subnet and firewall) with -parallelism=10 against moto. Reports wall time and
# the provider's own CPU time (user+sys of every provider process Terraform started),
# per resource, into bench/aws/RESULTS.md.
#
# Method: the provider in the benchmark's private mirror is a small bash launcher that runs
# the real binary and, when it exits, appends bash's `times` (whose second line is the CPU
# of its reaped child, the provider) to a file. Terraform starts several provider processes per command (validate, plan,
# apply walks); their CPU is summed. Terraform's and moto's CPU are not included.
#
# Usage: bash bench/aws/run.sh            (release build, 100 instances)
#        PROFILE=dev N=20 bash bench/aws/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=$root/.tools
profile=${PROFILE:-release}
n=${N:-100}
parallelism=${PARALLELISM:-10}
out=$root/bench/aws/RESULTS.md
[[ -x $tools/bin/terraform && -x $tools/venv/bin/python ]] || { echo "run make tools first" >&2; exit 2; }

cargo build --quiet --profile "$profile" -p terraform-provider-oppie --manifest-path "$root/Cargo.toml"
dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
bin=${CARGO_TARGET_DIR:-$root/target}/$dir/terraform-provider-oppie

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

export TF_CLI_CONFIG_FILE=$work/terraformrc TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true
tf() { "$tools/bin/terraform" -chdir="$work/tf" "$@" -no-color > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }; }
tf init -input=false

# Seconds of provider CPU recorded since the file was last cleared. `times` prints two
# lines per launcher: the shell's own times, then its children's (the provider's).
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
  procs=$(( $(wc -l < "$cpu_file") / 2 ))
}

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
