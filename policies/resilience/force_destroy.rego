# force_destroy lets Terraform empty and delete a bucket full of data in one apply; in production a bucket must
# have to be emptied on purpose first.
package oppie.rules.resilience.force_destroy

import data.oppie.lib

# METADATA
# title: Production bucket can be force-destroyed
# description: >-
#   A bucket in a protected environment (default prod) sets force_destroy = true, so destroying or replacing it
#   deletes every object in it. Set force_destroy = false.
# scope: rule
# custom:
#   id: OPP-RES-003
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 A1.2
#   resource_types:
#     - oppie_bucket
#     - aws_s3_bucket
#     - google_storage_bucket
deny contains result if {
	some type in {"oppie_bucket", "aws_s3_bucket", "google_storage_bucket"}
	# The library's facts (environment included) for the type's resources, worked out once for every rule.
	some f in object.get(lib.subject_facts_by_type, type, [])
	f.environment in lib.config.protected_environments
	rc := f.rc
	lib.known_true(rc, ["force_destroy"])
	msg := sprintf("%s is in %s and can be destroyed with all its objects; set force_destroy = false.", [lib.address(rc), f.environment])
	result := lib.finding(rc, ["force_destroy"], msg)
}
