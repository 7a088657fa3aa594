package oppie.rules.regions.allowed_regions_test

import data.oppie.rules.regions.allowed_regions as rule
import data.oppie.testing as t

test_catalog_region_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_network", {"region": "eu-west"})])
}

test_native_region_of_allowed_key_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_network", {"region": "eu-west-1"})])
	count(rule.deny) == 0 with input as t.plan([t.create("azurerm_resource_group", {"location": "West Europe"})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_compute_instance", {"zone": "asia-southeast1-b"})])
}

test_other_region_denied if {
	t.paths(rule.deny) == {["region"]} with input as t.plan([t.create("oppie_network", {"region": "sa-east-1"})])
	t.paths(rule.deny) == {["availability_zone"]} with input as t.plan([t.create("aws_instance", {"availability_zone": "us-east-2a"})])
	t.paths(rule.deny) == {["location"]} with input as t.plan([t.create("azurerm_resource_group", {"location": "brazilsouth"})])
}

test_unknown_region_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("oppie_network", {}, {"region": true})])
}

test_gcs_multi_region if {
	count(rule.deny) == 0 with input as t.plan([t.create("google_storage_bucket", {"location": "EU"})])
	count(rule.deny) == 1 with input as t.plan([t.create("google_storage_bucket", {"location": "EU"})]) with data.oppie.config as {"allowed_regions": ["us-east"]}
}

test_provider_region_denied if {
	doc := t.plan_with_providers([], {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "ap-northeast-1"}}}})
	results := rule.deny with input as doc
	t.addresses(results) == {"provider.aws"}
	ok := t.plan_with_providers([], {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-west-2"}}}})
	count(rule.deny) == 0 with input as ok
}

test_extra_regions if {
	doc := t.plan([t.create("aws_instance", {"availability_zone": "us-east-2a"})])
	count(rule.deny) == 0 with input as doc with data.oppie.config as {"extra_allowed_regions": ["us-east-2"]}
}
