# Databases must not be reachable from the internet: a public endpoint plus a leaked or weak password is a full
# data breach.
package oppie.rules.network.database_publicly_accessible

import data.oppie.lib

# METADATA
# title: Publicly accessible database
# description: >-
#   A managed database is reachable from the internet: publicly_accessible / public is true, a Cloud SQL authorized
#   network is 0.0.0.0/0, or an Azure database firewall rule spans every address. Keep databases private and let
#   applications reach them over private networking.
# scope: rule
# custom:
#   id: OPP-NET-007
#   severity: critical
#   enforcement: hard-mandatory
#   controls:
#     - CIS AWS 2.3.3
#     - CIS GCP 6.5
#     - CIS Azure 4.1.2
#     - SOC2 CC6.6
#   resource_types:
#     - oppie_database
#     - aws_db_instance
#     - aws_rds_cluster_instance
#     - aws_redshift_cluster
#     - aws_dms_replication_instance
#     - google_sql_database_instance
#     - azurerm_mssql_firewall_rule
#     - azurerm_sql_firewall_rule
#     - azurerm_postgresql_firewall_rule
#     - azurerm_postgresql_flexible_server_firewall_rule
#     - azurerm_mysql_flexible_server_firewall_rule
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["public"], msg) if {
	some rc in lib.resources("oppie_database")
	lib.known_true(rc, ["public"])
	msg := sprintf("%s is reachable from the internet; set public = false.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["publicly_accessible"], msg) if {
	some type in {"aws_db_instance", "aws_rds_cluster_instance", "aws_redshift_cluster", "aws_dms_replication_instance"}
	some rc in lib.resources(type)
	lib.known_true(rc, ["publicly_accessible"])
	msg := sprintf("%s is publicly accessible; set publicly_accessible = false.", [lib.address(rc)])
}

_findings contains lib.finding(rc, path, msg) if {
	some rc in lib.resources("google_sql_database_instance")
	some s in lib.blocks(rc, "settings")
	some ipc_index, ipc in lib.collection(object.get(s.block, "ip_configuration", []))
	is_object(ipc)
	some net_index, net in lib.collection(object.get(ipc, "authorized_networks", []))
	is_object(net)
	lib.is_world_source(object.get(net, "value", null))
	path := ["settings", s.index, "ip_configuration", ipc_index, "authorized_networks", net_index, "value"]
	msg := sprintf("%s authorizes %s; remove it and connect through private IP or the Cloud SQL Auth Proxy.", [lib.address(rc), net.value])
}

_azure_firewall_rule_types := {
	"azurerm_mssql_firewall_rule", "azurerm_sql_firewall_rule", "azurerm_postgresql_firewall_rule",
	"azurerm_postgresql_flexible_server_firewall_rule", "azurerm_mysql_flexible_server_firewall_rule",
	"azurerm_mysql_firewall_rule", "azurerm_mariadb_firewall_rule",
}

_findings contains lib.finding(rc, ["end_ip_address"], msg) if {
	some type in _azure_firewall_rule_types
	some rc in lib.resources(type)
	lib.known_string(rc, ["start_ip_address"]) == "0.0.0.0"
	lib.known_string(rc, ["end_ip_address"]) == "255.255.255.255"
	msg := sprintf("%s opens the database to every address; allow only the application's addresses.", [lib.address(rc)])
}
