# Data residency, latency and the support contract limit where resources may run; anything outside the approved
# regions is a compliance finding and usually a typo.
package oppie.rules.regions.allowed_regions

import data.oppie.lib

# METADATA
# title: Region not allowed
# description: >-
#   A resource (or an AWS/Google provider configuration) is placed in a region outside config.allowed_regions.
#   The list holds catalog keys (us-east, us-west, eu-west, eu-central, ap-southeast); each key also allows its
#   native names (us-east-1, us-east1, eastus, ...), and config.extra_allowed_regions adds native names. The region
#   comes from `region`, the availability zone or zone, or `location`.
# scope: rule
# custom:
#   id: OPP-REG-001
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 C1.1
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_*
#     - aws_* (region, availability_zone) and the aws provider configuration
#     - google_* (region, zone, location) and the google provider configuration
#     - azurerm_* (location)
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, info.path, msg) if {
	some entry in lib.subject_facts
	info := entry.region
	not lib.region_allowed(info.name)
	rc := entry.rc
	msg := sprintf("%s is placed in %q, which is not an allowed region; use one of %s.", [
		lib.address(rc), info.name, concat(", ", sort(lib.config_strings("allowed_regions"))),
	])
}

_findings contains {"msg": msg, "resource": address, "path": ["region"]} if {
	some p in lib.provider_regions
	not lib.region_allowed(p.region)
	address := concat(".", ["provider", p.key])
	msg := sprintf("The %s provider configuration uses region %q, which is not allowed; use one of %s.", [
		p.key, p.region, concat(", ", sort(lib.config_strings("allowed_regions"))),
	])
}
