# Tier-dependent rules (sizes, backups, deletion protection) and cost reports read the environment tag, so it must
# hold one of the agreed values.
package oppie.rules.tagging.environment_tag_value

import data.oppie.lib

# METADATA
# title: Unknown environment tag value
# description: >-
#   The environment tag (label) holds a value outside config.environments (default dev, staging, prod). Use one of
#   the agreed values, exactly as written.
# scope: rule
# custom:
#   id: OPP-TAG-002
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 CC2.1
#   resource_types:
#     - oppie_*
#     - aws_*       # the taggable ones: data.oppie.lib.taggable_types
#     - google_*
#     - azurerm_*
deny contains result if {
	# Taggability depends on the type alone: skip whole types at once instead of testing every resource.
	some type, facts in lib.subject_facts_by_type
	lib.is_taggable({"type": type})
	some f in facts
	value := f.tags.environment
	is_string(value)
	rc := f.rc
	not value in _environments
	msg := sprintf("%s has environment = %q; use one of %s.", [lib.address(rc), value, concat(", ", _environments)])
	result := lib.finding(rc, lib.tag_path(rc, "environment"), msg)
}

# The configured environments, read once per query instead of once per resource.
_environments := lib.config_strings("environments")
