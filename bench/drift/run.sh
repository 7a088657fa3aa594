#!/usr/bin/env bash
# `oppie drift` benchmark (issue 19, item 10): report, severity and history for about 10,000
# drifted attributes from a saved refresh-only plan (bench/drift/gen_plan.py), release build,
# median of 5 fresh processes each. Writes bench/drift/RESULTS.md.
#   bash bench/drift/run.sh [ITEMS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
items=${1:-10000}
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --locked -p oppie --bin oppie
oppie=$target/release/oppie
out=$root/bench/out/drift
mkdir -p "$out"
python3 bench/drift/gen_plan.py --items "$items" --seed 1 > "$out/plan.json"

# median wall seconds and max peak RSS (MiB) of 5 runs of "$@"
measure() {
  local walls=() rss=0
  for _ in 1 2 3 4 5; do
    rm -f "$out/drift.db" "$out/drift.db-wal" "$out/drift.db-shm"
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt" || [[ $? == 1 ]]
    read -r wall kb < <(tail -n 1 "$out/time.txt")
    walls+=("$wall")
    (( kb > rss )) && rss=$kb
  done
  printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p)" "$((rss / 1024))"
}

count=$("$oppie" drift --plan "$out/plan.json" --no-policy --no-history --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])' || true)
read -r w1 r1 < <(measure "$oppie" drift --plan "$out/plan.json" --no-policy --no-history --format json)
read -r w2 r2 < <(measure "$oppie" drift --plan "$out/plan.json" --policy policies --rule-timeout 60 --no-history --format json)
read -r w3 r3 < <(measure "$oppie" drift --plan "$out/plan.json" --policy policies --rule-timeout 60 --db "$out/drift.db" --format json)
load=$(cut -d' ' -f1-3 /proc/loadavg)
cat > bench/drift/RESULTS.md <<MD
# oppie drift: a saved plan with $count drifted attributes

Command: \`bash bench/drift/run.sh\` (release build; median of 5 fresh processes; $(date -u +%Y-%m-%d); load average $load).
The plan: \`bench/drift/gen_plan.py --items $items --seed 1\` ($(du -h "$out/plan.json" | cut -f1)), oppie firewalls and buckets
with edited tags, opened rules, versioning turned off and some deleted; the policy library rates them on the live
and the state values.

| what | wall (s) | peak RSS (MiB) |
|---|---|---|
| read and report (\`--no-policy --no-history\`) | $w1 | $r1 |
| + severity from the policy library (\`--policy policies\`) | $w2 | $r2 |
| + history (SQLite, a fresh database each run) | $w3 | $r3 |

Target (issue 19): under 1 s for report, severity and history of 10,000 drifted attributes.
MD
cat bench/drift/RESULTS.md
