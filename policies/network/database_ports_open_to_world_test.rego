package oppie.rules.network.database_ports_open_to_world_test

import data.oppie.rules.network.database_ports_open_to_world as rule
import data.oppie.testing as t

test_postgres_open_denied if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "5432", "sources": ["0.0.0.0/0"]}]})])
	results := rule.deny with input as doc
	t.paths(results) == {["ingress", 0, "sources"]}
	some r in results
	contains(r.msg, "5432")
}

test_range_covering_mysql_and_postgres_denied_once if {
	doc := t.plan([t.create("aws_security_group_rule", {
		"type": "ingress", "protocol": "tcp", "from_port": 3000, "to_port": 6000, "cidr_blocks": ["0.0.0.0/0"],
	})])
	results := rule.deny with input as doc
	count(results) == 1
	some r in results
	contains(r.msg, "3306, 5432, 5439")
}

test_all_ports_left_to_the_all_ports_rule if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "all", "ports": null, "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_private_source_passes if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "5432", "sources": ["10.1.0.0/16"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_https_open_passes if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "443", "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
}

test_configured_port_list if {
	doc := t.plan([t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "8086", "sources": ["0.0.0.0/0"]}]})])
	count(rule.deny) == 0 with input as doc
	count(rule.deny) == 1 with input as doc with data.oppie.config as {"database_ports": [8086]}
}
