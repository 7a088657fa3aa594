# Every resource must say which project and environment it belongs to, who owns it and which cost center pays
# for it; without these tags cost reports, incident routing and clean-up do not work.
package oppie.rules.tagging.mandatory_tags

import data.oppie.lib

# METADATA
# title: Mandatory tags missing
# description: >-
#   A taggable resource lacks one of the mandatory tags (config.mandatory_tags, default project, environment,
#   owner, cost-center) or has it empty. Tags set through the provider's default_tags (tags_all) count; on Google
#   resources the tags are labels (labels / terraform_labels). Keys must match exactly (lower case, cost-center
#   with a dash).
# scope: rule
# custom:
#   id: OPP-TAG-001
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 CC2.1
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_*
#     - aws_*       # the taggable ones: data.oppie.lib.taggable_types
#     - google_*
#     - azurerm_*
deny contains result if {
	# Taggability depends on the type alone: skip whole types at once instead of testing every resource.
	some type, typed in lib.resources_by_type
	lib.is_taggable({"type": type})
	paths := lib.tag_paths(type)
	some rc in typed
	not lib.tags_unknown_at(rc, paths)
	tags := lib.tags_at(rc, paths)
	missing := [key | some key in _mandatory; _missing(tags, key)]
	count(missing) > 0
	attr := lib.tag_attribute(rc)
	msg := sprintf("%s is missing the %s %s; add them to %s (or the provider's default %s).", [
		lib.address(rc), _noun(attr, count(missing)), concat(", ", missing), attr, attr,
	])
	result := lib.finding(rc, lib.tags_path(rc), msg)
}

# The configured keys, read once per query instead of once per resource.
_mandatory := lib.config_strings("mandatory_tags")

_missing(tags, key) if {
	not tags[key]
} else := true if {
	is_string(tags[key])
	trim_space(tags[key]) == ""
}

_noun("labels", 1) := "label"

_noun("labels", n) := "labels" if n > 1

_noun("tags", 1) := "tag"

_noun("tags", n) := "tags" if n > 1
