# In production one mistaken `terraform destroy` or replace must not take a database or key machine with it;
# deletion protection turns that into an explicit second step.
package oppie.rules.resilience.deletion_protection

import data.oppie.lib

# METADATA
# title: Deletion protection off in production
# description: >-
#   A database, instance or load balancer in a protected environment (default prod) has deletion protection
#   switched off (deletion_protection, disable_api_termination, enable_deletion_protection or
#   deletion_protection_enabled). Azure has no such attribute; use management locks there.
# scope: rule
# custom:
#   id: OPP-RES-002
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 A1.2
#     - SOC2 CC8.1
#   resource_types:
#     - oppie_instance
#     - oppie_database
#     - aws_db_instance
#     - aws_rds_cluster
#     - aws_neptune_cluster
#     - aws_docdb_cluster
#     - aws_instance
#     - aws_lb
#     - aws_alb
#     - aws_dynamodb_table
#     - google_sql_database_instance
#     - google_compute_instance
#     - google_container_cluster
deny contains result if {
	some type, attr in _protection_attributes
	# The library's facts (environment included) for the type's resources, worked out once for every rule.
	some f in object.get(lib.subject_facts_by_type, type, [])
	f.environment in lib.config.protected_environments
	rc := f.rc
	lib.known_false(rc, [attr])
	msg := sprintf("%s can be deleted without a second step in %s; set %s = true.", [lib.address(rc), f.environment, attr])
	result := lib.finding(rc, [attr], msg)
}

# aws_instance counts as protected through termination protection.
_protection_attributes := {
	"oppie_instance": "deletion_protection",
	"oppie_database": "deletion_protection",
	"aws_db_instance": "deletion_protection",
	"aws_rds_cluster": "deletion_protection",
	"aws_neptune_cluster": "deletion_protection",
	"aws_docdb_cluster": "deletion_protection",
	"aws_instance": "disable_api_termination",
	"aws_lb": "enable_deletion_protection",
	"aws_alb": "enable_deletion_protection",
	"aws_dynamodb_table": "deletion_protection_enabled",
	"google_sql_database_instance": "deletion_protection",
	"google_compute_instance": "deletion_protection",
	"google_container_cluster": "deletion_protection",
}
