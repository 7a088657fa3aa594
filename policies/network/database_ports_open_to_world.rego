# Database and cache ports must never face the internet: SQL Server, Oracle, MySQL, PostgreSQL, Redshift, Redis,
# Cassandra, Elasticsearch, Memcached and MongoDB listeners are scanned for constantly.
package oppie.rules.network.database_ports_open_to_world

import data.oppie.lib

# METADATA
# title: Database ports open to the internet
# description: >-
#   An ingress rule allows a database or cache port (config.database_ports: 1433, 1521, 3306, 5432, 5439, 6379,
#   9042, 9200, 11211, 27017, ...) from the whole internet. Keep databases on private subnets and allow only the
#   application's security group or network.
# scope: rule
# custom:
#   id: OPP-NET-003
#   severity: critical
#   enforcement: hard-mandatory
#   controls:
#     - CIS AWS 5.2
#     - SOC2 CC6.6
#   resource_types:
#     - oppie_firewall
#     - aws_security_group
#     - aws_default_security_group
#     - aws_security_group_rule
#     - aws_vpc_security_group_ingress_rule
#     - google_compute_firewall
#     - azurerm_network_security_group
#     - azurerm_network_security_rule
deny contains result if {
	some entry in lib.world_open_ingress
	not lib.covers_all_ports(entry)
	# lib.covers_port(entry, p), written out: a function call per port and entry costs more than the test.
	entry.protocol in {"tcp", "all"}
	ports := sort([p | some p in _database_ports; count([r | some r in entry.port_ranges; r[0] <= p; p <= r[1]]) > 0])
	count(ports) > 0
	msg := sprintf(
		"%s allows database port(s) %s from %s; allow only the application's network or security group.",
		[lib.address(entry.rc), concat(", ", [format_int(p, 10) | some p in ports]), concat(", ", entry.world_sources)],
	)
	result := lib.finding(entry.rc, entry.path, msg)
}

# The configured database ports, read once per query.
_database_ports := [p | some p in lib.collection(lib.config.database_ports); is_number(p)]
