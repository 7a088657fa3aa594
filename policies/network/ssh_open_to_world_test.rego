package oppie.rules.network.ssh_open_to_world_test

import data.oppie.rules.network.ssh_open_to_world as rule
import data.oppie.testing as t

test_oppie_firewall_open_ssh_denied if {
	doc := t.plan([t.create("oppie_firewall", {"name": "shop-dev-api-fw", "ingress": [
		{"protocol": "tcp", "ports": "443", "sources": ["0.0.0.0/0"]},
		{"protocol": "tcp", "ports": "22", "sources": ["10.0.0.0/8", "0.0.0.0/0"]},
	]})])
	results := rule.deny with input as doc
	t.paths(results) == {["ingress", 1, "sources"]}
	t.addresses(results) == {"oppie_firewall.this"}
}

test_oppie_firewall_all_ports_covers_ssh if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "all", "ports": null, "sources": ["::/0"]}]})])
	count(rule.deny) == 1 with input as doc
}

test_oppie_firewall_private_sources_pass if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "22", "sources": ["10.0.0.0/8"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_unknown_sources_do_not_deny if {
	doc := t.plan([t.create_unknown(
		"oppie_firewall",
		{"ingress": [{"protocol": "tcp", "ports": "22"}]},
		{"ingress": [{"sources": true}]},
	)])
	count(rule.deny) == 0 with input as doc
}

test_unknown_ports_do_not_deny if {
	doc := t.plan([t.create_unknown(
		"oppie_firewall",
		{"ingress": [{"protocol": "tcp", "sources": ["0.0.0.0/0"]}]},
		{"ingress": [{"ports": true}]},
	)])
	count(rule.deny) == 0 with input as doc
}

test_aws_security_group_range_over_22_denied if {
	doc := t.plan([t.create("aws_security_group", {"ingress": [{
		"protocol": "tcp", "from_port": 0, "to_port": 1024,
		"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [],
	}]})])
	results := rule.deny with input as doc
	t.paths(results) == {["ingress", 0, "cidr_blocks"]}
}

test_aws_security_group_unknown_cidrs_do_not_deny if {
	doc := t.plan([t.create_unknown(
		"aws_security_group",
		{"ingress": [{"protocol": "tcp", "from_port": 22, "to_port": 22, "ipv6_cidr_blocks": []}]},
		{"ingress": [{"cidr_blocks": true}]},
	)])
	count(rule.deny) == 0 with input as doc
}

test_aws_security_group_rule_ipv6_denied if {
	doc := t.plan([t.create("aws_security_group_rule", {
		"type": "ingress", "protocol": "6", "from_port": 22, "to_port": 22,
		"cidr_blocks": null, "ipv6_cidr_blocks": ["::/0"],
	})])
	results := rule.deny with input as doc
	t.paths(results) == {["ipv6_cidr_blocks"]}
}

test_aws_security_group_rule_egress_passes if {
	doc := t.plan([t.create("aws_security_group_rule", {
		"type": "egress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"],
	})])
	count(rule.deny) == 0 with input as doc
}

test_aws_vpc_security_group_ingress_rule_denied if {
	doc := t.plan([t.create("aws_vpc_security_group_ingress_rule", {
		"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0",
	})])
	t.paths(rule.deny) == {["cidr_ipv4"]} with input as doc
}

test_google_firewall_denied_and_disabled_passes if {
	fw := {"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "tcp", "ports": ["22"]}]}
	count(rule.deny) == 1 with input as t.plan([t.create("google_compute_firewall", fw)])
	disabled := object.union(fw, {"disabled": true})
	count(rule.deny) == 0 with input as t.plan([t.create("google_compute_firewall", disabled)])
	egress := object.union(fw, {"direction": "EGRESS"})
	count(rule.deny) == 0 with input as t.plan([t.create("google_compute_firewall", egress)])
}

test_azure_nsg_inline_rule_denied if {
	doc := t.plan([t.create("azurerm_network_security_group", {"security_rule": [{
		"name": "ssh", "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
		"source_address_prefix": "Internet", "source_address_prefixes": [],
		"destination_port_range": "", "destination_port_ranges": ["22", "3389"],
	}]})])
	t.paths(rule.deny) == {["security_rule", 0, "source_address_prefix"]} with input as doc
}

test_azure_deny_rule_passes if {
	doc := t.plan([t.create("azurerm_network_security_rule", {
		"direction": "Inbound", "access": "Deny", "protocol": "*",
		"source_address_prefix": "*", "destination_port_range": "*",
	})])
	count(rule.deny) == 0 with input as doc
}

test_deleted_firewall_passes if {
	doc := t.plan([t.delete("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "22", "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_state_input_is_checked if {
	doc := t.state([t.state_resource("aws_security_group", {"ingress": [{
		"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [],
	}]})])
	count(rule.deny) == 1 with input as doc
}
