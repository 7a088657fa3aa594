package oppie.rules.tagging.tag_key_spelling_test

import data.oppie.rules.tagging.tag_key_spelling as rule
import data.oppie.testing as t

test_variants_warned if {
	doc := t.plan([t.create("aws_instance", {"tags": {"Environment": "prod", "cost_center": "1", "Name": "x"}})])
	t.paths(rule.warn) == {["tags", "Environment"], ["tags", "cost_center"]} with input as doc
}

test_standard_keys_pass if {
	count(rule.warn) == 0 with input as t.plan([t.create("aws_instance", {"tags": t.good_tags})])
}

test_google_label_variant_warned if {
	doc := t.plan([t.create("google_compute_instance", {"labels": {"cost_center": "1"}})])
	t.paths(rule.warn) == {["labels", "cost_center"]} with input as doc
}

test_unknown_tags_pass if {
	count(rule.warn) == 0 with input as t.plan([t.create_unknown("aws_instance", {}, {"tags": true})])
}

test_default_tags_variants_warned_once if {
	doc := t.plan([t.create("oppie_network", {
		"tags": {"Environment": "dev"},
		"tags_all": {"Environment": "dev", "cost_center": "1", "project": "shop"},
	})])
	t.paths(rule.warn) == {["tags", "Environment"], ["tags_all", "cost_center"]} with input as doc
	some r in rule.warn with input as doc
	r.path == ["tags_all", "cost_center"]
	contains(r.msg, "default_tags")
}
