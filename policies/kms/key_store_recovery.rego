# A deleted key makes every object encrypted with it unreadable; key stores must keep deleted keys recoverable long
# enough to undo a mistake.
package oppie.rules.kms.key_store_recovery

import data.oppie.lib

# METADATA
# title: Keys can be purged without a recovery window
# description: >-
#   An Azure key vault has purge protection off, or an AWS KMS key is scheduled with a deletion window shorter
#   than 30 days when configured explicitly below it (the AWS default is 30). Keep deleted keys recoverable.
# scope: rule
# custom:
#   id: OPP-KMS-002
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - CIS Azure 8.5
#     - SOC2 A1.2
#   resource_types:
#     - azurerm_key_vault
#     - aws_kms_key
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["purge_protection_enabled"], msg) if {
	some rc in lib.resources("azurerm_key_vault")
	lib.known_false(rc, ["purge_protection_enabled"])
	msg := sprintf("%s can be purged right after deletion; set purge_protection_enabled = true.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["deletion_window_in_days"], msg) if {
	some rc in lib.resources("aws_kms_key")
	days := lib.known_number(rc, ["deletion_window_in_days"])
	days < 30
	msg := sprintf("%s can be deleted after %v days; set deletion_window_in_days = 30.", [lib.address(rc), days])
}
