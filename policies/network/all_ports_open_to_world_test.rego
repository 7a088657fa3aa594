package oppie.rules.network.all_ports_open_to_world_test

import data.oppie.rules.network.all_ports_open_to_world as rule
import data.oppie.testing as t

test_aws_protocol_minus_one_denied if {
	doc := t.plan([t.create("aws_security_group", {"ingress": [{
		"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": ["::/0"],
	}]})])
	t.paths(rule.deny) == {["ingress", 0, "cidr_blocks"], ["ingress", 0, "ipv6_cidr_blocks"]} with input as doc
}

test_oppie_firewall_without_ports_denied if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": null, "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 1 with input as doc
}

test_google_firewall_allow_all_denied if {
	doc := t.plan([t.create("google_compute_firewall", {
		"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "all", "ports": []}],
	})])
	count(rule.deny) == 1 with input as doc
}

test_icmp_only_passes if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "icmp", "ports": null, "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_single_port_passes if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "443", "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_all_ports_from_private_network_passes if {
	doc := t.plan([t.create("aws_security_group", {"ingress": [{
		"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": [],
	}]})])
	count(rule.deny) == 0 with input as doc
}
