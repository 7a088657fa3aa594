# Helper library that ships inside oppie-policy: policies `import data.oppie.lib` and read the plan through it.
# It hides the differences between plan format_versions 0.1-1.2, state JSON and the one-resource plan documents the
# provider builds at plan time, and it keeps values Terraform only knows after apply from ever looking like a fault.
#
# Conventions used below:
# - `rc` is a resource-change object as in `terraform show -json` of a plan (`address`, `mode`, `type`, `name`,
#   `provider_name`, `change.actions`, `change.after`, `change.after_unknown`). State resources are wrapped into the
#   same shape (actions ["no-op"], before = after = values), so rules written against this library run on both.
# - A `path` is an array of attribute-path steps into `change.after`, e.g. ["ingress", 0, "sources"].
# - Functions are total on odd input: they are undefined (never an error) when a value is missing or has the wrong
#   type, because regorus aborts the whole evaluation on a builtin type error and on `some x in v` when v is not a
#   collection (OPA treats both as undefined). Iterate plan values through `collection(v)`.
# - Values that are compared later are built with concat, not sprintf (rego-cpp quotes sprintf's %s arguments).
package oppie.lib

# ---------------------------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------------------------

# default_config: the values every rule uses unless `data.oppie.config` overrides them. Teams override with
# `oppie-policy --data FILE` where FILE holds {"oppie": {"config": {...}}}. Each top-level key given replaces the
# default for that key as a whole (no deep merge), so an override of `sizes_per_tier` must list every tier.
default_config := {
	# Tag keys (labels on Google resources) every taggable resource must carry. Keys are matched exactly:
	# lower-case, `cost-center` with a dash (GCP label keys allow dashes, so one spelling works on every cloud).
	"mandatory_tags": ["project", "environment", "owner", "cost-center"],
	# Values the `environment` tag may take; also the environment segment of the naming convention.
	"environments": ["dev", "staging", "prod"],
	# Environments where backups, deletion protection and no-force-destroy are enforced.
	"protected_environments": ["prod"],
	# Minimum database backup retention in protected environments.
	"min_backup_retention_days": 7,
	# Region catalog keys resources may be placed in; each key also allows its native names (see region_catalog).
	"allowed_regions": ["us-east", "us-west", "eu-west", "eu-central", "ap-southeast"],
	# Native region names allowed in addition to the catalog keys above (e.g. "us-east-2").
	"extra_allowed_regions": [],
	# Catalog region key -> native region name per cloud (the same table the provider uses).
	"region_catalog": {
		"us-east": {"aws": "us-east-1", "gcp": "us-east1", "azure": "eastus"},
		"us-west": {"aws": "us-west-2", "gcp": "us-west1", "azure": "westus2"},
		"eu-west": {"aws": "eu-west-1", "gcp": "europe-west1", "azure": "westeurope"},
		"eu-central": {"aws": "eu-central-1", "gcp": "europe-west3", "azure": "germanywestcentral"},
		"ap-southeast": {"aws": "ap-southeast-1", "gcp": "asia-southeast1", "azure": "southeastasia"},
	},
	# Size classes (catalog keys) allowed per environment tier; native sizes are mapped onto a class by size_class.
	"sizes_per_tier": {
		"dev": ["xs", "s"],
		"staging": ["xs", "s", "m"],
		"prod": ["s", "m", "l", "xl"],
	},
	# Regular expression a resource name must match; "" builds it from `environments`
	# ({project}-{environment}[-{service}[-{resource}]], lower case, [a-z0-9-]).
	"naming_pattern": "",
	# Ports that reach databases and caches; opening them to the internet is a finding.
	"database_ports": [1433, 1521, 2484, 3306, 5432, 5439, 6379, 7000, 7001, 8529, 9042, 9160, 9200, 9300, 11211, 27017, 27018, 27019],
	# Source addresses that mean "anyone on the internet" (compared lower-case; Azure uses "*", "Internet", "Any").
	"world_sources": ["0.0.0.0/0", "::/0", "*", "internet", "any"],
	# Longest allowed automatic key rotation period for customer-managed keys (CIS GCP 1.10 asks for 90 days).
	"max_key_rotation_days": 90,
	# When true, plan resources with action no-op are judged too (default: only what the plan creates or updates).
	"check_unchanged": false,
}

# _user_config: `data.oppie.config` when the caller supplied an object there.
_user_config := c if {
	# One reference: regorus scans every module for each lookup of a data path no rule defines.
	c := data.oppie.config
	is_object(c)
} else := {}

# config_strings(key): the strings in the list config[key] (e.g. "environments"), ignoring anything else, so a
# malformed override cannot break a rule's message.
config_strings(key) := _strings(config[key])

# config_number(key): config[key] when it is a number (undefined otherwise, which silences rules needing it).
config_number(key) := config[key] if is_number(config[key])

# config: default_config with the caller's top-level keys replacing the defaults.
config := object.union(default_config, object.filter(_user_config, object.keys(default_config)))

# collection(x): x when it is an array, set or object, else an empty array; wrap any plan value in it before
# `some .. in` (regorus raises an error when asked to iterate null, a string or a number).
# (One clause with `else`: regorus evaluates every clause of a function on each call, so four clauses cost four.)
collection(x) := x if {
	is_array(x)
} else := x if {
	is_set(x)
} else := x if {
	is_object(x)
} else := []

# ---------------------------------------------------------------------------------------------------------------------
# What kind of document the input is
# ---------------------------------------------------------------------------------------------------------------------

# is_plan: the input is a plan (`terraform show -json PLANFILE`, any format_version, or the provider's one-resource
# plan document).
is_plan if is_array(input.resource_changes)

# is_state: the input is a state (`terraform show -json` without a plan file), which has `values.root_module`.
is_state if {
	not is_plan
	is_object(input.values.root_module)
}

# is_planned_values_only: a trimmed plan that kept `planned_values` but dropped `resource_changes`; read like a state.
is_planned_values_only if {
	not is_plan
	not is_state
	is_object(input.planned_values.root_module)
}

# is_complete_plan: the input carries the `configuration` section, so rules that look at several resources
# together (a VPC and its flow logs) can trust that absent means absent. The provider's plan-time documents hold one
# resource and no configuration; such rules stay silent there.
is_complete_plan if {
	is_plan
	is_object(input.configuration)
}

# ---------------------------------------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------------------------------------

_value_root := input.values.root_module if is_state

_value_root := input.planned_values.root_module if is_planned_values_only

# _module_resources: every resource object in the root module and all nested child_modules of a state, that is at
# [("child_modules", i)*, "resources", j]. (oppie_policy_module_resources is a host function of oppie-policy: in Rego
# this was a walk over every value of every resource, about 1 s per 1,000 resources.)
_module_resources := oppie_policy_module_resources(_value_root)

# _as_change(r): a state resource wrapped as an unchanged resource change.
_as_change(r) := {
	"address": object.get(r, "address", concat(".", [r.type, object.get(r, "name", "")])),
	"mode": object.get(r, "mode", "managed"),
	"type": r.type,
	"name": object.get(r, "name", ""),
	"provider_name": object.get(r, "provider_name", ""),
	"change": {
		"actions": ["no-op"],
		"before": values,
		"after": values,
		"after_unknown": {},
		"after_sensitive": object.get(r, "sensitive_values", {}),
	},
} if {
	is_string(r.type)
	values := object.get(r, "values", {})
}

# all_resources: every managed resource of the input as a resource change, whatever its action (plan), or every
# managed resource of the state. Rules that need to see neighbours (flow logs of a VPC) look here.
# (oppie_policy_managed_changes is a host function of oppie-policy: the resource_changes entries that are objects
# with mode "managed", a string type and an object change.)
all_resources := oppie_policy_managed_changes(input.resource_changes) if {
	is_plan
} else := {rc |
	some r in _module_resources
	r.mode == "managed"
	rc := _as_change(r)
}

# _index: subjects, changes and both by-type groupings below, sorted in one pass over all_resources by the host
# function oppie_policy_index (in Rego that pass cost about 15 µs per resource, once per query).
_index := oppie_policy_index(all_resources, _judge)

# _judge: which resources are subjects (see below), as oppie_policy_index names the three cases.
_judge := "changes_and_unchanged" if {
	is_plan
	config.check_unchanged == true
} else := "changes" if {
	is_plan
} else := "all"

# subjects: the resources rules judge. For a plan: what it creates, updates or replaces (plus unchanged resources
# when config.check_unchanged is true); deletes, reads and no-ops are left alone. For a state: every resource.
subjects := _index.subjects

# changes: the plan's managed resource changes that create or update something (replace counts as create), each
# with its `change.actions`. Empty for a state.
changes := _index.changes

# resources_by_type[type]: the judged resources grouped by resource type, built once per query, so the type lookups
# below cost one object access each (rules call resources(type) about 80 times).
resources_by_type := _index.by_type

# resources(type): the judged resources (see subjects) of one resource type; the empty set for a type the input
# does not have.
resources(type) := object.get(resources_by_type, type, set())

# _all_resources_by_type[type]: all_resources grouped by resource type, built once like resources_by_type.
_all_resources_by_type := _index.all_by_type

# all_resources_of(type): every managed resource of one type whatever its action (see all_resources), for rules
# that look for a neighbour (the aws_flow_log of a VPC) without walking the whole plan once per resource.
all_resources_of(type) := object.get(_all_resources_by_type, type, set())

# address(rc): the resource address, e.g. "module.net.aws_vpc.main[0]".
address(rc) := rc.address if {
	is_string(rc.address)
} else := concat(".", [rc.type, rc.name])

# actions(rc): the change actions, e.g. ["create"], ["delete", "create"]; ["no-op"] for state resources.
actions(rc) := rc.change.actions if {
	is_array(rc.change.actions)
} else := []

# is_create(rc): the change creates the resource (alone or as part of a replace).
is_create(rc) if "create" in actions(rc)

# is_update(rc): the change updates the resource in place.
is_update(rc) if "update" in actions(rc)

# is_delete(rc): the change only deletes the resource.
is_delete(rc) if actions(rc) == ["delete"]

# is_replace(rc): the change deletes and re-creates the resource (in either order).
is_replace(rc) if {
	"delete" in actions(rc)
	"create" in actions(rc)
}

# is_noop(rc): the plan leaves the resource unchanged (always true for state resources).
is_noop(rc) if actions(rc) == ["no-op"]

# finding(rc, path, msg): a rule result in the shape every Oppie rule returns: the message, the resource address and
# the attribute path at fault (the provider points Terraform at that attribute at plan time).
finding(rc, path, msg) := {"msg": msg, "resource": address(rc), "path": path}

# ---------------------------------------------------------------------------------------------------------------------
# After-values and unknowns
# ---------------------------------------------------------------------------------------------------------------------

# unknown: the sentinel after(rc) puts where Terraform knows a value only after apply. An object, so it never
# equals a string, number or boolean a rule compares against.
unknown := {"oppie_unknown": "known after apply"}

# is_unknown_value(v): v is the unknown sentinel.
is_unknown_value(v) if v == unknown

_absent := {"oppie_absent": true}

_after_obj(rc) := rc.change.after if {
	is_object(rc.change.after)
} else := {}

_after_unknown(rc) := rc.change.after_unknown if {
	is_object(rc.change.after_unknown)
} else := {}

# is_unknown(rc, path): the value at path, or one of the values containing it, is known only after apply.
# (oppie_policy_is_unknown is a host function of oppie-policy: the Rego version, a loop over the prefixes of path,
# cost 10-15 µs a call and the library makes it for every attribute it reads.)
is_unknown(rc, path) if oppie_policy_is_unknown(rc, path)

# has_unknown(rc, path): the value at path is unknown or contains an unknown part (a list element, a map value).
has_unknown(rc, path) if {
	is_unknown(rc, path)
} else := true if {
	sub := object.get(_after_unknown(rc), path, false)
	is_object(sub)
	walk(sub, [_, true])
} else := true if {
	sub := object.get(_after_unknown(rc), path, false)
	is_array(sub)
	walk(sub, [_, true])
}

# known(rc, path): the after-value at path when Terraform knows it now (it may be null: "known to be unset").
# Undefined when the value is unknown or absent. Unknown list elements inside it show as null.
# (oppie_policy_known is a host function of oppie-policy: `not is_unknown(rc, path)`, then the after-value at path.)
known(rc, path) := oppie_policy_known(rc, path)

# map_keys(resources, path): every key of the maps at path of the resources (a set or list), where known(rc, path)
# is an object; keys with null values count. A rule about keys can first judge the few distinct keys and then look
# only for the resources that have a bad one. oppie_policy_map_keys is a host function of oppie-policy; it applies
# {k | some rc in resources; m := known(rc, path); is_object(m); some k, _ in m}.
map_keys(resources, path) := oppie_policy_map_keys(resources, path)

# value_or(rc, path, fallback): the after-value at path; `fallback` when it is absent (e.g. an attribute an older
# provider version does not have), the `unknown` sentinel when it is known only after apply.
value_or(rc, path, _) := unknown if is_unknown(rc, path)

value_or(rc, path, fallback) := object.get(_after_obj(rc), path, fallback) if not is_unknown(rc, path)

# known_true(rc, path) / known_false(rc, path): the after-value at path is known to be true / false.
known_true(rc, path) if known(rc, path) == true

known_false(rc, path) if known(rc, path) == false

# known_string(rc, path): the after-value at path when it is a known, non-empty string.
known_string(rc, path) := s if {
	s := known(rc, path)
	is_string(s)
	s != ""
}

# known_number(rc, path): the after-value at path when it is a known number.
known_number(rc, path) := n if {
	n := known(rc, path)
	is_number(n)
}

# known_list(rc, path): the after-value at path when it is a known list (possibly empty).
known_list(rc, path) := l if {
	l := known(rc, path)
	is_array(l)
}

# known_empty(rc, path): the after-value at path is known to be unset: null, "" or an empty list/object (e.g. a
# nested block that was not written).
known_empty(rc, path) if {
	v := known(rc, path)
	_empty(v)
}

_empty(null) := true

_empty("") := true

_empty([]) := true

_empty({}) := true

# blocks(rc, name): each known nested block of a block list attribute (e.g. "ingress") with its index, as
# {"index": i, "block": b}; unknown blocks are skipped.
blocks(rc, name) := {entry |
	list := known_list(rc, [name])
	some i
	b := list[i]
	is_object(b)
	not is_unknown(rc, [name, i])
	entry := {"index": i, "block": b}
}

# after(rc): the after-values with every unknown leaf replaced by the `unknown` sentinel, so a rule can tell
# "unset" (null) from "not known yet" (sentinel). {} for a delete.
after(rc) := json.patch(_after_obj(rc), [op |
	some p in _unknown_paths(rc)
	op := _unknown_patch(rc, p)
])

_unknown_paths(rc) := {p |
	walk(_after_unknown(rc), [p, v])
	v == true
	count(p) > 0
}

# Lists keep a null placeholder for unknown elements (replace it); objects drop unknown attributes (add them back).
_unknown_patch(rc, p) := {"op": "replace", "path": _pointer(p), "value": unknown} if {
	object.get(_after_obj(rc), p, _absent) != _absent
} else := {"op": "add", "path": _pointer(p), "value": unknown} if {
	is_object(_parent_value(rc, p))
}

_parent_value(rc, p) := _after_obj(rc) if count(p) == 1

_parent_value(rc, p) := object.get(_after_obj(rc), array.slice(p, 0, count(p) - 1), null) if count(p) > 1

# _pointer(p): the JSON pointer (RFC 6901) of a path.
_pointer(p) := concat("", [concat("", ["/", _pointer_step(s)]) | some s in p])

_pointer_step(s) := format_int(s, 10) if is_number(s)

_pointer_step(s) := replace(replace(s, "~", "~0"), "/", "~1") if is_string(s)

# ---------------------------------------------------------------------------------------------------------------------
# Clouds, tags, environment
# ---------------------------------------------------------------------------------------------------------------------

# is_oppie(rc): an oppie_* resource of the Oppie provider.
is_oppie(rc) if startswith(rc.type, "oppie_")

# cloud(rc): "aws", "gcp" or "azure" for native resources by type prefix, or from the `cloud` attribute of an
# oppie_* resource when known.
cloud(rc) := "aws" if {
	startswith(rc.type, "aws_")
} else := "gcp" if {
	startswith(rc.type, "google_")
} else := "azure" if {
	startswith(rc.type, "azurerm_")
} else := c if {
	is_oppie(rc)
	c := known_string(rc, ["cloud"])
}

# taggable_types: the native resource types whose tag (label) map the tagging rules check. oppie_* resources are
# taggable except oppie_environment (see is_taggable). aws_autoscaling_group is left out on purpose: it keeps tags in `tag` blocks, not a map.
taggable_types := {
	"aws_instance", "aws_launch_template", "aws_ebs_volume", "aws_eip", "aws_vpc", "aws_subnet",
	"aws_security_group", "aws_internet_gateway", "aws_nat_gateway", "aws_route_table", "aws_vpc_endpoint",
	"aws_ec2_transit_gateway", "aws_flow_log", "aws_network_interface",
	"aws_s3_bucket", "aws_efs_file_system", "aws_db_instance", "aws_rds_cluster", "aws_neptune_cluster",
	"aws_dynamodb_table", "aws_elasticache_cluster", "aws_redshift_cluster", "aws_elasticsearch_domain",
	"aws_opensearch_domain", "aws_lb", "aws_alb", "aws_lb_target_group", "aws_eks_cluster", "aws_eks_node_group",
	"aws_ecs_cluster", "aws_ecs_service", "aws_ecr_repository", "aws_lambda_function", "aws_sqs_queue",
	"aws_sns_topic", "aws_kms_key", "aws_secretsmanager_secret", "aws_cloudwatch_log_group", "aws_cloudtrail",
	"aws_iam_role", "aws_iam_user", "aws_iam_policy",
	"google_compute_instance", "google_compute_instance_template", "google_compute_disk",
	"google_compute_address", "google_compute_global_address", "google_compute_forwarding_rule",
	"google_compute_image", "google_compute_snapshot", "google_storage_bucket", "google_pubsub_topic",
	"google_pubsub_subscription", "google_bigquery_dataset", "google_bigquery_table", "google_kms_crypto_key",
	"google_secret_manager_secret", "google_artifact_registry_repository", "google_cloud_run_v2_service",
	"google_cloudfunctions_function", "google_cloudfunctions2_function", "google_redis_instance",
	"google_filestore_instance", "google_dataproc_cluster", "google_container_cluster",
	"google_sql_database_instance",
	"azurerm_resource_group", "azurerm_virtual_network", "azurerm_network_security_group",
	"azurerm_network_interface", "azurerm_public_ip", "azurerm_lb", "azurerm_application_gateway",
	"azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_virtual_machine",
	"azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set", "azurerm_managed_disk",
	"azurerm_availability_set", "azurerm_storage_account", "azurerm_key_vault", "azurerm_kubernetes_cluster",
	"azurerm_container_registry", "azurerm_mssql_server", "azurerm_mssql_database", "azurerm_postgresql_server",
	"azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server", "azurerm_cosmosdb_account",
	"azurerm_redis_cache", "azurerm_log_analytics_workspace", "azurerm_databricks_workspace",
	"azurerm_private_endpoint", "azurerm_private_dns_zone", "azurerm_virtual_wan", "azurerm_virtual_hub",
	"azurerm_express_route_circuit", "azurerm_express_route_gateway", "azurerm_express_route_port",
	"azurerm_service_plan", "azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_function_app",
}

# is_taggable(rc): the tagging rules apply to the resource.
is_taggable(rc) if {
	is_oppie(rc)
	# An environment lives only in Terraform state: no bill, console or inventory ever shows its tags, so the
	# tagging conventions (there for cost allocation and ownership of cloud objects) do not apply to it.
	rc.type != "oppie_environment"
} else := true if {
	rc.type in taggable_types
}

# tags_path(rc): the attribute path of the user's tag map: ["tags"] on AWS, Azure and Oppie resources, ["labels"]
# on Google resources, except google_container_cluster (["resource_labels"]) and google_sql_database_instance
# (["settings", 0, "user_labels"]).
tags_path(rc) := p if {
	p := object.get(_tags_path_by_type, rc.type, null)
	p != null
} else := _tags_path_of(rc.type)

_tags_path_of(type) := ["resource_labels"] if {
	type == "google_container_cluster"
} else := ["settings", 0, "user_labels"] if {
	type == "google_sql_database_instance"
} else := ["labels"] if {
	startswith(type, "google_")
} else := ["tags"]

# _tags_path_by_type[type], _tag_paths_by_type[type]: the paths of every type the judged resources have, worked
# out once per query (they depend on the type alone, and rules ask for them for every resource).
_tags_path_by_type[type] := _tags_path_of(type) if some type, _ in resources_by_type

_tag_paths_by_type[type] := _tag_paths_of(type) if some type, _ in resources_by_type

# tag_attribute(rc): the name of the attribute holding the tag map ("tags", "labels", ...), for messages.
tag_attribute(rc) := p[count(p) - 1] if p := tags_path(rc)

# _tag_paths(rc): the user's tag map and, where the provider merges defaults into a computed map, that map
# (AWS and Oppie `default_tags` -> `tags_all`; Google `default_labels` -> `terraform_labels`), user's map first.
_tag_paths(rc) := p if {
	p := object.get(_tag_paths_by_type, rc.type, null)
	p != null
} else := _tag_paths_of(rc.type)

_tag_paths_of(type) := [["labels"], ["terraform_labels"]] if {
	_tags_path_of(type) == ["labels"]
} else := [_tags_path_of(type)] if {
	startswith(type, "google_")
} else := [["tags"]] if {
	startswith(type, "azurerm_")
} else := [["tags"], ["tags_all"]]

_object_or_empty(x) := x if {
	is_object(x)
} else := {}

# tags(rc): the resource's effective tags (labels on Google): the user's map merged over the provider-default
# map. Keys whose value is not known yet map to the `unknown` sentinel. {} when the resource has no tag map.
# oppie_policy_tag_maps is a host function of oppie-policy (the Rego version cost ~100 µs per resource; now a call
# costs about what a lookup in a per-query memo did, so there is none): for each path, the known non-null entries
# of the map there, plus the keys after_unknown marks as unknown mapped to `unknown`; nothing where the map (or a
# value containing it) is unknown, absent or not an object; earlier paths win.
tags(rc) := oppie_policy_tag_maps(rc, _tag_paths(rc))

# tags_unknown(rc): a whole tag map is unknown, so missing keys cannot be told apart from keys still to come.
tags_unknown(rc) if {
	some path in _tag_paths(rc)
	is_unknown(rc, path)
}

# tag_paths(type): the attribute paths whose maps make up the tags of a resource of that type, the user's map
# first (e.g. [["tags"], ["tags_all"]] on AWS). tags_at(rc, paths) and tags_unknown_at(rc, paths) are tags(rc) and
# tags_unknown(rc) given them: a rule that walks the resources of one type at a time reads the paths once per type.
tag_paths(type) := p if {
	p := object.get(_tag_paths_by_type, type, null)
	p != null
} else := _tag_paths_of(type)

tags_at(rc, paths) := oppie_policy_tag_maps(rc, paths)

tags_unknown_at(rc, paths) if {
	some path in paths
	is_unknown(rc, path)
}

# tag_path(rc, key): the attribute path of one tag, for result `path`s.
tag_path(rc, key) := array.concat(tags_path(rc), [key])

# environment(rc): the environment tier from the `environment` tag (label), lower-cased; when the tag is missing,
# the environment segment of a name that follows the naming convention.
environment(rc) := e if {
	f := object.get(_facts_by_address, rc.address, null)
	f.rc == rc
	e := f.environment
} else := e if {
	not _has_facts(rc)
	e := _environment(rc)
}

# _subject_facts: what name(rc), follows_naming(name(rc)), name_parts(rc), tags(rc), environment(rc) and
# region_info(rc) give for every subject (members left out where undefined), computed once per query: several rules
# read them for every resource, and functions are not cached between calls, rules are. `by_address` holds each
# subject's entry (its facts and "rc") under its address (_facts_by_address); `all` and `named` list the entries
# (subject_facts, named_subjects). _facts_by_address is read with object.get, not as _facts_by_address[key]:
# regorus turns a rule reference with a computed key into a path string and scans every module for it.
# oppie_policy_subject_facts is a host function of oppie-policy (these cost ~20-40 µs of Rego per resource): it
# applies the definitions of name, name_parts, _environment and _region_info below to every subject, given each
# type's tag paths and name path and naming_pattern.
_subject_facts := m if {
	m := oppie_policy_subject_facts(resources_by_type, _tag_paths_by_type, _name_path_by_type, naming_pattern)
} else := {"by_address": {}, "all": [], "named": [], "by_type": {}}

# _facts_by_address: the facts of the subjects by address (addresses two subjects share are left out). An entry
# counts for rc when its "rc" is rc itself: that comparison is a pointer comparison for the very value, where a map
# keyed by the whole resource would compare it field by field on every lookup.
_facts_by_address := _subject_facts.by_address

# _has_facts(rc): rc is a subject with an entry in _facts_by_address.
_has_facts(rc) if {
	f := object.get(_facts_by_address, rc.address, null)
	f.rc == rc
}

# subject_facts: one entry per subject, {"rc", "tags" (tags(rc)), and "name", "follows_naming", "name_parts",
# "environment", "region" (region_info(rc)), "tags_unknown" (true when tags_unknown(rc)) where defined}, for rules
# that walk every subject.
subject_facts := _subject_facts.all

# subject_facts_by_type: type -> the subject_facts entries of that type, for rules that decide per type (say,
# whether it is taggable) and then walk its resources.
subject_facts_by_type := _subject_facts.by_type

# missing_tags(entries, keys): for each entry of subject_facts (or subject_facts_by_type[type]) whose tag maps are
# known (no tags_unknown), the keys its tags lack: absent, false, or blank (white space only). Gives
# [{"entry": entry, "missing": [key, ...]}, ...], in the order of entries and keys, without the entries that lack
# none. oppie_policy_missing_tags is a host function of oppie-policy; it applies this definition:
#   [{"entry": f, "missing": m} | some f in entries; not f.tags_unknown; tags := object.get(f, "tags", {});
#    m := [k | some k in keys; v := object.get(tags, k, false); trim_space(object.get({false: ""}, v, v)) == ""];
#    count(m) > 0]
# (in Rego the test costs ~15 µs per resource, and a rule about mandatory tags makes it for every resource).
missing_tags(entries, keys) := oppie_policy_missing_tags(entries, keys)

# named_subjects: one entry per judged resource whose name is known (see name(rc)), as
# {"rc", "name", "follows_naming" (bool), "tags" (tags(rc)), "name_parts" and "environment" where defined}.
# A rule about names walks this list instead of calling name(rc), follows_naming and tags(rc) for every resource:
# in regorus each function call costs a few microseconds.
named_subjects := _subject_facts.named

# _name_path_by_type: type -> name_path of every type the judged resources have (types without one are left out).
# A comprehension: as a partial rule (`_name_path_by_type[type] := name_path(...)`) whose value is undefined for
# some key, regorus 0.14 fails with "not an object" under `with input as`.
_name_path_by_type := {type: p |
	some type, _ in resources_by_type
	p := name_path({"type": type})
}

_environment(rc) := lower(e) if {
	e := tags(rc).environment
	is_string(e)
} else := parts.environment if {
	parts := name_parts(rc)
}

# in_protected_environment(rc): the resource belongs to an environment listed in config.protected_environments.
in_protected_environment(rc) if environment(rc) in config.protected_environments

# ---------------------------------------------------------------------------------------------------------------------
# Naming
# ---------------------------------------------------------------------------------------------------------------------

# native_name_paths: where the naming convention finds the name of each covered native type. oppie_* resources use
# `name`. azurerm_storage_account is left out: its names may not contain dashes.
native_name_paths := {
	"aws_instance": ["tags", "Name"], "aws_vpc": ["tags", "Name"], "aws_subnet": ["tags", "Name"],
	"aws_ebs_volume": ["tags", "Name"], "aws_security_group": ["name"], "aws_s3_bucket": ["bucket"],
	"aws_db_instance": ["identifier"], "aws_rds_cluster": ["cluster_identifier"], "aws_lb": ["name"],
	"aws_alb": ["name"], "aws_lambda_function": ["function_name"], "aws_sqs_queue": ["name"], "aws_sns_topic": ["name"],
	"aws_dynamodb_table": ["name"], "aws_eks_cluster": ["name"], "aws_ecs_cluster": ["name"],
	"aws_ecr_repository": ["name"],
	"google_compute_instance": ["name"], "google_compute_network": ["name"], "google_compute_subnetwork": ["name"],
	"google_compute_firewall": ["name"], "google_compute_disk": ["name"], "google_storage_bucket": ["name"],
	"google_sql_database_instance": ["name"], "google_container_cluster": ["name"], "google_pubsub_topic": ["name"],
	"google_cloud_run_v2_service": ["name"], "google_redis_instance": ["name"],
	"azurerm_resource_group": ["name"], "azurerm_virtual_network": ["name"], "azurerm_subnet": ["name"],
	"azurerm_network_security_group": ["name"], "azurerm_linux_virtual_machine": ["name"],
	"azurerm_windows_virtual_machine": ["name"], "azurerm_virtual_machine": ["name"], "azurerm_key_vault": ["name"],
	"azurerm_kubernetes_cluster": ["name"], "azurerm_mssql_server": ["name"],
	"azurerm_postgresql_flexible_server": ["name"], "azurerm_public_ip": ["name"],
	"azurerm_network_interface": ["name"],
}

# name_path(rc): the attribute path of the resource's name under the naming convention.
name_path(rc) := ["name"] if {
	is_oppie(rc)
} else := p if {
	# object.get, not native_name_paths[rc.type]: see _subject_facts on computed keys.
	p := object.get(native_name_paths, rc.type, null)
	p != null
}

# name(rc): the resource's name when known (undefined when unknown, unset or not covered).
name(rc) := n if {
	f := object.get(_facts_by_address, rc.address, null)
	f.rc == rc
	n := f.name
} else := n if {
	not _has_facts(rc)
	n := known_string(rc, name_path(rc))
}

# naming_pattern: the regular expression names must match: config.naming_pattern, or by default
# {project}-{environment}[-{service}[-{resource}]] in lower-case letters and digits, where environment is one of
# config.environments and the resource part may itself contain dashes. It starts with project and environment so
# that what provider::oppie::name() makes ("shop-dev-api-net"), an environment's own name ("shop-dev") and a
# preview's ("shop-dev-pr-1234") all follow it.
naming_pattern := config.naming_pattern if {
	is_string(config.naming_pattern)
	config.naming_pattern != ""
} else := concat("", ["^[a-z0-9]+-(", concat("|", _strings(config.environments)), ")(-[a-z0-9]+)*$"])

# _strings(x): the strings among the items of x (a list or set from config), [] for anything else.
_strings(x) := [s | some s in collection(x); is_string(s)]

# follows_naming(s): the string s follows the naming convention.
follows_naming(s) if {
	is_string(s)
	regex.match(naming_pattern, s)
}

# name_parts(rc): {project, environment, service, resource} of a name that follows the naming pattern and has at
# least two dash-separated parts; service and resource are "" where the name stops before them.
name_parts(rc) := p if {
	f := object.get(_facts_by_address, rc.address, null)
	f.rc == rc
	p := f.name_parts
} else := p if {
	not _has_facts(rc)
	p := _name_parts(rc)
}

# _nth_or_empty(a, i): a[i], or "" past the end of a.
_nth_or_empty(a, i) := a[i] if {
	i < count(a)
} else := ""

_name_parts(rc) := {
	"project": parts[0],
	"environment": parts[1],
	"service": _nth_or_empty(parts, 2),
	"resource": concat("-", array.slice(parts, 3, count(parts))),
} if {
	n := name(rc)
	follows_naming(n)
	parts := split(n, "-")
	count(parts) >= 2
}

# ---------------------------------------------------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------------------------------------------------

# region_info(rc): where the resource lives, as {"name": lower-case region, "path": attribute it was read from}:
# the catalog key or native region of an oppie_* resource; `region`, or `availability_zone` without its zone letter,
# for AWS; `region`, `zone` without its suffix, or `location` for Google; `location` without spaces for Azure
# ("East US" -> "eastus"). Undefined when the value is unknown or unset.
region_info(rc) := i if {
	f := object.get(_facts_by_address, rc.address, null)
	f.rc == rc
	i := f.region
} else := i if {
	not _has_facts(rc)
	i := _region_info(rc)
}

_region_info(rc) := {"name": lower(r), "path": ["region"]} if {
	is_oppie(rc)
	r := known_string(rc, ["region"])
} else := info if {
	startswith(rc.type, "aws_")
	info := _aws_region(rc)
} else := info if {
	startswith(rc.type, "google_")
	info := _google_region(rc)
} else := {"name": replace(lower(l), " ", ""), "path": ["location"]} if {
	startswith(rc.type, "azurerm_")
	l := known_string(rc, ["location"])
}

# region(rc): the region name of region_info(rc).
region(rc) := region_info(rc).name

_aws_region(rc) := {"name": lower(r), "path": ["region"]} if {
	r := known_string(rc, ["region"])
} else := {"name": substring(az, 0, count(az) - 1), "path": ["availability_zone"]} if {
	az := lower(known_string(rc, ["availability_zone"]))
	regex.match(`^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$`, az)
}

_google_region(rc) := {"name": lower(r), "path": ["region"]} if {
	r := known_string(rc, ["region"])
} else := {"name": substring(z, 0, count(z) - 2), "path": ["zone"]} if {
	z := lower(known_string(rc, ["zone"]))
	regex.match(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`, z)
} else := {"name": lower(l), "path": ["location"]} if {
	l := known_string(rc, ["location"])
}

# allowed_region_names: every region name allowed by config: the catalog keys, their native names, extras.
allowed_region_names := (keys | natives) | extras if {
	c := config
	keys := {r | some r in collection(c.allowed_regions)}
	catalog := _object_or_empty(c.region_catalog)
	natives := {n | some key in keys; some n in collection(object.get(catalog, key, {}))}
	extras := {r | some r in collection(c.extra_allowed_regions)}
}

# Google multi-regions and dual-regions, by the prefix of the single regions they span.
_google_multi_regions := {
	"us": "us-", "eu": "europe-", "asia": "asia-", "nam4": "us-", "eur4": "europe-", "eur5": "europe-",
	"eur7": "europe-", "eur8": "europe-", "asia1": "asia-",
}

# region_allowed(r): the region name r (as returned by region) is allowed. "global" locations are always allowed;
# a Google multi-region is allowed when an allowed region lies inside it.
region_allowed(r) if {
	r in allowed_region_names
} else := true if {
	r == "global"
} else := true if {
	prefix := object.get(_google_multi_regions, r, null)
	is_string(prefix)
	some allowed in allowed_region_names
	startswith(allowed, prefix)
}

# provider_regions: the region each provider configuration in the plan's root module sets as a constant, as
# {"key": "aws.east", "region": "eu-west-1"}; AWS and Google only (azurerm has no provider region).
provider_regions contains {"key": key, "region": lower(r)} if {
	is_complete_plan
	some key, pc in collection(input.configuration.provider_config)
	is_object(pc)
	pc.name in {"aws", "google", "google-beta"}
	r := pc.expressions.region.constant_value
	is_string(r)
}

# ---------------------------------------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------------------------------------

size_classes := {"xs", "s", "m", "l", "xl"}

# size_class(size): the catalog size class (xs|s|m|l|xl) of a catalog key or a native size:
# AWS "t3.micro" (nano/micro xs, small s, medium/large m, xlarge l, bigger xl; "db."/"cache." prefix ignored);
# Google "e2-micro" xs, "*-small" s, "e2-medium" m, "n2-standard-4" by vCPUs (1 s, 2 m, 3-4 l, more xl), Cloud SQL
# "db-custom-2-7680"; Azure "Standard_D2s_v3" by vCPUs, "Standard_B1ls" xs. Undefined for anything else.
size_class(size) := size if size in size_classes

size_class(size) := c if {
	is_string(size)
	regex.match(`^([a-z]+\.)?[a-z][a-z0-9-]*\.[a-z0-9]+$`, size)
	parts := split(size, ".")
	c := _aws_size_class(parts[count(parts) - 1])
}

size_class(size) := c if {
	is_string(size)
	parts := split(size, "/")
	c := _gcp_size_class(trim_prefix(parts[count(parts) - 1], "db-"))
}

size_class(size) := c if {
	is_string(size)
	contains(size, "Standard_")
	parts := split(size, "Standard_")
	c := _azure_size_class(parts[count(parts) - 1])
}

_aws_size_class(s) := "xs" if s in {"nano", "micro"}

_aws_size_class("small") := "s"

_aws_size_class(s) := "m" if s in {"medium", "large"}

_aws_size_class("xlarge") := "l"

_aws_size_class(s) := "xl" if regex.match(`^([0-9]+xlarge|metal.*)$`, s)

_gcp_size_class(s) := "xs" if s in {"e2-micro", "f1-micro"}

_gcp_size_class(s) := "s" if s in {"e2-small", "g1-small"}

_gcp_size_class("e2-medium") := "m"

_gcp_size_class(s) := _vcpu_class(to_number(n)) if {
	regex.match(`^[a-z][a-z0-9]*-[a-z]+-[0-9]+$`, s)
	parts := split(s, "-")
	n := parts[count(parts) - 1]
}

_gcp_size_class(s) := _vcpu_class(to_number(parts[count(parts) - 2])) if {
	regex.match(`^([a-z0-9]+-)?custom-[0-9]+-[0-9]+(-ext)?$`, trim_suffix(s, "-ext"))
	parts := split(trim_suffix(s, "-ext"), "-")
}

_azure_size_class(s) := "xs" if startswith(s, "B1ls")

_azure_size_class(s) := _vcpu_class(to_number(digits)) if {
	not startswith(s, "B1ls")
	regex.match(`^[A-Za-z]+[0-9]+`, s)
	head := regex.find_n(`^[A-Za-z]+[0-9]+`, s, 1)[0]
	digits := regex.find_n(`[0-9]+`, head, 1)[0]
}

_vcpu_class(n) := "s" if n <= 1

_vcpu_class(2) := "m"

_vcpu_class(n) := "l" if {
	n > 2
	n <= 4
}

_vcpu_class(n) := "xl" if n > 4

# allowed_sizes(env): the size classes config.sizes_per_tier allows for an environment tier (undefined for an
# environment the table does not list).
allowed_sizes(env) := a if {
	a := object.get(_allowed_sizes_by_env, env, null)
	a != null
}

# _allowed_sizes_by_env: allowed_sizes of every tier config.sizes_per_tier lists, worked out once per query.
_allowed_sizes_by_env := {env: _strings(list) | some env, list in collection(config.sizes_per_tier)}

# ---------------------------------------------------------------------------------------------------------------------
# Network exposure
# ---------------------------------------------------------------------------------------------------------------------

# is_world_source(s): the source address (CIDR or Azure tag) means "anyone on the internet".
is_world_source(s) if {
	is_string(s)
	lower(s) in config.world_sources
}

# ingress_rules: every known rule letting traffic in, normalised across clouds as
# {"rc", "path" (attribute path of the sources), "protocol" ("tcp"|"udp"|"icmp"|"all"|other, lower case),
#  "port_ranges" ([[from, to], ...]; [[0, 65535]] for all ports), "sources" (list of strings)}.
# Covers, among the judged resources (see subjects):
# - oppie_firewall ingress blocks: protocol as written (lower case); `ports` "443", "8000-8080", or unset for all;
# - aws_security_group / aws_default_security_group ingress blocks and aws_security_group_rule (type ingress), one
#   entry per CIDR list (cidr_blocks, ipv6_cidr_blocks); aws_vpc_security_group_ingress_rule, one per known CIDR
#   (cidr_ipv4, cidr_ipv6). Protocol "-1"/"all" means every protocol and port; numbers 6/17/1/58 are
#   tcp/udp/icmp/icmpv6; other protocols need numeric from_port and to_port;
# - google_compute_firewall: direction INGRESS (the default), not disabled, one entry per `allow` block, with
#   source_ranges as sources; a firewall with no source_ranges, source_tags or source_service_accounts at all is
#   open to 0.0.0.0/0;
# - azurerm_network_security_group security_rule blocks and azurerm_network_security_rule: Inbound and Allow, one
#   entry per source attribute (source_address_prefix, source_address_prefixes); prefixes and port ranges come as
#   single strings or lists, and a rule with no known port range is left out.
# Port strings: "22", "1000-2000", "*" (all); an empty list means all ports; other strings are left out. Entries
# whose protocol or ports are unknown are left out.
# (oppie_policy_ingress_rules is a host function of oppie-policy: in Rego this cost ~10 µs per resource it looked
# at, reading a dozen attributes through known and is_unknown.)
ingress_rules := oppie_policy_ingress_rules(resources_by_type)

# covers_port(entry, port): the ingress entry lets TCP traffic reach port.
covers_port(entry, port) if {
	entry.protocol in {"tcp", "all"}
	some r in entry.port_ranges
	r[0] <= port
	port <= r[1]
}

# covers_all_ports(entry): the ingress entry allows every port (and, for protocol all, every protocol).
covers_all_ports(entry) if {
	entry.protocol in {"tcp", "udp", "all"}
	some r in entry.port_ranges
	r[0] <= 1
	r[1] >= 65535
}

# world_sources(entry): the entry's sources that mean "anyone on the internet".
world_sources(entry) := [s | some s in entry.sources; is_world_source(s)]

# open_to_world(entry): at least one source of the entry is the whole internet.
open_to_world(entry) if count(world_sources(entry)) > 0

# world_open_ingress: the ingress_rules entries open to the whole internet (open_to_world), each with its
# "world_sources" (world_sources(entry)) added. Exposure rules walk these instead of testing every entry: the
# sources are looked at once per query, not once per entry and rule. (oppie_policy_world_open_ingress is a host
# function of oppie-policy: the entries with a source whose lower case is in config.world_sources.)
world_open_ingress := oppie_policy_world_open_ingress(ingress_rules, config.world_sources)

# ---------------------------------------------------------------------------------------------------------------------
# IAM policy documents
# ---------------------------------------------------------------------------------------------------------------------

# policy_statements(doc): the statements of an IAM policy document given as a JSON string (as plans show
# `policy`), each as {"index": i, "statement": object}; empty for unknown or invalid JSON.
policy_statements(doc) := {entry |
	parsed := _parse_policy(doc)
	statements := _as_list(object.get(parsed, "Statement", []))
	some i
	s := statements[i]
	is_object(s)
	entry := {"index": i, "statement": s}
}

_parse_policy(doc) := json.unmarshal(doc) if {
	is_string(doc)
	json.is_valid(doc)
	is_object(json.unmarshal(doc))
}

_as_list(x) := x if is_array(x)

_as_list(x) := [x] if not is_array(x)

# statement_actions(s): the Action values of an allowing statement as a list of strings ([] for Deny).
statement_actions(s) := [a | some a in _as_list(object.get(s, "Action", [])); is_string(a)] if {
	object.get(s, "Effect", "") == "Allow"
} else := []

# statement_resources(s): the Resource values of a statement as a list of strings.
statement_resources(s) := [r | some r in _as_list(object.get(s, "Resource", [])); is_string(r)]
