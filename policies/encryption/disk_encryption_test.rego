package oppie.rules.encryption.disk_encryption_test

import data.oppie.rules.encryption.disk_encryption as rule
import data.oppie.testing as t

test_oppie_instance_unencrypted_denied if {
	t.paths(rule.deny) == {["disk_encrypted"]} with input as t.plan([t.create("oppie_instance", {"disk_encrypted": false})])
}

test_oppie_instance_encrypted_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_instance", {"disk_encrypted": true})])
}

test_aws_instance_root_device_unencrypted_denied if {
	doc := t.plan([t.create("aws_instance", {"root_block_device": [{"encrypted": false}], "ebs_block_device": []})])
	t.paths(rule.deny) == {["root_block_device", 0, "encrypted"]} with input as doc
}

test_aws_instance_root_device_unknown_encryption_passes if {
	doc := t.plan([t.create_unknown("aws_instance", {"root_block_device": [{"volume_size": 20}]}, {"root_block_device": [{"encrypted": true}]})])
	count(rule.deny) == 0 with input as doc
	computed := t.plan([t.create_unknown("aws_instance", {}, {"root_block_device": true})])
	count(rule.deny) == 0 with input as computed
}

test_ebs_volume if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_ebs_volume", {"encrypted": false})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_ebs_volume", {"encrypted": true})])
}

test_launch_template_string_false_denied if {
	doc := t.plan([t.create("aws_launch_template", {"block_device_mappings": [{"ebs": [{"encrypted": "false"}]}]})])
	t.paths(rule.deny) == {["block_device_mappings", 0, "ebs", 0, "encrypted"]} with input as doc
	ok := t.plan([t.create("aws_launch_template", {"block_device_mappings": [{"ebs": [{"encrypted": "true"}]}]})])
	count(rule.deny) == 0 with input as ok
}

test_account_default_encryption_off_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_ebs_encryption_by_default", {"enabled": false})])
}
