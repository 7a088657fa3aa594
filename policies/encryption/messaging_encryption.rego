# Queues and topics carry events that often contain personal data; they should be encrypted at rest like any other
# store.
package oppie.rules.encryption.messaging_encryption

import data.oppie.lib

# METADATA
# title: Unencrypted queues and topics
# description: >-
#   An SQS queue has both SSE-SQS and KMS encryption switched off, or an SNS topic has no KMS key. Enable
#   sqs_managed_sse_enabled or set kms_master_key_id.
# scope: rule
# custom:
#   id: OPP-ENC-005
#   severity: medium
#   enforcement: advisory
#   controls:
#     - SOC2 CC6.1
#   resource_types:
#     - aws_sqs_queue
#     - aws_sns_topic
warn contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["sqs_managed_sse_enabled"], msg) if {
	some rc in lib.resources("aws_sqs_queue")
	lib.known_false(rc, ["sqs_managed_sse_enabled"])
	lib.known_empty(rc, ["kms_master_key_id"])
	msg := sprintf("%s is not encrypted; set sqs_managed_sse_enabled = true or kms_master_key_id.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["kms_master_key_id"], msg) if {
	some rc in lib.resources("aws_sns_topic")
	lib.known_empty(rc, ["kms_master_key_id"])
	msg := sprintf("%s is not encrypted at rest; set kms_master_key_id (e.g. alias/aws/sns).", [lib.address(rc)])
}
