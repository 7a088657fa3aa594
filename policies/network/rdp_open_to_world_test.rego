package oppie.rules.network.rdp_open_to_world_test

import data.oppie.rules.network.rdp_open_to_world as rule
import data.oppie.testing as t

test_oppie_firewall_open_rdp_denied if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "3389", "sources": ["0.0.0.0/0"]}]})])
	t.paths(rule.deny) == {["ingress", 0, "sources"]} with input as doc
}

test_oppie_firewall_ssh_only_passes if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "22", "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_udp_rdp_passes if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "udp", "ports": "3389", "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_azure_rule_with_star_port_denied if {
	doc := t.plan([t.create("azurerm_network_security_rule", {
		"direction": "Inbound", "access": "Allow", "protocol": "*",
		"source_address_prefix": "*", "destination_port_range": "*",
	})])
	t.paths(rule.deny) == {["source_address_prefix"]} with input as doc
}

test_azure_rule_with_unknown_ports_passes if {
	doc := t.plan([t.create_unknown(
		"azurerm_network_security_rule",
		{"direction": "Inbound", "access": "Allow", "protocol": "Tcp", "source_address_prefix": "*"},
		{"destination_port_range": true},
	)])
	count(rule.deny) == 0 with input as doc
}

test_google_firewall_range_denied if {
	doc := t.plan([t.create("google_compute_firewall", {
		"source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "tcp", "ports": ["3000-4000"]}],
	})])
	count(rule.deny) == 1 with input as doc
}

test_aws_security_group_private_cidr_passes if {
	doc := t.plan([t.create("aws_security_group", {"ingress": [{
		"protocol": "tcp", "from_port": 3389, "to_port": 3389, "cidr_blocks": ["192.168.0.0/16"], "ipv6_cidr_blocks": [],
	}]})])
	count(rule.deny) == 0 with input as doc
}
