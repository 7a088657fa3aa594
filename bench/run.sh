#!/usr/bin/env bash
# `make bench`: runs every benchmark (release builds) and assembles BENCHMARKS.md from their
# RESULTS.md files, so the file holds the figures of one run. Not part of `make test`.
#   bash bench/run.sh            all
#   bash bench/run.sh provider   one (provider | policy | policy-server | aws | data | query | drift | drift-scan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(provider policy policy-server aws data query drift drift-scan)
for s in "${suites[@]}"; do
  echo "== bench/$s"
  case $s in
    drift-scan) bash bench/drift/scan.sh ;;
    *) bash "bench/$s/run.sh" ;;
  esac
done
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (\`bash bench/run.sh\`) on the project's 2-core machine; each section names"
  echo "its own command and was measured side by side with the reference tool in the same run."
  # bench/provider/COMPARE.md: the last before/after run (bench/provider/run.sh --compare).
  for f in provider/RESULTS provider/COMPARE policy/RESULTS policy-server/RESULTS aws/RESULTS data/RESULTS query/RESULTS drift/RESULTS drift/SCAN; do
    if [[ -f bench/$f.md ]]; then
      echo
      sed 's/^# /## /' "bench/$f.md"
    fi
  done
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
