package oppie.rules.resilience.backup_retention_test

import data.oppie.rules.resilience.backup_retention as rule
import data.oppie.testing as t

test_prod_database_short_retention_denied if {
	doc := t.plan([t.create("oppie_database", {"backup_retention_days": 3, "tags": t.good_tags})])
	t.paths(rule.deny) == {["backup_retention_days"]} with input as doc
}

test_prod_database_week_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_database", {"backup_retention_days": 7, "tags": t.good_tags})])
}

test_dev_database_short_retention_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_database", {"backup_retention_days": 1, "tags": t.tags_for("dev")})])
}

test_unknown_retention_passes if {
	doc := t.plan([t.create_unknown("aws_db_instance", {"tags": t.good_tags}, {"backup_retention_period": true})])
	count(rule.deny) == 0 with input as doc
}

test_rds_disabled_backups_denied_replica_skipped if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_db_instance", {"backup_retention_period": 0, "tags": t.good_tags})])
	replica := t.create("aws_db_instance", {"backup_retention_period": 0, "replicate_source_db": "primary", "tags": t.good_tags})
	count(rule.deny) == 0 with input as t.plan([replica])
}

test_cloud_sql_backups if {
	off := t.create("google_sql_database_instance", {"settings": [{
		"user_labels": t.good_tags,
		"backup_configuration": [{"enabled": false, "backup_retention_settings": [{"retained_backups": 7, "retention_unit": "COUNT"}]}],
	}]})
	t.paths(rule.deny) == {["settings", 0, "backup_configuration", 0, "enabled"]} with input as t.plan([off])
	few := t.create("google_sql_database_instance", {"settings": [{
		"user_labels": t.good_tags,
		"backup_configuration": [{"enabled": true, "backup_retention_settings": [{"retained_backups": 3, "retention_unit": "COUNT"}]}],
	}]})
	count(rule.deny) == 1 with input as t.plan([few])
}

test_azure_sql_short_term_retention if {
	db := t.create("azurerm_mssql_database", {"tags": t.good_tags, "short_term_retention_policy": [{"retention_days": 3}]})
	t.paths(rule.deny) == {["short_term_retention_policy", 0, "retention_days"]} with input as t.plan([db])
}

test_configured_minimum_and_environments if {
	doc := t.plan([t.create("oppie_database", {"backup_retention_days": 10, "tags": t.tags_for("staging")})])
	cfg := {"min_backup_retention_days": 14, "protected_environments": ["staging", "prod"]}
	count(rule.deny) == 1 with input as doc with data.oppie.config as cfg
}
