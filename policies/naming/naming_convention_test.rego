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
