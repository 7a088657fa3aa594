# Database storage, snapshots and replicas carry the most sensitive data a system has; it must be encrypted at
# rest.
package oppie.rules.encryption.database_encryption

import data.oppie.lib

# METADATA
# title: Unencrypted database storage
# description: >-
#   A database, cache or search cluster stores data unencrypted: oppie_database or oppie_cache encrypted =
#   false, RDS/Aurora/
#   Neptune/DocumentDB storage_encrypted = false, Redshift encrypted = false, ElastiCache at_rest_encryption_enabled
#   = false, or an Elasticsearch/OpenSearch domain with encrypt_at_rest disabled. Encryption can only be chosen at
#   creation, so fix it before the first apply. Cloud SQL and Azure databases are always encrypted.
# scope: rule
# custom:
#   id: OPP-ENC-003
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 2.3.1
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_database
#     - oppie_cache
#     - aws_db_instance
#     - aws_rds_cluster
#     - aws_neptune_cluster
#     - aws_docdb_cluster
#     - aws_redshift_cluster
#     - aws_elasticache_replication_group
#     - aws_elasticsearch_domain
#     - aws_opensearch_domain
deny contains result if {
	some f in _findings
	result := f
}

# resource type -> boolean attribute that must not be false
_flags := {
	"oppie_database": "encrypted",
	"oppie_cache": "encrypted",
	"aws_db_instance": "storage_encrypted",
	"aws_rds_cluster": "storage_encrypted",
	"aws_neptune_cluster": "storage_encrypted",
	"aws_docdb_cluster": "storage_encrypted",
	"aws_redshift_cluster": "encrypted",
	"aws_elasticache_replication_group": "at_rest_encryption_enabled",
}

_findings contains lib.finding(rc, [attr], msg) if {
	some type, attr in _flags
	some rc in lib.resources(type)
	lib.known_false(rc, [attr])
	msg := sprintf("%s stores data unencrypted; set %s = true.", [lib.address(rc), attr])
}

_findings contains lib.finding(rc, ["encrypt_at_rest", b.index, "enabled"], msg) if {
	some type in {"aws_elasticsearch_domain", "aws_opensearch_domain"}
	some rc in lib.resources(type)
	some b in lib.blocks(rc, "encrypt_at_rest")
	object.get(b.block, "enabled", null) == false
	msg := sprintf("%s stores indices unencrypted; set encrypt_at_rest { enabled = true }.", [lib.address(rc)])
}
