package oppie.rules.logging.cloudtrail_test

import data.oppie.rules.logging.cloudtrail as rule
import data.oppie.testing as t

good := {"is_multi_region_trail": true, "enable_log_file_validation": true, "kms_key_id": "arn:aws:kms:k"}

test_complete_trail_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("aws_cloudtrail", good)])
}

test_incomplete_trail_denied if {
	bad := {"is_multi_region_trail": false, "enable_log_file_validation": false, "kms_key_id": null}
	t.paths(rule.deny) == {["is_multi_region_trail"], ["enable_log_file_validation"], ["kms_key_id"]} with input as t.plan([t.create("aws_cloudtrail", bad)])
}

test_unknown_key_passes if {
	trail := t.create_unknown("aws_cloudtrail", object.remove(good, ["kms_key_id"]), {"kms_key_id": true})
	count(rule.deny) == 0 with input as t.plan([trail])
}
