#!/usr/bin/env bash
# `make bench`: runs every benchmark (release builds) and assembles BENCHMARKS.md from their
# RESULTS.md files, so the file holds the figures of one run. Not part of `make test`.
#   bash bench/run.sh            all
#   bash bench/run.sh provider   one (provider | policy | policy-server | aws | query)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(provider policy policy-server aws query)
for s in "${suites[@]}"; do
  echo "== bench/$s"
  bash "bench/$s/run.sh"
done
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (\`bash bench/run.sh\`) on the project's 2-core machine; each section names"
  echo "its own command and was measured side by side with the reference tool in the same run."
  for s in provider policy policy-server aws query; do
    if [[ -f bench/$s/RESULTS.md ]]; then
      echo
      sed 's/^# /## /' "bench/$s/RESULTS.md"
    fi
  done
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
