# Flow logs are the network's audit trail: without them there is no way to tell what talked to a compromised
# machine.
package oppie.rules.logging.network_flow_logs

import data.oppie.lib

# METADATA
# title: Network flow logs off
# description: >-
#   A network records no flow logs: oppie_network flow_logs = false, a google_compute_subnetwork without
#   log_config, or (in a complete plan) an aws_vpc that no aws_flow_log in the plan could cover (one whose vpc_id
#   is this VPC's id or not known yet).
# scope: rule
# custom:
#   id: OPP-LOG-002
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 3.9
#     - CIS GCP 3.8
#     - SOC2 CC7.2
#   resource_types:
#     - oppie_network
#     - aws_vpc
#     - google_compute_subnetwork
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["flow_logs"], msg) if {
	some rc in lib.resources("oppie_network")
	lib.known_false(rc, ["flow_logs"])
	msg := sprintf("%s records no flow logs; set flow_logs = true.", [lib.address(rc)])
}

# Proxy-only and other special-purpose subnets cannot have flow logs.
_findings contains lib.finding(rc, ["log_config"], msg) if {
	some rc in lib.resources("google_compute_subnetwork")
	lib.known_empty(rc, ["log_config"])
	lib.value_or(rc, ["purpose"], null) in {null, "PRIVATE", "PRIVATE_RFC_1918"}
	msg := sprintf("%s records no VPC flow logs; add a log_config block.", [lib.address(rc)])
}

_findings contains lib.finding(rc, [], msg) if {
	lib.is_complete_plan
	some rc in lib.resources("aws_vpc")
	not _flow_log_for(rc)
	msg := sprintf("%s has no aws_flow_log; add one with vpc_id = %s.id.", [lib.address(rc), lib.address(rc)])
}

_flow_log_for(vpc) if {
	some rc in lib.all_resources_of("aws_flow_log")
	not lib.known_string(rc, ["vpc_id"])
	not lib.known_string(rc, ["subnet_id"])
	not lib.known_string(rc, ["eni_id"])
	not lib.known_string(rc, ["transit_gateway_id"])
}

_flow_log_for(vpc) if {
	some rc in lib.all_resources_of("aws_flow_log")
	lib.known_string(rc, ["vpc_id"]) == lib.known_string(vpc, ["id"])
}
