# Subnets that hand every new machine a public address make exposure the default; public subnets should hold only
# load balancers and NAT gateways.
package oppie.rules.network.subnet_public_ip_on_launch

import data.oppie.lib

# METADATA
# title: Subnet assigns public IPs automatically
# description: >-
#   A subnet is public (oppie_subnet public = true, aws_subnet map_public_ip_on_launch = true), so every instance
#   launched in it gets a public address. Keep instances in private subnets behind a NAT gateway.
# scope: rule
# custom:
#   id: OPP-NET-006
#   severity: low
#   enforcement: advisory
#   controls:
#     - SOC2 CC6.6
#   resource_types:
#     - oppie_subnet
#     - aws_subnet
#     - aws_default_subnet
warn contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["public"], msg) if {
	some rc in lib.resources("oppie_subnet")
	lib.known_true(rc, ["public"])
	msg := sprintf("%s is public, so its instances get public IPs; set public = false unless it only holds load balancers or NAT.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["map_public_ip_on_launch"], msg) if {
	some type in {"aws_subnet", "aws_default_subnet"}
	some rc in lib.resources(type)
	lib.known_true(rc, ["map_public_ip_on_launch"])
	msg := sprintf("%s assigns public IPs on launch; set map_public_ip_on_launch = false.", [lib.address(rc)])
}
