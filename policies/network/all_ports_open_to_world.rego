# A rule that opens every port to the internet defeats the firewall altogether; it is almost always a debugging
# shortcut that reached production.
package oppie.rules.network.all_ports_open_to_world

import data.oppie.lib

# METADATA
# title: All ports open to the internet
# description: >-
#   An ingress rule allows every port (protocol all, or TCP/UDP 0-65535) from the whole internet. List the ports the
#   service needs and the networks that need them.
# scope: rule
# custom:
#   id: OPP-NET-004
#   severity: critical
#   enforcement: hard-mandatory
#   controls:
#     - CIS AWS 5.2
#     - CIS GCP 3.6
#     - CIS Azure 6.1
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
	lib.covers_all_ports(entry)
	msg := sprintf(
		"%s allows %s from %s; open only the ports the service needs.",
		[lib.address(entry.rc), _traffic(entry.protocol), concat(", ", entry.world_sources)],
	)
	result := lib.finding(entry.rc, entry.path, msg)
}

_traffic("all") := "all traffic (every protocol and port)"

_traffic(protocol) := concat("", ["every ", upper(protocol), " port"]) if protocol != "all"
