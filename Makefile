# Oppie: `make demo` and `make test` do all setup on a fresh machine.
# Tools go to .tools/ (git-ignored): Terraform 1.15.5 and 1.0.3, a Python venv
# with the cloud emulators, and a filesystem mirror holding the provider build. Debian's
# PostgreSQL server (for the drift history-store tests) is installed system-wide when root.

SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS      := $(CURDIR)/.tools
VENV       := $(TOOLS)/venv
TERRAFORM  := $(TOOLS)/bin/terraform
CARGO      ?= cargo
# Where cargo builds (CARGO_TARGET_DIR when set, as .ci/run sets it outside the clone).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
PROVIDER_VERSION := 0.1.0
MIRROR     := $(TOOLS)/mirror
PROVIDER_PKG := $(MIRROR)/registry.terraform.io/oppie/oppie/$(PROVIDER_VERSION)/linux_amd64
CLI_CONFIG := $(TOOLS)/terraformrc
DEMO_DIR   := $(TOOLS)/demo
# The shared plan corpus the tests iterate sits next to the checkout (../shared); a fresh clone made
# elsewhere finds it next to the repository it was cloned from. OPPIE_CORPUS_DIR overrides both.
export OPPIE_CORPUS_DIR ?= $(shell d="$(CURDIR)/../shared/corpus/plans"; o=$$(git config --get remote.origin.url 2>/dev/null); \
  if [ ! -d "$$d" ] && [ -n "$$o" ] && [ -d "$$o/../shared/corpus/plans" ]; then d=$$(cd "$$o/../shared/corpus/plans" && pwd); fi; echo "$$d")

.PHONY: help tools postgres build install test test-unit test-e2e lint demo bench clean print-corpus

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

tools: $(TOOLS)/.terraform.stamp $(TOOLS)/.python.stamp $(TOOLS)/.node.stamp postgres ## install Terraform CLIs and emulators into .tools/

# Not a stamp: a machine without root gets the hint (and skipped tests) until it is installed.
postgres:
	@bash tests/tools/install-postgres.sh

$(TOOLS)/.terraform.stamp: tests/tools/install-terraform.sh tests/tools/terraform-launcher.c
	bash tests/tools/install-terraform.sh
	touch $@

$(TOOLS)/.python.stamp: tests/tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/tools/requirements.txt
	touch $@

# Azurite (Azure Blob emulator) from npm, pinned by tests/tools/package-lock.json.
$(TOOLS)/.node.stamp: tests/tools/package.json tests/tools/package-lock.json
	mkdir -p $(TOOLS)
	cp tests/tools/package.json tests/tools/package-lock.json $(TOOLS)/
	cd $(TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: ## build everything (dev profile)
	$(CARGO) build --workspace --all-targets --locked

install: build ## put the provider into the .tools/ mirror and write the CLI config
	mkdir -p $(PROVIDER_PKG)
	install -m 0755 $(TARGET_DIR)/debug/terraform-provider-oppie $(PROVIDER_PKG)/terraform-provider-oppie_v$(PROVIDER_VERSION)
	printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["oppie/oppie"]\n  }\n  direct {\n    exclude = ["oppie/oppie"]\n  }\n}\n' "$(MIRROR)" > $(CLI_CONFIG)

lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	# The engine alone, as the provider links it (the workspace build unifies in the command's features).
	$(CARGO) clippy -p oppie-policy --lib --no-default-features --locked -- -D warnings

test: tools build ## every test: unit, property, policy library, end-to-end through Terraform; then lint
	$(CARGO) test --workspace --locked
	$(TARGET_DIR)/debug/oppie-policy test policies/
	@if command -v opa >/dev/null 2>&1; then opa test policies/; else echo "opa not on PATH: skipping opa test policies/"; fi
	OPPIE_POLICY_BIN=$(TARGET_DIR)/debug/oppie-policy OPPIE_SARIF_VENV=$(VENV) bash policy-host/scripts/validate-sarif.sh
	OPPIE_VENV=$(VENV) OPPIE_BIN_DIR=$(TARGET_DIR)/debug bash tests/tools/validate-workflows.sh
	$(MAKE) --no-print-directory lint

demo: tools install ## quickstart (no cloud), then the AWS quickstart against a local moto: apply, show, destroy
	rm -rf $(DEMO_DIR)/quickstart && mkdir -p $(DEMO_DIR) && cp -r examples/quickstart $(DEMO_DIR)/quickstart
	cd $(DEMO_DIR)/quickstart && export TF_CLI_CONFIG_FILE=$(CLI_CONFIG) TF_IN_AUTOMATION=1 && \
	  $(TERRAFORM) init -input=false && \
	  $(TERRAFORM) plan -input=false && \
	  $(TERRAFORM) apply -input=false -auto-approve && \
	  $(TERRAFORM) output
	bash tests/tools/demo-aws.sh
	bash tests/tools/demo-policy.sh

bench: tools ## benchmarks (release build); results go to BENCHMARKS.md
	bash bench/run.sh

print-corpus:
	@echo "$(OPPIE_CORPUS_DIR)"

clean: ## remove build output and .tools/
	$(CARGO) clean
	rm -rf $(TOOLS)
