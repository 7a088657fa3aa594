# Firewalls and security groups must not let the whole internet reach RDP: port 3389 exposed to the internet is a
# standing target for credential attacks on Windows machines.
package oppie.rules.network.rdp_open_to_world

import data.oppie.lib

# METADATA
# title: RDP open to the internet
# description: >-
#   An ingress rule allows TCP port 3389 from 0.0.0.0/0, ::/0 or Azure's "*"/"Internet". Restrict the sources to
#   known networks, or reach machines through a bastion or VPN.
# scope: rule
# custom:
#   id: OPP-NET-002
#   severity: critical
#   enforcement: hard-mandatory
#   controls:
#     - CIS AWS 5.2
#     - CIS AWS 5.3
#     - CIS GCP 3.7
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
	lib.covers_port(entry, 3389)
	msg := sprintf(
		"%s allows RDP (port 3389) from %s; limit the sources to known networks or use a bastion or VPN.",
		[lib.address(entry.rc), concat(", ", entry.world_sources)],
	)
	result := lib.finding(entry.rc, entry.path, msg)
}
