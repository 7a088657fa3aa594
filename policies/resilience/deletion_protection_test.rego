package oppie.rules.resilience.deletion_protection_test

import data.oppie.rules.resilience.deletion_protection as rule
import data.oppie.testing as t

test_prod_instance_without_protection_denied if {
	doc := t.plan([t.create("oppie_instance", {"deletion_protection": false, "tags": t.good_tags})])
	t.paths(rule.deny) == {["deletion_protection"]} with input as doc
}

test_prod_instance_with_protection_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_instance", {"deletion_protection": true, "tags": t.good_tags})])
}

test_dev_instance_without_protection_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_instance", {"deletion_protection": false, "tags": t.tags_for("dev")})])
}

test_unknown_protection_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_db_instance", {"tags": t.good_tags}, {"deletion_protection": true})])
}

test_native_attributes if {
	t.paths(rule.deny) == {["disable_api_termination"]} with input as t.plan([t.create("aws_instance", {"disable_api_termination": false, "tags": t.good_tags})])
	t.paths(rule.deny) == {["enable_deletion_protection"]} with input as t.plan([t.create("aws_lb", {"enable_deletion_protection": false, "tags": t.good_tags})])
	t.paths(rule.deny) == {["deletion_protection"]} with input as t.plan([t.create("google_compute_instance", {"deletion_protection": false, "labels": t.good_tags})])
}

test_environment_from_name if {
	doc := t.plan([t.create("oppie_database", {"name": "shop-prod-orders-db", "deletion_protection": false, "tags": {}})])
	count(rule.deny) == 1 with input as doc
}
