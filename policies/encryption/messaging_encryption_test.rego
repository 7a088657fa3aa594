package oppie.rules.encryption.messaging_encryption_test

import data.oppie.rules.encryption.messaging_encryption as rule
import data.oppie.testing as t

test_sqs_unencrypted_warned if {
	doc := t.plan([t.create("aws_sqs_queue", {"sqs_managed_sse_enabled": false, "kms_master_key_id": null})])
	t.paths(rule.warn) == {["sqs_managed_sse_enabled"]} with input as doc
}

test_sqs_with_sse_or_kms_passes if {
	count(rule.warn) == 0 with input as t.plan([t.create("aws_sqs_queue", {"sqs_managed_sse_enabled": true, "kms_master_key_id": null})])
	count(rule.warn) == 0 with input as t.plan([t.create("aws_sqs_queue", {"sqs_managed_sse_enabled": false, "kms_master_key_id": "alias/q"})])
	count(rule.warn) == 0 with input as t.plan([t.create_unknown("aws_sqs_queue", {"kms_master_key_id": null}, {"sqs_managed_sse_enabled": true})])
}

test_sns_topic if {
	count(rule.warn) == 1 with input as t.plan([t.create("aws_sns_topic", {"kms_master_key_id": null})])
	count(rule.warn) == 0 with input as t.plan([t.create("aws_sns_topic", {"kms_master_key_id": "alias/aws/sns"})])
}
