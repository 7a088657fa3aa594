# Firewalls and security groups must not let the whole internet reach SSH: an exposed port 22 is the most common
# way machines get brute-forced.
package oppie.rules.network.ssh_open_to_world

import data.oppie.lib

# METADATA
# title: SSH open to the internet
# description: >-
#   An ingress rule allows TCP port 22 from 0.0.0.0/0, ::/0 or Azure's "*"/"Internet". Restrict the sources to
#   known networks, or reach machines through a bastion, VPN or session manager.
# scope: rule
# custom:
#   id: OPP-NET-001
#   severity: critical
#   enforcement: hard-mandatory
#   controls:
#     - CIS AWS 5.2
#     - CIS AWS 5.3
#     - CIS GCP 3.6
#     - CIS Azure 6.2
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
	lib.covers_port(entry, 22)
	msg := sprintf(
		"%s allows SSH (port 22) from %s; limit the sources to known networks or use a bastion or VPN.",
		[lib.address(entry.rc), concat(", ", entry.world_sources)],
	)
	result := lib.finding(entry.rc, entry.path, msg)
}
