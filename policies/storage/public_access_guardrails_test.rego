package oppie.rules.storage.public_access_guardrails_test

import data.oppie.rules.storage.public_access_guardrails as rule
import data.oppie.testing as t

all_on := {"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}

test_public_access_block_all_on_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("aws_s3_bucket_public_access_block", all_on)])
}

test_public_access_block_setting_off_denied if {
	block := object.union(all_on, {"restrict_public_buckets": false, "ignore_public_acls": false})
	doc := t.plan([t.create("aws_s3_bucket_public_access_block", block)])
	t.paths(rule.deny) == {["restrict_public_buckets"], ["ignore_public_acls"]} with input as doc
}

test_account_block_off_denied if {
	block := object.union(all_on, {"block_public_policy": false})
	count(rule.deny) == 1 with input as t.plan([t.create("aws_s3_account_public_access_block", block)])
}

test_unknown_settings_pass if {
	doc := t.plan([t.create_unknown("aws_s3_bucket_public_access_block", {}, {"block_public_acls": true})])
	count(rule.deny) == 0 with input as doc
}

test_gcs_guardrails if {
	off := t.create("google_storage_bucket", {"public_access_prevention": "inherited", "uniform_bucket_level_access": false})
	t.paths(rule.deny) == {["public_access_prevention"], ["uniform_bucket_level_access"]} with input as t.plan([off])
	on := t.create("google_storage_bucket", {"public_access_prevention": "enforced", "uniform_bucket_level_access": true})
	count(rule.deny) == 0 with input as t.plan([on])
}
