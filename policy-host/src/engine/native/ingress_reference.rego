package reference

# The definitions oppie_policy_ingress_rules and oppie_policy_world_open_ingress replaced (lib.rego before they
# became host functions), with the lib helpers they use; input.by_type stands for resources_by_type and
# input.world_sources for config.world_sources.

_after_obj(rc) := rc.change.after if {
	is_object(rc.change.after)
} else := {}

_after_unknown(rc) := rc.change.after_unknown if {
	is_object(rc.change.after_unknown)
} else := {}

is_unknown(rc, path) if {
	count(path) > 0
	some n in numbers.range(1, count(path))
	object.get(_after_unknown(rc), array.slice(path, 0, n), false) == true
}

has_unknown(rc, path) if {
	is_unknown(rc, path)
} else := true if {
	sub := object.get(_after_unknown(rc), path, false)
	is_object(sub)
	walk(sub, [_, true])
} else := true if {
	sub := object.get(_after_unknown(rc), path, false)
	is_array(sub)
	walk(sub, [_, true])
}

_absent := {"oppie_absent": true}

known(rc, path) := v if {
	not is_unknown(rc, path)
	v := object.get(_after_obj(rc), path, _absent)
	v != _absent
}

known_true(rc, path) if known(rc, path) == true

known_string(rc, path) := s if {
	s := known(rc, path)
	is_string(s)
	s != ""
}

known_list(rc, path) := l if {
	l := known(rc, path)
	is_array(l)
}

blocks(rc, name) := {entry |
	list := known_list(rc, [name])
	some i
	b := list[i]
	is_object(b)
	not is_unknown(rc, [name, i])
	entry := {"index": i, "block": b}
}

resources(type) := object.get(input.by_type, type, [])

config := {"world_sources": input.world_sources}

ingress_rules contains entry if {
	some rc in resources("oppie_firewall")
	some b in blocks(rc, "ingress")
	protocol := _oppie_protocol(rc, b)
	port_ranges := _oppie_ports(rc, b)
	entry := {
		"rc": rc, "path": ["ingress", b.index, "sources"], "protocol": protocol,
		"port_ranges": port_ranges, "sources": _string_list(object.get(b.block, "sources", [])),
	}
}

ingress_rules contains entry if {
	some type in {"aws_security_group", "aws_default_security_group"}
	some rc in resources(type)
	some b in blocks(rc, "ingress")
	protocol := _aws_protocol(b.block.protocol)
	port_ranges := _aws_ports(protocol, b.block.from_port, b.block.to_port)
	some attr in ["cidr_blocks", "ipv6_cidr_blocks"]
	entry := {
		"rc": rc, "path": ["ingress", b.index, attr], "protocol": protocol,
		"port_ranges": port_ranges, "sources": _string_list(object.get(b.block, attr, [])),
	}
}

ingress_rules contains entry if {
	some rc in resources("aws_security_group_rule")
	known_string(rc, ["type"]) == "ingress"
	protocol := _aws_protocol(known_string(rc, ["protocol"]))
	port_ranges := _aws_ports(protocol, known(rc, ["from_port"]), known(rc, ["to_port"]))
	some attr in ["cidr_blocks", "ipv6_cidr_blocks"]
	entry := {
		"rc": rc, "path": [attr], "protocol": protocol,
		"port_ranges": port_ranges, "sources": _string_list(_list_or_empty(rc, [attr])),
	}
}

ingress_rules contains entry if {
	some rc in resources("aws_vpc_security_group_ingress_rule")
	protocol := _aws_protocol(known_string(rc, ["ip_protocol"]))
	port_ranges := _aws_ports(protocol, object.get(_after_obj(rc), "from_port", null), object.get(_after_obj(rc), "to_port", null))
	not is_unknown(rc, ["from_port"])
	not is_unknown(rc, ["to_port"])
	some attr in ["cidr_ipv4", "cidr_ipv6"]
	source := known_string(rc, [attr])
	entry := {"rc": rc, "path": [attr], "protocol": protocol, "port_ranges": port_ranges, "sources": [source]}
}

ingress_rules contains entry if {
	some rc in resources("google_compute_firewall")
	_gcp_direction(rc) == "INGRESS"
	not known_true(rc, ["disabled"])
	sources := _gcp_sources(rc)
	some b in blocks(rc, "allow")
	protocol := _gcp_protocol(b.block.protocol)
	port_ranges := _port_strings(object.get(b.block, "ports", []))
	entry := {"rc": rc, "path": ["source_ranges"], "protocol": protocol, "port_ranges": port_ranges, "sources": sources}
}

ingress_rules contains entry if {
	some rc in resources("azurerm_network_security_group")
	some b in blocks(rc, "security_rule")
	some attr in ["source_address_prefix", "source_address_prefixes"]
	entry := _azure_entry(rc, b.block, ["security_rule", b.index], attr)
}

ingress_rules contains entry if {
	some rc in resources("azurerm_network_security_rule")
	some attr in ["source_address_prefix", "source_address_prefixes"]
	entry := _azure_entry(rc, _after_obj(rc), [], attr)
}

_list_or_empty(rc, path) := l if {
	l := known_list(rc, path)
} else := []

_string_list(l) := [s | some s in l; is_string(s)] if {
	is_array(l)
} else := []

_oppie_protocol(rc, b) := lower(b.block.protocol) if {
	is_string(b.block.protocol)
	not is_unknown(rc, ["ingress", b.index, "protocol"])
}

_oppie_ports(rc, b) := [[0, 65535]] if {
	not is_unknown(rc, ["ingress", b.index, "ports"])
	is_null(object.get(b.block, "ports", null))
}

_oppie_ports(rc, b) := _port_strings([b.block.ports]) if {
	not is_unknown(rc, ["ingress", b.index, "ports"])
	is_string(b.block.ports)
}

_aws_protocol(p) := _protocol_names[lower(format_int(p, 10))] if is_number(p)

_aws_protocol(p) := object.get(_protocol_names, lower(p), lower(p)) if is_string(p)

_protocol_names := {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "*": "all"}

_aws_ports("all", _, _) := [[0, 65535]]

_aws_ports(protocol, from, to) := [[from, to]] if {
	protocol != "all"
	is_number(from)
	is_number(to)
}

_gcp_direction(rc) := d if {
	d := known_string(rc, ["direction"])
} else := "INGRESS" if {
	not is_unknown(rc, ["direction"])
}

_gcp_sources(rc) := ranges if {
	ranges := _string_list(known_list(rc, ["source_ranges"]))
	count(ranges) > 0
} else := ["0.0.0.0/0"] if {
	not has_unknown(rc, ["source_ranges"])
	not has_unknown(rc, ["source_tags"])
	not has_unknown(rc, ["source_service_accounts"])
	count(_string_list(object.get(_after_obj(rc), "source_ranges", []))) == 0
	count(_string_list(object.get(_after_obj(rc), "source_tags", []))) == 0
	count(_string_list(object.get(_after_obj(rc), "source_service_accounts", []))) == 0
}

_gcp_protocol(p) := _protocol_names[lower(p)] if is_string(p)

_gcp_protocol(p) := lower(p) if {
	is_string(p)
	not _protocol_names[lower(p)]
}

_azure_entry(rc, rule, base, attr) := {
	"rc": rc,
	"path": array.concat(base, [attr]),
	"protocol": _aws_protocol(rule.protocol),
	"port_ranges": _port_strings(array.concat(_one_or_many(rule, "destination_port_range"), _one_or_many(rule, "destination_port_ranges"))),
	"sources": _one_or_many(rule, attr),
} if {
	is_string(rule.direction)
	lower(rule.direction) == "inbound"
	is_string(rule.access)
	lower(rule.access) == "allow"
	is_string(rule.protocol)
	not has_unknown(rc, array.concat(base, ["destination_port_range"]))
	not has_unknown(rc, array.concat(base, ["destination_port_ranges"]))
	# Azure requires one of the two port attributes; with neither known there is nothing to judge.
	count(array.concat(_one_or_many(rule, "destination_port_range"), _one_or_many(rule, "destination_port_ranges"))) > 0
}

_one_or_many(obj, key) := [obj[key]] if {
	is_string(obj[key])
	obj[key] != ""
} else := _string_list(obj[key]) if {
	is_array(obj[key])
} else := []

_port_strings(list) := [[0, 65535]] if count(list) == 0

_port_strings(list) := [r | some s in list; r := _port_range(s)] if count(list) > 0

_port_range(s) := [0, 65535] if s == "*"

_port_range(s) := [to_number(s), to_number(s)] if {
	is_string(s)
	regex.match(`^[0-9]+$`, s)
}

_port_range(s) := [to_number(parts[0]), to_number(parts[1])] if {
	is_string(s)
	regex.match(`^[0-9]+-[0-9]+$`, s)
	parts := split(s, "-")
}

world_open_ingress contains object.union(entry, {"world_sources": sources}) if {
	some entry in ingress_rules
	sources := [s | some s in entry.sources; is_string(s); lower(s) in config.world_sources]
	count(sources) > 0
}

rules_result := ingress_rules

world_result := world_open_ingress
