package oppie.rules.naming.naming_convention_test

import data.oppie.rules.naming.naming_convention as rule
import data.oppie.testing as t

test_good_name_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_network", {"name": "shop-dev-api-net"})])
}

test_bad_name_denied if {
	t.paths(rule.deny) == {["name"]} with input as t.plan([t.create("oppie_network", {"name": "MyNetwork"})])
}

test_wrong_environment_segment_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("oppie_bucket", {"name": "shop-test-img-bucket"})])
}

test_unknown_name_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_s3_bucket", {"bucket_prefix": "x"}, {"bucket": true})])
}

test_native_name_attributes if {
	t.paths(rule.deny) == {["bucket"]} with input as t.plan([t.create("aws_s3_bucket", {"bucket": "my_bucket"})])
	t.paths(rule.deny) == {["tags", "Name"]} with input as t.plan([t.create("aws_vpc", {"tags": {"Name": "main"}})])
	t.paths(rule.deny) == {["identifier"]} with input as t.plan([t.create("aws_db_instance", {"identifier": "db1"})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_compute_network", {"name": "shop-prod-core-vpc"})])
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_resource_group", {"name": "rg-shop"})])
}

test_resource_without_name_tag_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("aws_vpc", {"tags": {}})])
}

test_custom_pattern if {
	doc := t.plan([t.create("oppie_network", {"name": "net01"})])
	count(rule.deny) == 0 with input as doc with data.oppie.config as {"naming_pattern": "^net[0-9]+$"}
}

test_names_the_project_makes_pass if {
	doc := t.plan([
		t.create_named("oppie_environment", "dev", {"name": "shop-dev"}),
		t.create_named("oppie_environment", "preview", {"name": "shop-dev-pr-1234"}),
		t.create("oppie_network", {"name": "shop-dev-net"}),
		t.create("oppie_instance", {"name": "shop-prod-api-cluster"}),
	])
	count(rule.deny) == 0 with input as doc
}

test_misnamed_preview_is_one_finding if {
	doc := t.plan(array.concat(
		[t.create("oppie_environment", {"name": "pr-1234"})],
		[t.create_named("oppie_instance", sprintf("web%d", [i]), {"name": sprintf("pr-1234-web-%d", [i])}) |
			some i in numbers.range(1, 15)
		],
	))
	results := rule.deny with input as doc
	count(results) == 1
	some r in results
	contains(r.msg, "15 more resources")
}

test_resources_of_a_well_named_environment_are_judged_alone if {
	doc := t.plan([
		t.create("oppie_environment", {"name": "shop-dev-pr-7"}),
		t.create("oppie_instance", {"name": "shop-dev-pr-7-Web"}),
	])
	count(rule.deny) == 1 with input as doc
}
