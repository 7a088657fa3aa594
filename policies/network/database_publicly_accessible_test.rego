package oppie.rules.network.database_publicly_accessible_test

import data.oppie.rules.network.database_publicly_accessible as rule
import data.oppie.testing as t

test_oppie_database_public_denied if {
	t.paths(rule.deny) == {["public"]} with input as t.plan([t.create("oppie_database", {"public": true})])
}

test_oppie_database_private_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_database", {"public": false})])
}

test_aws_db_instance_public_denied_unknown_passes if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_db_instance", {"publicly_accessible": true})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_db_instance", {}, {"publicly_accessible": true})])
}

test_cloud_sql_world_network_denied if {
	doc := t.plan([t.create("google_sql_database_instance", {"settings": [{"ip_configuration": [{
		"ipv4_enabled": true,
		"authorized_networks": [{"name": "office", "value": "203.0.113.0/24"}, {"name": "all", "value": "0.0.0.0/0"}],
	}]}]})])
	t.paths(rule.deny) == {["settings", 0, "ip_configuration", 0, "authorized_networks", 1, "value"]} with input as doc
}

test_cloud_sql_office_network_passes if {
	doc := t.plan([t.create("google_sql_database_instance", {"settings": [{"ip_configuration": [{
		"authorized_networks": [{"name": "office", "value": "203.0.113.0/24"}],
	}]}]})])
	count(rule.deny) == 0 with input as doc
}

test_azure_firewall_rule_full_range_denied if {
	wide := t.create("azurerm_mssql_firewall_rule", {"start_ip_address": "0.0.0.0", "end_ip_address": "255.255.255.255"})
	count(rule.deny) == 1 with input as t.plan([wide])
	azure_services := t.create("azurerm_mssql_firewall_rule", {"start_ip_address": "0.0.0.0", "end_ip_address": "0.0.0.0"})
	count(rule.deny) == 0 with input as t.plan([azure_services])
}
