# Instances should be reached through load balancers, bastions or private links rather than through a public
# address of their own, which puts every open port of the machine on the internet.
package oppie.rules.network.instance_public_ip

import data.oppie.lib

# METADATA
# title: Instance with a public IP address
# description: >-
#   A virtual machine gets a public IP address. Put it behind a load balancer or NAT gateway and reach it through a
#   bastion, VPN or session manager instead.
# scope: rule
# custom:
#   id: OPP-NET-005
#   severity: medium
#   enforcement: advisory
#   controls:
#     - CIS GCP 4.9
#     - SOC2 CC6.6
#   resource_types:
#     - oppie_instance
#     - aws_instance
#     - aws_launch_template
#     - google_compute_instance
#     - google_compute_instance_template
#     - azurerm_network_interface
warn contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["public_ip"], msg) if {
	some rc in lib.resources("oppie_instance")
	lib.known_true(rc, ["public_ip"])
	msg := sprintf("%s gets a public IP; set public_ip = false and reach it through a load balancer or bastion.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["associate_public_ip_address"], msg) if {
	some rc in lib.resources("aws_instance")
	lib.known_true(rc, ["associate_public_ip_address"])
	msg := sprintf("%s gets a public IP; set associate_public_ip_address = false and use a load balancer or bastion.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["network_interfaces", b.index, "associate_public_ip_address"], msg) if {
	some rc in lib.resources("aws_launch_template")
	some b in lib.blocks(rc, "network_interfaces")
	object.get(b.block, "associate_public_ip_address", null) in {true, "true"}
	msg := sprintf("%s launches instances with a public IP; set associate_public_ip_address = false.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["network_interface", b.index, "access_config"], msg) if {
	some type in {"google_compute_instance", "google_compute_instance_template"}
	some rc in lib.resources(type)
	some b in lib.blocks(rc, "network_interface")
	not lib.is_unknown(rc, ["network_interface", b.index, "access_config"])
	configs := object.get(b.block, "access_config", [])
	is_array(configs)
	count(configs) > 0
	msg := sprintf("%s has an access_config (external IP) on network_interface %d; remove it and use Cloud NAT or IAP.", [lib.address(rc), b.index])
}

_findings contains lib.finding(rc, ["ip_configuration", b.index, "public_ip_address_id"], msg) if {
	some rc in lib.resources("azurerm_network_interface")
	some b in lib.blocks(rc, "ip_configuration")
	not lib.is_unknown(rc, ["ip_configuration", b.index, "public_ip_address_id"])
	id := object.get(b.block, "public_ip_address_id", null)
	is_string(id)
	id != ""
	msg := sprintf("%s attaches a public IP to ip_configuration %d; use a load balancer or Azure Bastion instead.", [lib.address(rc), b.index])
}
