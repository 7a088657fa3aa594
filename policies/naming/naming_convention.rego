# Names that follow one pattern tell at a glance which project, environment and service a resource belongs to,
# in every console, bill and log line.
package oppie.rules.naming.naming_convention

import data.oppie.lib

# METADATA
# title: Name does not follow the naming convention
# description: >-
#   The resource name does not match {project}-{environment}-{service}-{resource}: lower case letters and digits,
#   four or more dash-separated parts, the second one an environment from config.environments (e.g.
#   "shop-dev-api-net"). Teams can replace the pattern with config.naming_pattern. The name is `name` for oppie_*
#   resources and the type's name attribute (or the Name tag) for native ones (data.oppie.lib.native_name_paths).
# scope: rule
# custom:
#   id: OPP-NAM-001
#   severity: low
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 CC2.1
#   resource_types:
#     - oppie_*
#     - aws_*       # the named ones: data.oppie.lib.native_name_paths
#     - google_*
#     - azurerm_*
deny contains result if {
	some entry in lib.named_subjects
	not entry.follows_naming
	rc := entry.rc
	msg := sprintf(
		"%s is named %q; name it {project}-{environment}-{service}-{resource} in lower case, e.g. \"shop-dev-api-net\".",
		[lib.address(rc), entry.name],
	)
	result := lib.finding(rc, lib.name_path(rc), msg)
}
