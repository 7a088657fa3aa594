# Rotating encryption keys limits how much data one compromised key version exposes; every provider can do it
# automatically, so it only has to be switched on.
package oppie.rules.kms.key_rotation

import data.oppie.lib

# METADATA
# title: Encryption key rotation off
# description: >-
#   A customer-managed symmetric key does not rotate automatically: an oppie_key with rotation_days = 0, an
#   aws_kms_key with enable_key_rotation = false, a google_kms_crypto_key without rotation_period or rotating
#   less often than config.max_key_rotation_days (default 90), or an azurerm_key_vault_key without a
#   rotation_policy.
# scope: rule
# custom:
#   id: OPP-KMS-001
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 3.8
#     - CIS GCP 1.10
#     - CIS Azure 8.8
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_key
#     - aws_kms_key
#     - google_kms_crypto_key
#     - azurerm_key_vault_key
deny contains result if {
	some f in _findings
	result := f
}

# Asymmetric and HMAC keys cannot rotate automatically.
_findings contains lib.finding(rc, ["enable_key_rotation"], msg) if {
	some rc in lib.resources("aws_kms_key")
	lib.known_false(rc, ["enable_key_rotation"])
	lib.value_or(rc, ["customer_master_key_spec"], null) in {null, "SYMMETRIC_DEFAULT"}
	msg := sprintf("%s does not rotate; set enable_key_rotation = true.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["rotation_period"], msg) if {
	some rc in lib.resources("google_kms_crypto_key")
	_google_symmetric(rc)
	lib.known_empty(rc, ["rotation_period"])
	msg := sprintf("%s does not rotate; set rotation_period to at most %vs.", [lib.address(rc), _max_seconds])
}

_findings contains lib.finding(rc, ["rotation_period"], msg) if {
	some rc in lib.resources("google_kms_crypto_key")
	_google_symmetric(rc)
	period := lib.known_string(rc, ["rotation_period"])
	regex.match(`^[0-9]+(\.[0-9]+)?s$`, period)
	to_number(trim_suffix(period, "s")) > _max_seconds
	msg := sprintf("%s rotates every %s; rotate at least every %v days (rotation_period <= %vs).", [
		lib.address(rc), period, lib.config_number("max_key_rotation_days"), _max_seconds,
	])
}

_max_seconds := lib.config_number("max_key_rotation_days") * 86400

_google_symmetric(rc) if lib.value_or(rc, ["purpose"], null) in {null, "ENCRYPT_DECRYPT"}

_findings contains lib.finding(rc, ["rotation_policy"], msg) if {
	some rc in lib.resources("azurerm_key_vault_key")
	lib.known_empty(rc, ["rotation_policy"])
	msg := sprintf("%s has no rotation_policy; add one with automatic rotation.", [lib.address(rc)])
}

# The provider's default (365 days) rotates on every cloud; 0 turns rotation off.
_findings contains lib.finding(rc, ["rotation_days"], msg) if {
	some rc in lib.resources("oppie_key")
	lib.known_number(rc, ["rotation_days"]) == 0
	msg := sprintf("%s does not rotate; set rotation_days to the days between rotations (the default is 365).", [lib.address(rc)])
}
