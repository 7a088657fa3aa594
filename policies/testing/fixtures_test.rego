# Builders for the test inputs of every rule: small plan and state documents in the shape of
# `terraform show -json`, so each test states only the attributes it is about.
package oppie.testing

# good_tags: a tag map that satisfies every tagging rule (prod tier).
good_tags := {"project": "shop", "environment": "prod", "owner": "team-web", "cost-center": "cc-1234"}

# tags_for(env): good_tags for another environment tier.
tags_for(env) := object.union(good_tags, {"environment": env})

# plan(changes): a plan document (format_version 1.2) holding the given resource changes.
plan(changes) := {"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": changes}

# complete_plan(changes): a plan with a configuration section, as `terraform show -json` prints it.
complete_plan(changes) := object.union(plan(changes), {"configuration": {"root_module": {}}})

# plan_with_providers(changes, provider_config): a complete plan with the given configuration.provider_config.
plan_with_providers(changes, provider_config) := object.union(
	plan(changes),
	{"configuration": {"provider_config": provider_config, "root_module": {}}},
)

# create(type, after): a change creating `<type>.this` with the given after-values and nothing unknown.
create(type, after) := change(type, "this", ["create"], after, {})

# create_unknown(type, after, after_unknown): like create, with the given after_unknown marks.
create_unknown(type, after, after_unknown) := change(type, "this", ["create"], after, after_unknown)

# create_named(type, name, after): like create, for resource `<type>.<name>`.
create_named(type, name, after) := change(type, name, ["create"], after, {})

# update(type, after) / delete(type, before) / noop(type, after): changes with other actions.
update(type, after) := change(type, "this", ["update"], after, {})

delete(type, before) := {
	"address": concat(".", [type, "this"]),
	"mode": "managed",
	"type": type,
	"name": "this",
	"provider_name": provider_of(type),
	"change": {"actions": ["delete"], "before": before, "after": null, "after_unknown": {}},
}

noop(type, after) := change(type, "this", ["no-op"], after, {})

# change(type, name, actions, after, after_unknown): one managed resource change.
change(type, name, actions, after, after_unknown) := {
	"address": concat(".", [type, name]),
	"mode": "managed",
	"type": type,
	"name": name,
	"provider_name": provider_of(type),
	"change": {
		"actions": actions,
		"before": null,
		"after": after,
		"after_unknown": after_unknown,
		"before_sensitive": false,
		"after_sensitive": {},
	},
}

# provider_of(type): the registry address of the provider owning a resource type.
provider_of(type) := "registry.terraform.io/hashicorp/aws" if startswith(type, "aws_")

provider_of(type) := "registry.terraform.io/hashicorp/google" if startswith(type, "google_")

provider_of(type) := "registry.terraform.io/hashicorp/azurerm" if startswith(type, "azurerm_")

provider_of(type) := "registry.terraform.io/oppie/oppie" if startswith(type, "oppie_")

# state(resources): a state document whose root module holds the given state resources.
state(resources) := {"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {"resources": resources}}}

# state_resource(type, values): one managed resource `<type>.this` of a state.
state_resource(type, values) := {
	"address": concat(".", [type, "this"]),
	"mode": "managed",
	"type": type,
	"name": "this",
	"provider_name": provider_of(type),
	"schema_version": 0,
	"values": values,
	"sensitive_values": {},
}

# addresses(results): the resource addresses named by a set of rule results.
addresses(results) := {r.resource | some r in results}

# paths(results): the attribute paths named by a set of rule results.
paths(results) := {r.path | some r in results}
