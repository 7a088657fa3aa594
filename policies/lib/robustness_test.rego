# Robustness of every rule against odd plan content: values of the wrong type, nulls, lists of nulls, wholly
# unknown objects and broken documents must give no finding or a finding, never an evaluation error (regorus
# aborts a whole evaluation on a builtin type error or on iterating a non-collection).
# When you add a rule, add its deny/warn set to `rule_sets`.
package oppie.robustness_test

import data.oppie.testing as t

# rule_sets: the result set of every rule of the library.
rule_sets := [
	data.oppie.rules.cost.budget.deny,
	data.oppie.rules.encryption.customer_managed_keys.warn,
	data.oppie.rules.encryption.database_encryption.deny,
	data.oppie.rules.encryption.disk_encryption.deny,
	data.oppie.rules.encryption.messaging_encryption.warn,
	data.oppie.rules.encryption.storage_encryption.deny,
	data.oppie.rules.encryption.transport_encryption.deny,
	data.oppie.rules.iam.admin_privileges.deny,
	data.oppie.rules.iam.basic_roles.deny,
	data.oppie.rules.iam.user_policies.warn,
	data.oppie.rules.iam.wildcard_actions.deny,
	data.oppie.rules.kms.key_rotation.deny,
	data.oppie.rules.kms.key_store_recovery.deny,
	data.oppie.rules.logging.bucket_access_logging.warn,
	data.oppie.rules.logging.cloudtrail.deny,
	data.oppie.rules.logging.network_flow_logs.deny,
	data.oppie.rules.naming.name_matches_tags.deny,
	data.oppie.rules.naming.naming_convention.deny,
	data.oppie.rules.network.all_ports_open_to_world.deny,
	data.oppie.rules.network.database_ports_open_to_world.deny,
	data.oppie.rules.network.database_publicly_accessible.deny,
	data.oppie.rules.network.instance_public_ip.warn,
	data.oppie.rules.network.rdp_open_to_world.deny,
	data.oppie.rules.network.ssh_open_to_world.deny,
	data.oppie.rules.network.subnet_public_ip_on_launch.warn,
	data.oppie.rules.regions.allowed_regions.deny,
	data.oppie.rules.resilience.backup_retention.deny,
	data.oppie.rules.resilience.deletion_protection.deny,
	data.oppie.rules.resilience.force_destroy.deny,
	data.oppie.rules.sizing.database_size_per_tier.deny,
	data.oppie.rules.sizing.instance_size_per_tier.deny,
	data.oppie.rules.storage.bucket_public_access.deny,
	data.oppie.rules.storage.bucket_versioning.deny,
	data.oppie.rules.storage.public_access_guardrails.deny,
	data.oppie.rules.tagging.environment_tag_value.deny,
	data.oppie.rules.tagging.mandatory_tags.deny,
	data.oppie.rules.tagging.tag_key_spelling.warn,
]

# covered_types: every resource type a rule or the library reads.
covered_types := [
	"aws_alb", "aws_autoscaling_group", "aws_cloudtrail",
	"aws_cloudwatch_log_group", "aws_db_instance", "aws_default_security_group",
	"aws_default_subnet", "aws_dms_replication_instance", "aws_docdb_cluster",
	"aws_dynamodb_table", "aws_ebs_encryption_by_default", "aws_ebs_volume",
	"aws_ec2_transit_gateway", "aws_ecr_repository", "aws_ecs_cluster",
	"aws_ecs_service", "aws_efs_file_system", "aws_eip",
	"aws_eks_cluster", "aws_eks_node_group", "aws_elasticache_cluster",
	"aws_elasticache_replication_group", "aws_elasticsearch_domain", "aws_flow_log",
	"aws_iam_group_policy", "aws_iam_group_policy_attachment", "aws_iam_policy",
	"aws_iam_policy_attachment", "aws_iam_role", "aws_iam_role_policy",
	"aws_iam_role_policy_attachment", "aws_iam_user", "aws_iam_user_policy",
	"aws_iam_user_policy_attachment", "aws_instance", "aws_internet_gateway",
	"aws_kms_key", "aws_lambda_function", "aws_launch_configuration",
	"aws_launch_template", "aws_lb", "aws_lb_target_group",
	"aws_nat_gateway", "aws_neptune_cluster", "aws_network_interface",
	"aws_opensearch_domain", "aws_rds_cluster", "aws_rds_cluster_instance",
	"aws_redshift_cluster", "aws_route_table", "aws_s3_account_public_access_block",
	"aws_s3_bucket", "aws_s3_bucket_acl", "aws_s3_bucket_logging",
	"aws_s3_bucket_policy", "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
	"aws_s3_bucket_versioning", "aws_secretsmanager_secret", "aws_security_group",
	"aws_security_group_rule", "aws_sns_topic", "aws_sqs_queue",
	"aws_subnet", "aws_vpc", "aws_vpc_endpoint",
	"aws_vpc_security_group_ingress_rule", "azurerm_application_gateway", "azurerm_availability_set",
	"azurerm_container_registry", "azurerm_cosmosdb_account", "azurerm_databricks_workspace",
	"azurerm_express_route_circuit", "azurerm_express_route_gateway", "azurerm_express_route_port",
	"azurerm_function_app", "azurerm_key_vault", "azurerm_key_vault_key",
	"azurerm_kubernetes_cluster", "azurerm_lb", "azurerm_linux_virtual_machine",
	"azurerm_linux_virtual_machine_scale_set", "azurerm_linux_web_app", "azurerm_log_analytics_workspace",
	"azurerm_managed_disk", "azurerm_mariadb_firewall_rule", "azurerm_mssql_database",
	"azurerm_mssql_firewall_rule", "azurerm_mssql_server", "azurerm_mysql_firewall_rule",
	"azurerm_mysql_flexible_server", "azurerm_mysql_flexible_server_firewall_rule", "azurerm_network_interface",
	"azurerm_network_security_group", "azurerm_network_security_rule", "azurerm_postgresql_firewall_rule",
	"azurerm_postgresql_flexible_server", "azurerm_postgresql_flexible_server_firewall_rule", "azurerm_postgresql_server",
	"azurerm_private_dns_zone", "azurerm_private_endpoint", "azurerm_public_ip",
	"azurerm_redis_cache", "azurerm_resource_group", "azurerm_role_definition",
	"azurerm_service_plan", "azurerm_sql_firewall_rule", "azurerm_storage_account",
	"azurerm_storage_container", "azurerm_subnet", "azurerm_virtual_hub",
	"azurerm_virtual_machine", "azurerm_virtual_network", "azurerm_virtual_wan",
	"azurerm_windows_virtual_machine", "azurerm_windows_virtual_machine_scale_set", "azurerm_windows_web_app",
	"google_artifact_registry_repository", "google_bigquery_dataset", "google_bigquery_table",
	"google_cloud_run_v2_service", "google_cloudfunctions2_function", "google_cloudfunctions_function",
	"google_compute_address", "google_compute_disk", "google_compute_firewall",
	"google_compute_forwarding_rule", "google_compute_global_address", "google_compute_image",
	"google_compute_instance", "google_compute_instance_template", "google_compute_network",
	"google_compute_snapshot", "google_compute_subnetwork", "google_container_cluster",
	"google_dataproc_cluster", "google_filestore_instance", "google_folder_iam_binding",
	"google_folder_iam_member", "google_kms_crypto_key", "google_organization_iam_binding",
	"google_organization_iam_member", "google_project_iam_binding", "google_project_iam_member",
	"google_pubsub_subscription", "google_pubsub_topic", "google_redis_instance",
	"google_secret_manager_secret", "google_sql_database_instance", "google_storage_bucket",
	"google_storage_bucket_acl", "google_storage_bucket_iam_binding", "google_storage_bucket_iam_member",
	"oppie_bucket", "oppie_database", "oppie_firewall",
	"oppie_instance", "oppie_network", "oppie_subnet",
]

# attributes: every attribute name a rule or the library reads (and some other words, which do no harm).
attributes := [
	"access", "access_config", "access_control_policy", "acl", "actions", "add",
	"address", "after", "after_sensitive", "after_unknown", "all", "allow",
	"allow_blob_public_access", "allow_nested_items_to_be_public", "allowed_regions", "any", "apply_server_side_encryption_by_default", "asia",
	"asia1", "associate_public_ip_address", "at_rest_encryption_enabled", "authorized_networks", "availability_zone", "aws",
	"aws_", "azure", "azurerm_", "backup_configuration", "backup_retention_days", "backup_retention_period",
	"backup_retention_settings", "before", "blob", "blob_properties", "block", "block_device_mappings",
	"block_public_acls", "block_public_policy", "bucket", "change", "check_unchanged", "child_modules",
	"cidr_blocks", "cidr_ipv4", "cidr_ipv6", "cloud", "cluster_identifier", "config",
	"container", "container_access_type", "cost_center", "create", "customer_managed_key", "customer_master_key_spec",
	"database_ports", "delete", "deletion_protection", "deletion_protection_enabled", "deletion_window_in_days", "destination_port_range",
	"destination_port_ranges", "dev", "direction", "disable_api_termination", "disabled", "disk_encrypted",
	"eastus", "ebs", "ebs_block_device", "enable_deletion_protection", "enable_https_traffic_only", "enable_key_rotation",
	"enable_log_file_validation", "enabled", "encrypt_at_rest", "encrypted", "encryption", "end_ip_address",
	"eni_id", "environment", "environments", "eu", "eur4", "eur5",
	"eur7", "eur8", "extra_allowed_regions", "false", "flow_logs", "force_destroy",
	"from_port", "function_name", "gcp", "germanywestcentral", "global", "google",
	"google_", "grant", "grantee", "https_traffic_only_enabled", "icmp", "icmpv6",
	"id", "identifier", "ignore_public_acls", "inbound", "index", "ingress",
	"inherited", "inline_policy", "instance_class", "instance_type", "internet", "ip_configuration",
	"ip_protocol", "ipv6_cidr_blocks", "is_multi_region_trail", "key", "kms_key_id", "kms_master_key_id",
	"l", "label", "labels", "large", "location", "log_config",
	"logging", "logging_bucket", "m", "machine_type", "managed", "mandatory_tags",
	"map_public_ip_on_launch", "master_instance_name", "max_key_rotation_days", "medium", "member", "members",
	"micro", "min_backup_retention_days", "min_tls_version", "mode", "msg", "nam4",
	"name", "naming_pattern", "nano", "network_interface", "network_interfaces", "node_type",
	"op", "oppie", "oppie_", "oppie_absent", "oppie_unknown", "owner",
	"path", "permission", "permissions", "policy", "policy_arn", "port_ranges",
	"ports", "prod", "project", "protected_environments", "protocol", "provider",
	"provider_name", "public", "public_access_prevention", "public_ip", "public_ip_address_id", "publicly_accessible",
	"purge_protection_enabled", "purpose", "rc", "region", "region_catalog", "replace",
	"replicate_source_db", "require_ssl", "resource", "resource_labels", "resources", "restrict_public_buckets",
	"retained_backups", "retention_days", "retention_unit", "role", "role_entity", "root_block_device",
	"rotation_period", "rotation_policy", "rule", "s", "security_rule", "sensitive_values",
	"service", "settings", "short_term_retention_policy", "size", "sizes_per_tier", "sku",
	"sku_name", "small", "source_address_prefix", "source_address_prefixes", "source_ranges", "source_service_accounts",
	"source_tags", "sources", "southeastasia", "sqs_managed_sse_enabled", "sse_algorithm", "ssl_mode",
	"staging", "start_ip_address", "statement", "status", "storage_encrypted", "subnet_id",
	"tag", "tags", "tags_all", "target_bucket", "tcp", "terraform_labels",
	"tier", "to_port", "transit_gateway_id", "true", "type", "udp",
	"uniform_bucket_level_access", "unset", "update", "uri", "us", "user",
	"user_labels", "users", "value", "values", "versioning", "versioning_configuration",
	"versioning_enabled", "vm_size", "vpc_id", "westeurope", "westus2", "world_sources",
	"xl", "xlarge", "xs", "zone",
]

# doc_with(value, unknown): a plan creating one resource of every covered type, every attribute set to value.
doc_with(value, unknown) := t.plan([rc |
	some type in covered_types
	rc := t.change(type, "odd", ["create"], {a: value | some a in attributes}, unknown)
])

evaluates(doc) if {
	sets := rule_sets with input as doc
	count(sets) == count(rule_sets)
}

test_strings_everywhere if evaluates(doc_with("x", {}))

test_numbers_everywhere if evaluates(doc_with(-1, {}))

test_booleans_everywhere if evaluates(doc_with(true, {}))

test_nulls_everywhere if evaluates(doc_with(null, {}))

test_lists_of_nulls_everywhere if evaluates(doc_with([null, "x", 3], {}))

test_objects_of_nulls_everywhere if evaluates(doc_with({"x": null, "enabled": "false"}, {}))

test_lists_of_odd_objects_everywhere if evaluates(doc_with([{"x": null}, {"protocol": 6, "ports": 22, "sources": "0.0.0.0/0"}], {}))

test_everything_unknown if evaluates(doc_with(null, true))

test_every_attribute_unknown if evaluates(doc_with(null, {a: true | some a in attributes}))

test_broken_documents if {
	evaluates({"resource_changes": null})
	evaluates({"resource_changes": [null, 1, "x", {"mode": "managed"}, {"mode": "managed", "type": 5, "change": {}}]})
	evaluates({"resource_changes": [{"mode": "managed", "type": "oppie_firewall", "name": "x", "change": {"actions": "create", "after": "x", "after_unknown": "y"}}]})
	evaluates({"values": {"root_module": {"resources": [null, {"mode": "managed"}], "child_modules": "x"}}})
	evaluates({"configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": 5}}}}}, "resource_changes": []})
	evaluates({"configuration": {"provider_config": null}, "resource_changes": []})
	evaluates("not an object")
	evaluates([])
}

tiered := t.plan([
	t.create("oppie_database", {"name": "shop-prod-db-main", "size": "xs", "backup_retention_days": 1, "tags": t.good_tags}),
	t.create("oppie_instance", {"name": "shop-dev-api-vm", "size": "xl", "tags": t.tags_for("dev")}),
	t.create("google_kms_crypto_key", {"rotation_period": "999999999s", "purpose": "ENCRYPT_DECRYPT"}),
	t.create("aws_instance", {"availability_zone": "sa-east-1a", "tags": {"environment": "qa", "Owner": "x"}}),
	t.create("oppie_firewall", {"ingress": [{"protocol": "tcp", "ports": "1-9999", "sources": ["0.0.0.0/0"]}]}),
])

test_odd_config_values_on_tiered_resources if {
	cfg := {
		"mandatory_tags": [1, null], "environments": "dev", "protected_environments": 7, "allowed_regions": {"a": 1},
		"sizes_per_tier": {"dev": "s", "prod": [1]}, "min_backup_retention_days": "7", "max_key_rotation_days": [90],
		"naming_pattern": 5, "world_sources": null, "database_ports": "5432", "region_catalog": {"us-east": "x"},
	}
	sets := rule_sets with input as tiered with data.oppie.config as cfg
	count(sets) == count(rule_sets)
}

test_default_config_on_tiered_resources_finds_problems if {
	sets := rule_sets with input as tiered
	count([s | some s in sets; count(s) > 0]) >= 5
}

test_odd_config_values if {
	doc := doc_with("x", {})
	cfg := {"mandatory_tags": "x", "environments": 5, "allowed_regions": null, "region_catalog": [], "sizes_per_tier": {"dev": "s"}, "database_ports": ["22"]}
	sets := rule_sets with input as doc with data.oppie.config as cfg
	count(sets) == count(rule_sets)
}
