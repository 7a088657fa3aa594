package oppie.rules.network.subnet_public_ip_on_launch_test

import data.oppie.rules.network.subnet_public_ip_on_launch as rule
import data.oppie.testing as t

test_public_oppie_subnet_warned if {
	t.paths(rule.warn) == {["public"]} with input as t.plan([t.create("oppie_subnet", {"public": true})])
}

test_private_oppie_subnet_passes if {
	count(rule.warn) == 0 with input as t.plan([t.create("oppie_subnet", {"public": false})])
}

test_aws_subnet_warned_and_unknown_passes if {
	count(rule.warn) == 1 with input as t.plan([t.create("aws_subnet", {"map_public_ip_on_launch": true})])
	count(rule.warn) == 0 with input as t.plan([t.create_unknown("aws_subnet", {}, {"map_public_ip_on_launch": true})])
}
