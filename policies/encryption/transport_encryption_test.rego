package oppie.rules.encryption.transport_encryption_test

import data.oppie.rules.encryption.transport_encryption as rule
import data.oppie.testing as t

test_azure_http_and_old_tls_denied if {
	account := t.create("azurerm_storage_account", {"https_traffic_only_enabled": false, "min_tls_version": "TLS1_0"})
	t.paths(rule.deny) == {["https_traffic_only_enabled"], ["min_tls_version"]} with input as t.plan([account])
}

test_azure_https_tls12_passes if {
	account := t.create("azurerm_storage_account", {"https_traffic_only_enabled": true, "min_tls_version": "TLS1_2"})
	count(rule.deny) == 0 with input as t.plan([account])
}

test_azure_v3_attribute_name if {
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_storage_account", {"enable_https_traffic_only": false})])
}

test_cloud_sql_ssl if {
	plain := t.create("google_sql_database_instance", {"settings": [{"ip_configuration": [{"ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}]}]})
	t.paths(rule.deny) == {["settings", 0, "ip_configuration", 0, "ssl_mode"]} with input as t.plan([plain])
	old := t.create("google_sql_database_instance", {"settings": [{"ip_configuration": [{"require_ssl": false}]}]})
	count(rule.deny) == 1 with input as t.plan([old])
	ok := t.create("google_sql_database_instance", {"settings": [{"ip_configuration": [{"ssl_mode": "ENCRYPTED_ONLY"}]}]})
	count(rule.deny) == 0 with input as t.plan([ok])
	unknown := t.create_unknown("google_sql_database_instance", {}, {"settings": true})
	count(rule.deny) == 0 with input as t.plan([unknown])
}

test_cache_without_tls_denied if {
	t.paths(rule.deny) == {["transit_encryption"]} with input as t.plan([t.create("oppie_cache", {"transit_encryption": false})])
	doc := t.plan([t.create("aws_elasticache_replication_group", {"transit_encryption_enabled": false})])
	t.paths(rule.deny) == {["transit_encryption_enabled"]} with input as doc
}

test_cache_with_tls_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_cache", {"transit_encryption": true})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_elasticache_replication_group", {"transit_encryption_enabled": true})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("oppie_cache", {}, {"transit_encryption": true})])
}
