package oppie.rules.tagging.mandatory_tags_test

import data.oppie.rules.tagging.mandatory_tags as rule
import data.oppie.testing as t

test_all_tags_present_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_network", {"tags": t.good_tags, "tags_all": t.good_tags})])
}

test_missing_tags_denied_with_names if {
	doc := t.plan([t.create("oppie_network", {"tags": {"project": "shop", "environment": "dev"}, "tags_all": {"project": "shop", "environment": "dev"}})])
	results := rule.deny with input as doc
	t.paths(results) == {["tags"]}
	some r in results
	contains(r.msg, "owner, cost-center")
}

test_default_tags_count if {
	doc := t.plan([t.create("aws_vpc", {"tags": {"project": "shop"}, "tags_all": t.good_tags})])
	count(rule.deny) == 0 with input as doc
}

test_unknown_tag_values_count_as_present if {
	doc := t.plan([t.create_unknown(
		"aws_instance",
		{"tags": {"project": "shop", "environment": "dev", "owner": "a"}, "tags_all": {"project": "shop", "environment": "dev", "owner": "a"}},
		{"tags": {"cost-center": true}, "tags_all": {"cost-center": true}},
	)])
	count(rule.deny) == 0 with input as doc
}

test_unknown_tags_all_does_not_deny if {
	doc := t.plan([t.create_unknown("oppie_bucket", {"tags": {}}, {"tags_all": true})])
	count(rule.deny) == 0 with input as doc
}

test_empty_value_counts_as_missing if {
	tags := object.union(t.good_tags, {"owner": " "})
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_resource_group", {"tags": tags})])
}

test_no_tags_at_all_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_resource_group", {"tags": null})])
}

test_google_labels if {
	doc := t.plan([t.create("google_storage_bucket", {"labels": {"project": "shop"}})])
	results := rule.deny with input as doc
	t.paths(results) == {["labels"]}
	some r in results
	contains(r.msg, "labels environment, owner, cost-center")
}

test_untaggable_types_are_skipped if {
	count(rule.deny) == 0 with input as t.plan([t.create("aws_route", {"destination_cidr_block": "0.0.0.0/0"})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_compute_network", {"name": "n"})])
}

test_configured_tag_list if {
	doc := t.plan([t.create("oppie_network", {"tags": {"team": "web"}, "tags_all": {"team": "web"}})])
	count(rule.deny) == 0 with input as doc with data.oppie.config as {"mandatory_tags": ["team"]}
}
