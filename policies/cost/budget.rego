# A monthly budget per environment tier stops a plan from quietly multiplying a team's bill: the sum of what the plan
# leaves running in an environment must stay within data.budgets[environment].
package oppie.rules.cost.budget

import data.oppie.lib

# METADATA
# title: Monthly cost over the environment's budget
# description: >-
#   The estimated monthly cost of everything an environment tier holds after the plan (created, updated, replaced
#   and unchanged resources; not deleted ones) exceeds data.budgets[environment] (USD per month). A resource's cost
#   is its estimated_monthly_cost (oppie_* resources price themselves at plan time), else the price `oppie-policy
#   check` computed from the rate card for it (data.oppie.costs[address], e.g. aws_instance,
#   google_compute_instance, azurerm_linux_virtual_machine and their disks). Costs not known at plan time are left
#   out, so they never cause a finding; environments without a budget, and resources without an environment, are
#   not judged. Shrink or remove the biggest contributors, or raise the budget.
# scope: rule
# custom:
#   id: OPP-CST-001
#   severity: high
#   enforcement: hard-mandatory
#   controls:
#     - SOC2 CC3.2
#     - SOC2 CC9.1
#   resource_types:
#     - oppie_*
#     - aws_instance
#     - aws_ebs_volume
#     - google_compute_instance
#     - google_compute_disk
#     - azurerm_linux_virtual_machine
#     - azurerm_managed_disk
deny contains result if {
	some env, budget in _budgets
	total := _totals[env]
	total > budget
	top := _top(env)
	count(top) > 0
	names := [concat("", [c.address, " (", _money(c.usd), ")"]) | some c in top]
	msg := sprintf("environment %s: estimated monthly cost %s USD exceeds its budget of %s USD; biggest: %s", [
		env, _money(total), _money(budget), concat(", ", names),
	])
	result := {
		"msg": msg, "resource": top[0].address, "environment": env,
		"monthly_total": total, "budget": budget, "contributors": top,
	}
}

# _budgets[env]: the numeric budgets of data.budgets, keyed by lower-case environment.
_budgets[env] := budget if {
	some key, budget in lib.collection(data.budgets)
	is_string(key)
	is_number(budget)
	env := lower(key)
}

# _costs: one entry per costed resource the plan leaves in place in an environment with a budget, computed once.
# Plans are read straight from input.resource_changes, which keeps the rule linear and cheap on large plans; the
# library's helpers are used only where a resource carries no environment tag (the name-based fallback) and for
# states.
_costs := [{"address": rc.address, "env": env, "usd": usd} |
	some rc in lib.collection(input.resource_changes)
	rc.mode == "managed"
	is_string(rc.address)
	_remains(rc)
	env := _environment(rc)
	_budgets[env]
	usd := _cost(rc)
] if lib.is_plan

_costs := [{"address": lib.address(rc), "env": env, "usd": usd} |
	some rc in lib.all_resources
	env := lib.environment(rc)
	_budgets[env]
	usd := _state_cost(rc)
] if not lib.is_plan

# _remains(rc): the planned resource exists after the plan (created, updated, replaced or unchanged).
_remains(rc) if {
	some a in lib.collection(rc.change.actions)
	a in {"create", "update", "no-op"}
}

# _environment(rc): the environment tag (label) of the after-values, else the library's answer (name-based).
_environment(rc) := lower(e) if {
	e := rc.change.after.tags.environment
	is_string(e)
} else := lower(e) if {
	e := rc.change.after.tags_all.environment
	is_string(e)
} else := lower(e) if {
	e := rc.change.after.labels.environment
	is_string(e)
} else := e if {
	e := lib.environment(rc)
}

# _cost(rc): the known monthly cost: the resource's own estimate (a value in `after` is known), else the host's
# rate-card price; nothing when neither is known.
_cost(rc) := usd if {
	usd := rc.change.after.estimated_monthly_cost
	is_number(usd)
	usd >= 0
} else := usd if {
	usd := data.oppie.costs[rc.address]
	is_number(usd)
	usd >= 0
}

_state_cost(rc) := usd if {
	usd := lib.known_number(rc, ["estimated_monthly_cost"])
	usd >= 0
} else := usd if {
	usd := data.oppie.costs[lib.address(rc)]
	is_number(usd)
	usd >= 0
}

# _totals[env]: the monthly total of an environment that has a budget.
_totals[env] := sum([c.usd | some c in _costs; c.env == env]) if some env, _ in _budgets

# _top(env): the three biggest contributors of an environment, biggest first (ties by address).
_top(env) := [{"address": pair[1], "usd": 0 - pair[0]} | some pair in array.slice(_ranked(env), 0, 3)]

_ranked(env) := sort([[0 - c.usd, c.address] | some c in _costs; c.env == env])

# _money(x): a non-negative amount with two decimals ("86.00"); sprintf's %.2f prints integers without them.
_money(x) := concat("", [format_int(whole, 10), ".", _two_digits(cents - (whole * 100))]) if {
	cents := round(x * 100)
	whole := floor(cents / 100)
}

_two_digits(n) := format_int(n, 10) if n >= 10

_two_digits(n) := concat("", ["0", format_int(n, 10)]) if n < 10
