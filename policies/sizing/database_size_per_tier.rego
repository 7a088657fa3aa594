# Database instance classes must fit the environment tier, for the same cost and capacity reasons as machines;
# databases are usually the largest line on the bill.
package oppie.rules.sizing.database_size_per_tier

import data.oppie.lib

# METADATA
# title: Database size not allowed for the environment
# description: >-
#   A database or cache node's size class (catalog key, or native class such as db.r6g.xlarge, db-custom-2-7680 or
#   GP_Standard_D4s_v3 mapped onto a class) is not in config.sizes_per_tier for its environment tier.
# scope: rule
# custom:
#   id: OPP-SIZ-002
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 CC3.2
#   resource_types:
#     - oppie_database
#     - aws_db_instance
#     - aws_rds_cluster_instance
#     - aws_elasticache_cluster
#     - google_sql_database_instance
#     - azurerm_postgresql_flexible_server
#     - azurerm_mysql_flexible_server
deny contains result if {
	some type, path in _size_paths
	# The library's facts (environment included) for the type's resources, worked out once for every rule.
	some f in object.get(lib.subject_facts_by_type, type, [])
	rc := f.rc
	size := lib.known_string(rc, path)
	class := object.get(_classes, size, null)
	class != null
	env := f.environment
	allowed := lib.allowed_sizes(env)
	not class in allowed
	msg := sprintf("%s uses database size %q (class %s), which %s does not allow; use one of the classes %s.", [
		lib.address(rc), size, class, env, concat(", ", allowed),
	])
	result := lib.finding(rc, path, msg)
}

_size_paths := {
	"oppie_database": ["size"],
	"aws_db_instance": ["instance_class"],
	"aws_rds_cluster_instance": ["instance_class"],
	"aws_elasticache_cluster": ["node_type"],
	"google_sql_database_instance": ["settings", 0, "tier"],
	"azurerm_postgresql_flexible_server": ["sku_name"],
	"azurerm_mysql_flexible_server": ["sku_name"],
}

# _classes: the size class of every size the input uses, worked out once per size rather than once per resource.
_classes := {size: class |
	some size in {size |
		some type, path in _size_paths
		some rc in lib.resources(type)
		size := lib.known_string(rc, path)
	}
	class := lib.size_class(size)
}
