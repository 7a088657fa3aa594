package oppie.rules.logging.network_flow_logs_test

import data.oppie.rules.logging.network_flow_logs as rule
import data.oppie.testing as t

test_oppie_network_without_flow_logs_denied if {
	t.paths(rule.deny) == {["flow_logs"]} with input as t.plan([t.create("oppie_network", {"flow_logs": false})])
}

test_oppie_network_with_flow_logs_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_network", {"flow_logs": true})])
}

test_gcp_subnetwork if {
	count(rule.deny) == 1 with input as t.plan([t.create("google_compute_subnetwork", {"log_config": [], "purpose": "PRIVATE"})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_compute_subnetwork", {"log_config": [{"aggregation_interval": "INTERVAL_5_SEC"}]})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_compute_subnetwork", {"log_config": [], "purpose": "REGIONAL_MANAGED_PROXY"})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("google_compute_subnetwork", {}, {"log_config": true})])
}

test_aws_vpc_without_flow_log_denied_in_complete_plan if {
	vpc := t.create("aws_vpc", {"cidr_block": "10.0.0.0/16"})
	t.paths(rule.deny) == {[]} with input as t.complete_plan([vpc])
	count(rule.deny) == 0 with input as t.plan([vpc])
}

test_aws_vpc_with_pending_flow_log_passes if {
	vpc := t.create_unknown("aws_vpc", {"cidr_block": "10.0.0.0/16"}, {"id": true})
	flow := t.create_unknown("aws_flow_log", {"traffic_type": "ALL"}, {"vpc_id": true})
	count(rule.deny) == 0 with input as t.complete_plan([vpc, flow])
}

test_aws_vpc_with_flow_log_on_other_vpc_denied if {
	vpc := t.create("aws_vpc", {"id": "vpc-1"})
	flow := t.noop("aws_flow_log", {"vpc_id": "vpc-2", "traffic_type": "ALL"})
	count(rule.deny) == 1 with input as t.complete_plan([vpc, flow])
	same := t.noop("aws_flow_log", {"vpc_id": "vpc-1", "traffic_type": "ALL"})
	count(rule.deny) == 0 with input as t.complete_plan([vpc, same])
}
