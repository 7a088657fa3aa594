package oppie.rules.cost.budget_test

import data.oppie.rules.cost.budget as rule
import data.oppie.testing as t

_instance(name, env, usd) := t.create_named("oppie_instance", name, {
	"size": "m", "tags": t.tags_for(env), "estimated_monthly_cost": usd,
})

test_over_budget_names_environment_total_budget_and_biggest if {
	doc := t.plan([_instance("a", "dev", 30), _instance("b", "dev", 50), _instance("c", "dev", 5), _instance("d", "dev", 1)])
	results := rule.deny with input as doc with data.budgets as {"dev": 60}
	count(results) == 1
	some r in results
	r.resource == "oppie_instance.b"
	r.environment == "dev"
	r.monthly_total == 86
	r.budget == 60
	[c.address | some c in r.contributors] == ["oppie_instance.b", "oppie_instance.a", "oppie_instance.c"]
	contains(r.msg, "environment dev: estimated monthly cost 86.00 USD exceeds its budget of 60.00 USD")
	contains(r.msg, "oppie_instance.b (50.00), oppie_instance.a (30.00), oppie_instance.c (5.00)")
}

test_within_budget_passes if {
	doc := t.plan([_instance("a", "dev", 30), _instance("b", "dev", 29.99)])
	count(rule.deny) == 0 with input as doc with data.budgets as {"dev": 60}
}

test_environments_are_judged_separately if {
	doc := t.plan([_instance("a", "dev", 50), _instance("b", "prod", 500)])
	results := rule.deny with input as doc with data.budgets as {"dev": 100, "prod": 400}
	{r.environment | some r in results} == {"prod"}
}

test_no_budget_no_finding if {
	doc := t.plan([_instance("a", "dev", 5000)])
	count(rule.deny) == 0 with input as doc
	count(rule.deny) == 0 with input as doc with data.budgets as {"prod": 1}
	count(rule.deny) == 0 with input as doc with data.budgets as {"dev": "cheap"}
}

test_unknown_costs_never_deny if {
	unknown := t.create_unknown("oppie_instance", {"size": "xl", "tags": t.tags_for("dev")}, {"estimated_monthly_cost": true})
	count(rule.deny) == 0 with input as t.plan([unknown]) with data.budgets as {"dev": 1}
	# The known part alone still counts.
	results := rule.deny with input as t.plan([unknown, _instance("b", "dev", 5)]) with data.budgets as {"dev": 1}
	count(results) == 1
}

test_deleted_resources_do_not_count_and_unchanged_ones_do if {
	gone := t.delete("oppie_instance", {"size": "xl", "tags": t.tags_for("dev"), "estimated_monthly_cost": 500})
	count(rule.deny) == 0 with input as t.plan([gone]) with data.budgets as {"dev": 10}
	kept := t.noop("oppie_instance", {"size": "xl", "tags": t.tags_for("dev"), "estimated_monthly_cost": 500})
	count(rule.deny) == 1 with input as t.plan([kept]) with data.budgets as {"dev": 10}
}

test_native_resources_use_host_costs if {
	vm := t.create("aws_instance", {"instance_type": "m5.xlarge", "tags": t.tags_for("staging")})
	results := rule.deny with input as t.plan([vm])
		with data.budgets as {"staging": 100}
		with data.oppie.costs as {"aws_instance.this": 140.16}
	some r in results
	r.resource == "aws_instance.this"
	r.monthly_total == 140.16
	count(rule.deny) == 0 with input as t.plan([vm]) with data.budgets as {"staging": 100}
}

test_budget_keys_any_case_and_state_documents if {
	doc := t.state([t.state_resource("oppie_instance", {"tags": t.tags_for("prod"), "estimated_monthly_cost": 20})])
	count(rule.deny) == 1 with input as doc with data.budgets as {"Prod": 10}
}

test_environment_from_the_name_when_untagged if {
	doc := t.plan([t.create("oppie_instance", {"name": "shop-dev-api-vm", "tags": {}, "estimated_monthly_cost": 99})])
	count(rule.deny) == 1 with input as doc with data.budgets as {"dev": 10}
}
