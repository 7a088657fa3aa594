package oppie.rules.tagging.environment_tag_value_test

import data.oppie.rules.tagging.environment_tag_value as rule
import data.oppie.testing as t

test_known_environment_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_instance", {"tags": t.tags_for("staging")})])
}

test_other_value_denied if {
	doc := t.plan([t.create("oppie_instance", {"tags": t.tags_for("Production")})])
	results := rule.deny with input as doc
	t.paths(results) == {["tags", "environment"]}
}

test_capitalised_value_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_resource_group", {"tags": {"environment": "Prod"}})])
}

test_unknown_or_missing_value_passes if {
	doc := t.plan([t.create_unknown("aws_vpc", {"tags": {}}, {"tags": {"environment": true}})])
	count(rule.deny) == 0 with input as doc
	count(rule.deny) == 0 with input as t.plan([t.create("aws_vpc", {"tags": {}})])
}

test_configured_environments if {
	doc := t.plan([t.create("oppie_instance", {"tags": t.tags_for("qa")})])
	count(rule.deny) == 0 with input as doc with data.oppie.config as {"environments": ["dev", "qa", "prod"]}
}
