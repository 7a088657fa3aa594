package oppie.rules.encryption.database_encryption_test

import data.oppie.rules.encryption.database_encryption as rule
import data.oppie.testing as t

test_oppie_database_unencrypted_denied if {
	t.paths(rule.deny) == {["encrypted"]} with input as t.plan([t.create("oppie_database", {"encrypted": false})])
}

test_oppie_database_encrypted_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_database", {"encrypted": true})])
}

test_rds_instance if {
	t.paths(rule.deny) == {["storage_encrypted"]} with input as t.plan([t.create("aws_db_instance", {"storage_encrypted": false})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_db_instance", {"storage_encrypted": true})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_db_instance", {}, {"storage_encrypted": true})])
}

test_elasticsearch_domain if {
	off := t.create("aws_elasticsearch_domain", {"encrypt_at_rest": [{"enabled": false, "kms_key_id": ""}]})
	t.paths(rule.deny) == {["encrypt_at_rest", 0, "enabled"]} with input as t.plan([off])
	on := t.create("aws_elasticsearch_domain", {"encrypt_at_rest": [{"enabled": true}]})
	count(rule.deny) == 0 with input as t.plan([on])
}

test_state_database_checked if {
	count(rule.deny) == 1 with input as t.state([t.state_resource("aws_rds_cluster", {"storage_encrypted": false})])
}

test_oppie_cache_unencrypted_denied if {
	t.paths(rule.deny) == {["encrypted"]} with input as t.plan([t.create("oppie_cache", {"encrypted": false})])
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_cache", {"encrypted": true})])
}
