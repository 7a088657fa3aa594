package oppie.rules.naming.name_matches_tags_test

import data.oppie.rules.naming.name_matches_tags as rule
import data.oppie.testing as t

test_matching_name_and_tags_pass if {
	doc := t.plan([t.create("oppie_network", {"name": "shop-prod-api-net", "tags": t.good_tags})])
	count(rule.deny) == 0 with input as doc
}

test_environment_mismatch_denied if {
	doc := t.plan([t.create("oppie_network", {"name": "shop-dev-api-net", "tags": t.good_tags})])
	results := rule.deny with input as doc
	t.paths(results) == {["name"]}
	some r in results
	contains(r.msg, "environment")
}

test_project_mismatch_denied if {
	doc := t.plan([t.create("oppie_network", {"name": "cart-prod-api-net", "tags": t.good_tags})])
	count(rule.deny) == 1 with input as doc
}

test_unknown_tag_passes if {
	doc := t.plan([t.create_unknown("oppie_network", {"name": "cart-prod-api-net", "tags": {}}, {"tags": {"project": true}})])
	count(rule.deny) == 0 with input as doc
}
