# Access logs are the only record of who read or changed objects in a bucket; without them a leak cannot be
# scoped.
package oppie.rules.logging.bucket_access_logging

import data.oppie.lib

# METADATA
# title: Bucket access logging off
# description: >-
#   A bucket writes no access logs: oppie_bucket without logging_bucket (except on Azure, where the provider
#   refuses it), a google_storage_bucket without a logging
#   block, or (in a complete plan) an aws_s3_bucket with no inline logging and no aws_s3_bucket_logging resource
#   that could point at it. Send access logs to a dedicated log bucket.
# scope: rule
# custom:
#   id: OPP-LOG-001
#   severity: medium
#   enforcement: advisory
#   controls:
#     - CIS AWS 3.6
#     - SOC2 CC7.2
#   resource_types:
#     - oppie_bucket
#     - aws_s3_bucket
#     - google_storage_bucket
warn contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["logging_bucket"], msg) if {
	some rc in lib.resources("oppie_bucket")
	# The provider refuses logging_bucket on Azure (storage logs go through diagnostic settings there): no advice
	# the plan would then reject.
	not lib.cloud(rc) == "azure"
	lib.known_empty(rc, ["logging_bucket"])
	msg := sprintf("%s writes no access logs; set logging_bucket to a dedicated log bucket.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["logging"], msg) if {
	some rc in lib.resources("google_storage_bucket")
	lib.known_empty(rc, ["logging"])
	msg := sprintf("%s writes no access logs; add logging { log_bucket = ... }.", [lib.address(rc)])
}

# AWS provider v4+ computes the inline `logging` block and moves logging to aws_s3_bucket_logging, so an S3
# bucket counts as logged when any logging resource in the plan could target it (its bucket is this bucket's name
# or not known yet). Only complete plans can tell.
_findings contains lib.finding(rc, ["logging"], msg) if {
	lib.is_complete_plan
	some rc in lib.resources("aws_s3_bucket")
	not _inline_logging(rc)
	not lib.is_unknown(rc, ["logging"])
	not _logging_resource_for(rc)
	msg := sprintf("%s writes no access logs; add an aws_s3_bucket_logging that targets a log bucket.", [lib.address(rc)])
}

_inline_logging(rc) if {
	some b in lib.blocks(rc, "logging")
	is_string(object.get(b.block, "target_bucket", null))
}

_logging_resource_for(bucket) if {
	some rc in lib.all_resources_of("aws_s3_bucket_logging")
	lib.is_unknown(rc, ["bucket"])
}

_logging_resource_for(bucket) if {
	some rc in lib.all_resources_of("aws_s3_bucket_logging")
	lib.known(rc, ["bucket"]) in {lib.known(bucket, ["bucket"]), lib.known(bucket, ["id"])}
}
