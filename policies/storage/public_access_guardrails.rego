# Account- and bucket-level guard rails stop a later ACL or policy mistake from making data public, so they must be
# switched on rather than explicitly turned off.
package oppie.rules.storage.public_access_guardrails

import data.oppie.lib

# METADATA
# title: Bucket public-access guard rails turned off
# description: >-
#   An S3 public access block (bucket or account) leaves one of its four settings off, a GCS bucket sets
#   public_access_prevention to "inherited", or turns uniform bucket-level access off. Turn the guard rails on.
# scope: rule
# custom:
#   id: OPP-STO-002
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 2.1.4
#     - CIS GCP 5.2
#     - SOC2 CC6.1
#   resource_types:
#     - aws_s3_bucket_public_access_block
#     - aws_s3_account_public_access_block
#     - google_storage_bucket
deny contains result if {
	some f in _findings
	result := f
}

_block_settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

_findings contains lib.finding(rc, [setting], msg) if {
	some type in {"aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"}
	some rc in lib.resources(type)
	some setting in _block_settings
	lib.known_false(rc, [setting])
	msg := sprintf("%s turns %s off; set all four public access block settings to true.", [lib.address(rc), setting])
}

_findings contains lib.finding(rc, ["public_access_prevention"], msg) if {
	some rc in lib.resources("google_storage_bucket")
	lib.known_string(rc, ["public_access_prevention"]) == "inherited"
	msg := sprintf("%s does not enforce public access prevention; set public_access_prevention = \"enforced\".", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["uniform_bucket_level_access"], msg) if {
	some rc in lib.resources("google_storage_bucket")
	lib.known_false(rc, ["uniform_bucket_level_access"])
	msg := sprintf("%s uses per-object ACLs; set uniform_bucket_level_access = true.", [lib.address(rc)])
}
