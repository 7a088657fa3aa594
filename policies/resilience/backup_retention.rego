# Production databases must keep at least a week of automated backups so that a bad migration or deletion found
# days later can still be undone.
package oppie.rules.resilience.backup_retention

import data.oppie.lib

# METADATA
# title: Database backups kept too briefly in production
# description: >-
#   A database in a protected environment (config.protected_environments, default prod) keeps automated backups
#   for fewer than config.min_backup_retention_days days (default 7), or has them switched off. Read replicas,
#   which cannot hold backups of their own, are skipped.
# scope: rule
# custom:
#   id: OPP-RES-001
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS GCP 6.7
#     - SOC2 A1.2
#   resource_types:
#     - oppie_database
#     - aws_db_instance
#     - aws_rds_cluster
#     - aws_neptune_cluster
#     - aws_docdb_cluster
#     - google_sql_database_instance
#     - azurerm_postgresql_server
#     - azurerm_postgresql_flexible_server
#     - azurerm_mysql_flexible_server
#     - azurerm_mssql_database
deny contains result if {
	some f in _findings
	result := f
}

_min_days := lib.config_number("min_backup_retention_days")

# resource type -> attribute holding the retention in days
_retention_attributes := {
	"oppie_database": "backup_retention_days",
	"aws_db_instance": "backup_retention_period",
	"aws_rds_cluster": "backup_retention_period",
	"aws_neptune_cluster": "backup_retention_period",
	"aws_docdb_cluster": "backup_retention_period",
	"azurerm_postgresql_server": "backup_retention_days",
	"azurerm_postgresql_flexible_server": "backup_retention_days",
	"azurerm_mysql_flexible_server": "backup_retention_days",
}

_findings contains lib.finding(rc, [attr], msg) if {
	some type, attr in _retention_attributes
	# The library's facts (environment included) for the type's resources, worked out once for every rule.
	some f in object.get(lib.subject_facts_by_type, type, [])
	f.environment in lib.config.protected_environments
	rc := f.rc
	not _is_replica(rc)
	days := lib.known_number(rc, [attr])
	days < _min_days
	msg := sprintf("%s keeps backups for %v days in %s; set %s to at least %v.", [lib.address(rc), days, f.environment, attr, _min_days])
}

_is_replica(rc) if lib.known_string(rc, ["replicate_source_db"])

_findings contains lib.finding(rc, path, msg) if {
	some rc in lib.resources("azurerm_mssql_database")
	lib.in_protected_environment(rc)
	some p in lib.blocks(rc, "short_term_retention_policy")
	days := object.get(p.block, "retention_days", null)
	is_number(days)
	days < _min_days
	path := ["short_term_retention_policy", p.index, "retention_days"]
	msg := sprintf("%s keeps point-in-time backups for %v days in %s; set retention_days to at least %v.", [lib.address(rc), days, lib.environment(rc), _min_days])
}

_findings contains lib.finding(rc, path, msg) if {
	some rc in lib.resources("google_sql_database_instance")
	lib.in_protected_environment(rc)
	not lib.known_string(rc, ["master_instance_name"])
	some s in lib.blocks(rc, "settings")
	some b_index, backup in lib.collection(object.get(s.block, "backup_configuration", []))
	is_object(backup)
	object.get(backup, "enabled", null) == false
	path := ["settings", s.index, "backup_configuration", b_index, "enabled"]
	msg := sprintf("%s has automated backups switched off in %s; set backup_configuration { enabled = true }.", [lib.address(rc), lib.environment(rc)])
}

_findings contains lib.finding(rc, path, msg) if {
	some rc in lib.resources("google_sql_database_instance")
	lib.in_protected_environment(rc)
	some s in lib.blocks(rc, "settings")
	some b_index, backup in lib.collection(object.get(s.block, "backup_configuration", []))
	is_object(backup)
	some r_index, retention in lib.collection(object.get(backup, "backup_retention_settings", []))
	is_object(retention)
	object.get(retention, "retention_unit", "COUNT") == "COUNT"
	count_kept := object.get(retention, "retained_backups", null)
	is_number(count_kept)
	count_kept < _min_days
	path := ["settings", s.index, "backup_configuration", b_index, "backup_retention_settings", r_index, "retained_backups"]
	msg := sprintf("%s keeps %v daily backups in %s; set retained_backups to at least %v.", [lib.address(rc), count_kept, lib.environment(rc), _min_days])
}
