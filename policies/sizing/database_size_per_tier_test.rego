package oppie.rules.sizing.database_size_per_tier_test

import data.oppie.rules.sizing.database_size_per_tier as rule
import data.oppie.testing as t

test_oppie_database_dev_medium_denied if {
	t.paths(rule.deny) == {["size"]} with input as t.plan([t.create("oppie_database", {"size": "m", "tags": t.tags_for("dev")})])
}

test_oppie_database_prod_large_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_database", {"size": "l", "tags": t.tags_for("prod")})])
}

test_rds_class if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_db_instance", {"instance_class": "db.r6g.4xlarge", "tags": t.tags_for("dev")})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_db_instance", {"instance_class": "db.t3.micro", "tags": t.tags_for("dev")})])
}

test_cloud_sql_tier_path if {
	doc := t.plan([t.create("google_sql_database_instance", {"settings": [{"tier": "db-custom-8-30720", "user_labels": t.tags_for("staging")}]})])
	t.paths(rule.deny) == {["settings", 0, "tier"]} with input as doc
}

test_unknown_class_passes if {
	doc := t.plan([t.create_unknown("aws_db_instance", {"tags": t.tags_for("dev")}, {"instance_class": true})])
	count(rule.deny) == 0 with input as doc
}
