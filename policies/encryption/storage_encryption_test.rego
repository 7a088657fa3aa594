package oppie.rules.encryption.storage_encryption_test

import data.oppie.rules.encryption.storage_encryption as rule
import data.oppie.testing as t

test_oppie_bucket_unencrypted_denied if {
	t.paths(rule.deny) == {["encrypted"]} with input as t.plan([t.create("oppie_bucket", {"encrypted": false})])
}

test_oppie_bucket_encrypted_or_unknown_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_bucket", {"encrypted": true})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("oppie_bucket", {}, {"encrypted": true})])
}

test_efs if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_efs_file_system", {"encrypted": false})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_efs_file_system", {"encrypted": true})])
}

test_update_is_checked_and_delete_is_not if {
	count(rule.deny) == 1 with input as t.plan([t.update("oppie_bucket", {"encrypted": false})])
	count(rule.deny) == 0 with input as t.plan([t.delete("oppie_bucket", {"encrypted": false})])
}
