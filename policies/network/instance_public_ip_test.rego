package oppie.rules.network.instance_public_ip_test

import data.oppie.rules.network.instance_public_ip as rule
import data.oppie.testing as t

test_oppie_instance_public_ip_warned if {
	doc := t.plan([t.create("oppie_instance", {"public_ip": true})])
	t.paths(rule.warn) == {["public_ip"]} with input as doc
}

test_oppie_instance_private_passes if {
	doc := t.plan([t.create("oppie_instance", {"public_ip": false})])
	count(rule.warn) == 0 with input as doc
}

test_aws_instance_public_ip_warned_unknown_passes if {
	count(rule.warn) == 1 with input as t.plan([t.create("aws_instance", {"associate_public_ip_address": true})])
	doc := t.plan([t.create_unknown("aws_instance", {}, {"associate_public_ip_address": true})])
	count(rule.warn) == 0 with input as doc
}

test_aws_launch_template_string_true_warned if {
	doc := t.plan([t.create("aws_launch_template", {"network_interfaces": [{"associate_public_ip_address": "true"}]})])
	t.paths(rule.warn) == {["network_interfaces", 0, "associate_public_ip_address"]} with input as doc
}

test_google_access_config_warned if {
	doc := t.plan([t.create("google_compute_instance", {"network_interface": [{"network": "default", "access_config": [{"nat_ip": null}]}]})])
	t.paths(rule.warn) == {["network_interface", 0, "access_config"]} with input as doc
}

test_google_without_access_config_passes if {
	doc := t.plan([t.create("google_compute_instance", {"network_interface": [{"network": "default", "access_config": []}]})])
	count(rule.warn) == 0 with input as doc
}

test_azure_nic_public_ip_warned_and_unknown_passes if {
	known := t.create("azurerm_network_interface", {"ip_configuration": [{"name": "a", "public_ip_address_id": "/subscriptions/x/publicIPAddresses/ip"}]})
	count(rule.warn) == 1 with input as t.plan([known])
	unknown := t.create_unknown(
		"azurerm_network_interface",
		{"ip_configuration": [{"name": "a"}]},
		{"ip_configuration": [{"public_ip_address_id": true}]},
	)
	count(rule.warn) == 0 with input as t.plan([unknown])
}
