# Tests of the helper library data.oppie.lib that ships inside oppie-policy (policy-host/rego/oppie/lib.rego):
# input detection, resource selection, unknown handling, tags, naming, regions, sizes and ingress normalisation.
package oppie.lib_test

import data.oppie.lib
import data.oppie.testing as t

# --- input kinds and resource selection --------------------------------------------------------------------------

test_plan_subjects_skip_delete_read_and_noop if {
	doc := t.plan([
		t.create_named("aws_vpc", "new", {"cidr_block": "10.0.0.0/16"}),
		t.change("aws_vpc", "changed", ["update"], {}, {}),
		t.change("aws_vpc", "replaced", ["delete", "create"], {}, {}),
		t.change("aws_vpc", "kept", ["no-op"], {}, {}),
		t.change("aws_vpc", "gone", ["delete"], null, {}),
		object.union(t.change("aws_ami", "lookup", ["read"], {}, {}), {"mode": "data"}),
	])
	addrs := {lib.address(rc) | some rc in lib.subjects} with input as doc
	addrs == {"aws_vpc.new", "aws_vpc.changed", "aws_vpc.replaced"}
	count(lib.all_resources) == 5 with input as doc
}

test_check_unchanged_includes_noop if {
	doc := t.plan([t.change("aws_vpc", "kept", ["no-op"], {}, {})])
	count(lib.subjects) == 1 with input as doc with data.oppie.config as {"check_unchanged": true}
	count(lib.subjects) == 0 with input as doc
}

test_state_resources_in_child_modules_are_subjects if {
	doc := {"format_version": "1.0", "values": {"root_module": {
		"resources": [t.state_resource("aws_vpc", {"cidr_block": "10.0.0.0/16"})],
		"child_modules": [{
			"address": "module.net",
			"resources": [object.union(t.state_resource("aws_subnet", {"cidr_block": "10.0.1.0/24"}), {"address": "module.net.aws_subnet.this"})],
			"child_modules": [{"address": "module.net.module.deep", "resources": [
				object.union(t.state_resource("aws_eip", {"domain": "vpc"}), {"address": "module.net.module.deep.aws_eip.this"}),
				object.union(t.state_resource("aws_ami", {}), {"mode": "data", "address": "module.net.module.deep.data.aws_ami.this"}),
			]}],
		}],
	}}}
	lib.is_state with input as doc
	addrs := {lib.address(rc) | some rc in lib.subjects} with input as doc
	addrs == {"aws_vpc.this", "module.net.aws_subnet.this", "module.net.module.deep.aws_eip.this"}
	some rc in lib.resources("aws_subnet") with input as doc
	lib.known(rc, ["cidr_block"]) == "10.0.1.0/24"
	lib.is_noop(rc)
}

test_resources_by_type_groups_subjects if {
	doc := t.plan([t.create_named("aws_vpc", "a", {}), t.create_named("aws_vpc", "b", {}), t.create("aws_eip", {})])
	count(lib.resources_by_type.aws_vpc) == 2 with input as doc
	count(lib.resources_by_type.aws_eip) == 1 with input as doc
	count(lib.resources("aws_s3_bucket")) == 0 with input as doc
}

test_planned_values_only_plan_reads_like_state if {
	doc := {"format_version": "0.1", "planned_values": {"root_module": {"resources": [t.state_resource("aws_vpc", {})]}}}
	lib.is_planned_values_only with input as doc
	count(lib.subjects) == 1 with input as doc
}

test_action_helpers if {
	lib.is_create(t.create("aws_vpc", {}))
	lib.is_update(t.update("aws_vpc", {}))
	lib.is_delete(t.delete("aws_vpc", {}))
	lib.is_replace(t.change("aws_vpc", "x", ["create", "delete"], {}, {}))
	lib.is_noop(t.noop("aws_vpc", {}))
	not lib.is_delete(t.change("aws_vpc", "x", ["delete", "create"], {}, {}))
}

test_address_falls_back_to_type_and_name if {
	lib.address({"type": "aws_vpc", "name": "main"}) == "aws_vpc.main"
}

# --- unknown values ------------------------------------------------------------------------------------------------

unknown_rc := t.create_unknown(
	"aws_security_group",
	{"name": "web", "ingress": [{"cidr_blocks": ["10.0.0.0/8", null], "from_port": 22}], "tags": {"owner": "x"}},
	{"id": true, "ingress": [{"cidr_blocks": [false, true], "to_port": true}], "tags": {"project": true}},
)

test_is_unknown_on_paths_and_parents if {
	lib.is_unknown(unknown_rc, ["id"])
	lib.is_unknown(unknown_rc, ["ingress", 0, "to_port"])
	lib.is_unknown(unknown_rc, ["ingress", 0, "cidr_blocks", 1])
	not lib.is_unknown(unknown_rc, ["ingress", 0, "cidr_blocks"])
	not lib.is_unknown(unknown_rc, ["name"])
	lib.has_unknown(unknown_rc, ["ingress"])
	not lib.has_unknown(unknown_rc, ["name"])
}

test_known_is_undefined_for_unknown_and_absent if {
	lib.known(unknown_rc, ["name"]) == "web"
	not lib.known(unknown_rc, ["id"])
	not lib.known(unknown_rc, ["nothing"])
	lib.known(unknown_rc, ["ingress", 0, "from_port"]) == 22
	lib.known_string(unknown_rc, ["name"]) == "web"
	not lib.known_number(unknown_rc, ["name"])
}

test_known_keeps_known_nulls if {
	rc := t.create("aws_s3_bucket", {"logging": null})
	is_null(lib.known(rc, ["logging"]))
}

test_value_or if {
	lib.value_or(unknown_rc, ["name"], "x") == "web"
	lib.value_or(unknown_rc, ["missing"], "x") == "x"
	lib.value_or(unknown_rc, ["id"], "x") == lib.unknown
	lib.is_unknown_value(lib.value_or(unknown_rc, ["ingress", 0, "to_port"], null))
}

test_after_marks_unknown_leaves if {
	a := lib.after(unknown_rc)
	a.id == lib.unknown
	a.ingress[0].to_port == lib.unknown
	a.ingress[0].cidr_blocks == ["10.0.0.0/8", lib.unknown]
	a.ingress[0].from_port == 22
	a.tags == {"owner": "x", "project": lib.unknown}
	a.name == "web"
}

test_after_of_delete_is_empty if {
	lib.after(t.delete("aws_vpc", {"cidr_block": "10.0.0.0/16"})) == {}
}

test_blocks_skip_unknown_blocks if {
	rc := t.create_unknown("oppie_firewall", {"ingress": [{"protocol": "tcp"}, null]}, {"ingress": [{}, true]})
	lib.blocks(rc, "ingress") == {{"index": 0, "block": {"protocol": "tcp"}}}
}

# --- tags and environment ----------------------------------------------------------------------------------------

test_tags_merge_tags_all_and_mark_unknown_values if {
	rc := t.create_unknown(
		"aws_instance",
		{"tags": {"project": "shop", "owner": "a"}, "tags_all": {"project": "shop", "owner": "a", "cost-center": "cc"}},
		{"tags": {"environment": true}, "tags_all": {"environment": true}},
	)
	lib.tags(rc) == {"project": "shop", "owner": "a", "cost-center": "cc", "environment": lib.unknown}
	not lib.tags_unknown(rc)
}

test_tags_unknown_when_tags_all_unknown if {
	rc := t.create_unknown("oppie_bucket", {"tags": {"project": "shop"}}, {"tags_all": true})
	lib.tags_unknown(rc)
	lib.tags(rc) == {"project": "shop"}
}

test_google_labels_and_azure_tags if {
	g := t.create("google_storage_bucket", {"labels": {"environment": "dev"}, "terraform_labels": {"environment": "dev", "owner": "x"}})
	lib.tags(g) == {"environment": "dev", "owner": "x"}
	lib.tag_attribute(g) == "labels"
	a := t.create("azurerm_resource_group", {"tags": {"environment": "Prod"}})
	lib.tags(a) == {"environment": "Prod"}
	lib.environment(a) == "prod"
}

test_environment_falls_back_to_name if {
	rc := t.create("oppie_network", {"name": "shop-staging-api-net", "tags": {}})
	lib.environment(rc) == "staging"
	not lib.environment(t.create("oppie_network", {"name": "network", "tags": {}}))
}

test_google_special_label_paths if {
	sql := t.create("google_sql_database_instance", {"settings": [{"user_labels": {"environment": "dev"}}]})
	lib.tags(sql) == {"environment": "dev"}
	lib.tag_path(sql, "owner") == ["settings", 0, "user_labels", "owner"]
	lib.tag_attribute(sql) == "user_labels"
	gke := t.create("google_container_cluster", {"resource_labels": {"environment": "prod"}})
	lib.environment(gke) == "prod"
}

test_taggable_types if {
	lib.is_taggable(t.create("oppie_subnet", {}))
	not lib.is_taggable(t.create("oppie_environment", {}))
	lib.is_taggable(t.create("aws_vpc", {}))
	not lib.is_taggable(t.create("aws_route", {}))
	not lib.is_taggable(t.create("google_compute_network", {}))
}

# --- naming --------------------------------------------------------------------------------------------------------

test_naming_convention if {
	lib.follows_naming("shop-dev-api-net")
	lib.follows_naming("shop-prod-api-db-replica")
	lib.follows_naming("shop-dev-api")
	lib.follows_naming("shop-dev")
	lib.follows_naming("shop-dev-pr-1234")
	not lib.follows_naming("shop")
	not lib.follows_naming("pr-1234")
	not lib.follows_naming("Shop-dev-api-net")
	not lib.follows_naming("shop-qa-api-net")
	not lib.follows_naming("shop-dev--net")
	not lib.follows_naming(42)
}

test_name_parts_and_native_name_paths if {
	rc := t.create("aws_instance", {"tags": {"Name": "shop-prod-web-vm"}})
	lib.name(rc) == "shop-prod-web-vm"
	lib.name_parts(rc) == {"project": "shop", "environment": "prod", "service": "web", "resource": "vm"}
	lib.name(t.create("aws_s3_bucket", {"bucket": "shop-dev-img-bucket"})) == "shop-dev-img-bucket"
	env := t.create("oppie_environment", {"name": "shop-dev"})
	lib.name_parts(env) == {"project": "shop", "environment": "dev", "service": "", "resource": ""}
}

test_naming_pattern_override if {
	lib.follows_naming("anything") with data.oppie.config as {"naming_pattern": "^any"}
}

# --- regions -------------------------------------------------------------------------------------------------------

test_region_per_cloud if {
	lib.region(t.create("oppie_network", {"region": "US-East"})) == "us-east"
	lib.region(t.create("aws_instance", {"availability_zone": "eu-west-1b"})) == "eu-west-1"
	lib.region(t.create("aws_instance", {"region": "eu-west-1", "availability_zone": "eu-west-1b"})) == "eu-west-1"
	lib.region(t.create("google_compute_instance", {"zone": "europe-west3-c"})) == "europe-west3"
	lib.region(t.create("google_storage_bucket", {"location": "EU"})) == "eu"
	lib.region(t.create("azurerm_resource_group", {"location": "West Europe"})) == "westeurope"
	lib.region_info(t.create("aws_instance", {"availability_zone": "eu-west-1b"})).path == ["availability_zone"]
	not lib.region(t.create_unknown("aws_instance", {}, {"availability_zone": true}))
}

test_region_allowed if {
	lib.region_allowed("us-east")
	lib.region_allowed("us-east-1")
	lib.region_allowed("europe-west3")
	lib.region_allowed("westeurope")
	lib.region_allowed("global")
	lib.region_allowed("eu")
	not lib.region_allowed("sa-east-1")
	not lib.region_allowed("us-east-2")
	lib.region_allowed("us-east-2") with data.oppie.config as {"extra_allowed_regions": ["us-east-2"]}
	not lib.region_allowed("eu-west-1") with data.oppie.config as {"allowed_regions": ["us-east"]}
}

# --- sizes ---------------------------------------------------------------------------------------------------------

test_size_classes if {
	lib.size_class("m") == "m"
	lib.size_class("t3.micro") == "xs"
	lib.size_class("t3.small") == "s"
	lib.size_class("t3.large") == "m"
	lib.size_class("m5.xlarge") == "l"
	lib.size_class("m5.4xlarge") == "xl"
	lib.size_class("db.t3.micro") == "xs"
	lib.size_class("e2-micro") == "xs"
	lib.size_class("e2-small") == "s"
	lib.size_class("n2-standard-2") == "m"
	lib.size_class("n2-standard-4") == "l"
	lib.size_class("n2-highmem-16") == "xl"
	lib.size_class("zones/us-central1-a/machineTypes/n1-standard-1") == "s"
	lib.size_class("db-f1-micro") == "xs"
	lib.size_class("db-custom-2-7680") == "m"
	lib.size_class("Standard_B1ls") == "xs"
	lib.size_class("Standard_B1s") == "s"
	lib.size_class("Standard_D2s_v3") == "m"
	lib.size_class("Standard_D16s_v5") == "xl"
	lib.size_class("GP_Standard_D4s_v3") == "l"
	not lib.size_class("huge")
	not lib.size_class(3)
}

# --- ingress normalisation -----------------------------------------------------------------------------------------

test_ingress_rules_normalise_every_cloud if {
	doc := t.plan([
		t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "20-23", "sources": ["0.0.0.0/0"]}]}),
		t.create("aws_security_group", {"ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}]}),
		t.create("aws_security_group_rule", {"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}),
		t.create("google_compute_firewall", {"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "tcp", "ports": ["22", "80"]}]}),
		t.create("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "protocol": "Tcp", "source_address_prefix": "*", "destination_port_range": "22"}),
	])
	entries := lib.ingress_rules with input as doc
	summary := {[e.rc.type, e.protocol, e.port_ranges] | some e in entries; lib.open_to_world(e)}
	summary == {
		["oppie_firewall", "tcp", [[20, 23]]],
		["aws_security_group", "all", [[0, 65535]]],
		["aws_security_group_rule", "tcp", [[22, 22]]],
		["google_compute_firewall", "tcp", [[22, 22], [80, 80]]],
		["azurerm_network_security_rule", "tcp", [[22, 22]]],
	}
	every e in entries {
		lib.covers_port(e, 22)
	}
}

test_ingress_rules_leave_out_unknown_ports if {
	doc := t.plan([t.create_unknown(
		"oppie_firewall",
		{"ingress": [{"protocol": "tcp", "sources": ["0.0.0.0/0"]}]},
		{"ingress": [{"ports": true}]},
	)])
	count(lib.ingress_rules) == 0 with input as doc
}

test_google_firewall_without_sources_is_open if {
	doc := t.plan([t.create("google_compute_firewall", {"source_ranges": [], "source_tags": [], "allow": [{"protocol": "tcp", "ports": []}]})])
	some e in lib.ingress_rules with input as doc
	lib.open_to_world(e)
	lib.covers_all_ports(e)
}

# --- IAM documents -------------------------------------------------------------------------------------------------

test_policy_statements if {
	doc := `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`
	stmts := lib.policy_statements(doc)
	count(stmts) == 1
	some s in stmts
	lib.statement_actions(s.statement) == ["*"]
	lib.statement_resources(s.statement) == ["*"]
	count(lib.policy_statements("not json")) == 0
	count(lib.policy_statements(null)) == 0
}
