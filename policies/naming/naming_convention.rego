# Names that follow one pattern tell at a glance which project, environment and service a resource belongs to,
# in every console, bill and log line.
package oppie.rules.naming.naming_convention

import data.oppie.lib

# METADATA
# title: Name does not follow the naming convention
# description: >-
#   The resource name does not match {project}-{environment}[-{service}[-{resource}]]: lower case letters and
#   digits, two or more dash-separated parts, the second one an environment from config.environments (e.g.
#   "shop-dev-api-net", or "shop-dev" and "shop-dev-pr-1234" for environments). Resources named after a misnamed
#   oppie_environment are reported once, on the environment. Teams can replace the pattern with config.naming_pattern. The name is `name` for oppie_*
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
	not _named_after_misnamed_environment(entry)
	rc := entry.rc
	msg := sprintf(
		"%s is named %q; name it {project}-{environment}[-{service}[-{resource}]] in lower case, e.g. \"shop-dev-api-net\"%s.",
		[lib.address(rc), entry.name, _followers_note(entry)],
	)
	result := lib.finding(rc, lib.name_path(rc), msg)
}

# A preview environment's resources usually take their names from it ("${oppie_environment.preview.name}-api"):
# when the environment is misnamed, they all are. The environment gets the one finding, and says how many
# resources follow it, instead of one finding per resource.
_misnamed_environments contains entry.name if {
	some entry in lib.named_subjects
	entry.rc.type == "oppie_environment"
	not entry.follows_naming
}

_named_after_misnamed_environment(entry) if {
	entry.rc.type != "oppie_environment"
	some environment in _misnamed_environments
	startswith(entry.name, concat("", [environment, "-"]))
}

_followers_note(entry) := sprintf(" (%d more resources take their names from it and are fixed with it)", [n]) if {
	entry.rc.type == "oppie_environment"
	prefix := concat("", [entry.name, "-"])
	n := count([other | some other in lib.named_subjects; other.rc.type != "oppie_environment"; startswith(other.name, prefix)])
	n > 0
} else := ""
