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
	# Taggability depends on the type alone: skip whole types at once instead of testing every resource. The
	# library worked out each resource's tags (and whether a tag map is unknown) once for every rule.
	some type, facts in lib.subject_facts_by_type
	lib.is_taggable({"type": type})
	some gap in lib.missing_tags(facts, _mandatory)
	rc := gap.entry.rc
	attr := lib.tag_attribute(rc)
	msg := sprintf("%s is missing the %s %s; add them to %s (or the provider's default %s).", [
		lib.address(rc), _noun(attr, count(gap.missing)), concat(", ", gap.missing), attr, attr,
	])
	result := lib.finding(rc, lib.tags_path(rc), msg)
}

_mandatory := lib.config_strings("mandatory_tags")

_noun("labels", 1) := "label"

_noun("labels", n) := "labels" if n > 1

_noun("tags", 1) := "tag"

_noun("tags", n) := "tags" if n > 1
