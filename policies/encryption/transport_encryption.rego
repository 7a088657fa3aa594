# Data must be encrypted on the wire too: storage endpoints and databases that accept plain HTTP or old TLS
# expose credentials and data to anyone on the path.
package oppie.rules.encryption.transport_encryption

import data.oppie.lib

# METADATA
# title: Unencrypted or weakly encrypted transport
# description: >-
#   An Azure storage account accepts plain HTTP or TLS older than 1.2, a Cloud SQL instance accepts unencrypted
#   connections, or an oppie_cache or ElastiCache replication group turns TLS between clients and the cache off.
#   Require HTTPS/TLS 1.2, SSL-only database connections and TLS to caches.
# scope: rule
# custom:
#   id: OPP-ENC-006
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS Azure 3.1
#     - CIS Azure 3.15
#     - CIS GCP 6.4
#     - SOC2 CC6.7
#   resource_types:
#     - azurerm_storage_account
#     - google_sql_database_instance
#     - oppie_cache
#     - aws_elasticache_replication_group
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, [attr], msg) if {
	some rc in lib.resources("azurerm_storage_account")
	some attr in ["https_traffic_only_enabled", "enable_https_traffic_only"]
	lib.known_false(rc, [attr])
	msg := sprintf("%s accepts plain HTTP; set %s = true.", [lib.address(rc), attr])
}

_findings contains lib.finding(rc, ["min_tls_version"], msg) if {
	some rc in lib.resources("azurerm_storage_account")
	version := lib.known_string(rc, ["min_tls_version"])
	version in {"TLS1_0", "TLS1_1"}
	msg := sprintf("%s accepts %s; set min_tls_version = \"TLS1_2\".", [lib.address(rc), version])
}

_findings contains lib.finding(rc, path, msg) if {
	some rc in lib.resources("google_sql_database_instance")
	some s in lib.blocks(rc, "settings")
	some i, ipc in lib.collection(object.get(s.block, "ip_configuration", []))
	is_object(ipc)
	some attr in ["ssl_mode", "require_ssl"]
	_plaintext_allowed(attr, object.get(ipc, attr, null))
	path := ["settings", s.index, "ip_configuration", i, attr]
	msg := sprintf("%s accepts unencrypted connections; set ssl_mode = \"ENCRYPTED_ONLY\" (or \"TRUSTED_CLIENT_CERTIFICATE_REQUIRED\").", [lib.address(rc)])
}

_plaintext_allowed("ssl_mode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED") := true

_plaintext_allowed("require_ssl", false) := true

# Caches carry session tokens and cached rows; without TLS anyone on the network path reads them.
_cache_tls := {"oppie_cache": "transit_encryption", "aws_elasticache_replication_group": "transit_encryption_enabled"}

_findings contains lib.finding(rc, [attr], msg) if {
	some type, attr in _cache_tls
	some rc in lib.resources(type)
	lib.known_false(rc, [attr])
	msg := sprintf("%s talks to clients without TLS; set %s = true.", [lib.address(rc), attr])
}
