# Shared setup of the benchmarks that drive the provider through Terraform against moto
# (bench/aws, bench/query): a private provider mirror whose launcher records the provider's
# CPU time, a moto server, and the timing helpers. Source it; it sets `root` and `tools`.
#
#   bench_require_tools        exit 2 unless `make tools` has been run
#   bench_setup BIN            scratch dir ($work, removed on exit), mirror + terraformrc for
#                              BIN, moto started ($port), Terraform and AWS environment exported
#   tf ARGS...                 terraform -chdir=$work/tf ARGS (output in $work/last.log, shown on failure)
#   measure ARGS...            tf ARGS timed: sets $wall (s), $cpu (provider CPU, s), $procs
#   bench_stop_moto            stops moto (also done on exit)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$root/.tools

bench_require_tools() {
  [[ -x $tools/bin/terraform && -x $tools/venv/bin/python ]] || { echo "run make tools first" >&2; exit 2; }
}

bench_stop_moto() {
  if [[ -n ${MOTO_PID:-} ]]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
}

bench_cleanup() {
  bench_stop_moto
  if [[ -n ${work:-} ]]; then rm -rf "$work"; fi
}

bench_setup() {
  local bin=$1
  work=$(mktemp -d)
  trap bench_cleanup EXIT
  # The provider is installed as a launcher that runs the real binary and, when it exits,
  # appends bash's `times` (its second line is the CPU of the reaped child, the provider).
  local pkg=$work/mirror/registry.terraform.io/oppie/oppie/0.1.0/linux_amd64
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

  # moto stops when its standard input (the coprocess pipe) closes, so it never outlives us.
  coproc MOTO { MOTO_AMIS_PATH=$root/tests/fixtures/amis.json exec "$tools/venv/bin/python" "$root/tests/tools/moto_run.py" 0 2>/dev/null; }
  local line
  read -r line <&"${MOTO[0]}"
  port=${line#port }

  export TF_CLI_CONFIG_FILE=$work/terraformrc TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true
}

tf() { "$tools/bin/terraform" -chdir="$work/tf" "$@" -no-color > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }; }

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
