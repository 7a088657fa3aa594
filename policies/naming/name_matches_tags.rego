# A name that says "prod" on a resource tagged "dev" misleads whoever reads either; the name's project and
# environment must agree with the tags.
package oppie.rules.naming.name_matches_tags

import data.oppie.lib

# METADATA
# title: Name disagrees with the project or environment tag
# description: >-
#   The project or environment part of a convention-following name differs from the resource's project or
#   environment tag (label). Fix whichever is wrong.
# scope: rule
# custom:
#   id: OPP-NAM-002
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
	parts := entry.name_parts
	some key in ["project", "environment"]
	tag := entry.tags[key]
	is_string(tag)
	tag != parts[key]
	rc := entry.rc
	msg := sprintf("%s is named %q but its %s tag is %q; make the name and the tag agree.", [lib.address(rc), entry.name, key, tag])
	result := lib.finding(rc, lib.name_path(rc), msg)
}
