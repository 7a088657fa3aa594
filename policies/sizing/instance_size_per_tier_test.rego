package oppie.rules.sizing.instance_size_per_tier_test

import data.oppie.rules.sizing.instance_size_per_tier as rule
import data.oppie.testing as t

test_dev_small_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_instance", {"size": "s", "tags": t.tags_for("dev")})])
}

test_dev_large_denied if {
	t.paths(rule.deny) == {["size"]} with input as t.plan([t.create("oppie_instance", {"size": "l", "tags": t.tags_for("dev")})])
}

test_prod_xs_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("oppie_instance", {"size": "xs", "tags": t.tags_for("prod")})])
}

test_native_sizes if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_instance", {"instance_type": "m5.2xlarge", "tags": t.tags_for("staging")})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_instance", {"instance_type": "t3.micro", "tags": t.tags_for("dev")})])
	count(rule.deny) == 1 with input as t.plan([t.create("google_compute_instance", {"machine_type": "n2-standard-8", "labels": t.tags_for("dev")})])
	count(rule.deny) == 0 with input as t.plan([t.create("azurerm_linux_virtual_machine", {"size": "Standard_D4s_v5", "tags": t.tags_for("prod")})])
}

test_tier_from_name_when_tag_missing if {
	doc := t.plan([t.create("oppie_instance", {"name": "shop-dev-api-vm", "size": "xl", "tags": {}})])
	count(rule.deny) == 1 with input as doc
}

test_unknown_size_or_environment_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("oppie_instance", {"tags": t.tags_for("dev")}, {"size": true})])
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_instance", {"size": "xl", "tags": {}})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_instance", {"instance_type": "weird", "tags": t.tags_for("dev")})])
}

test_configured_tiers if {
	doc := t.plan([t.create("oppie_instance", {"size": "xl", "tags": t.tags_for("dev")})])
	cfg := {"sizes_per_tier": {"dev": ["xs", "s", "m", "l", "xl"], "staging": ["m"], "prod": ["xl"]}}
	count(rule.deny) == 0 with input as doc with data.oppie.config as cfg
}
