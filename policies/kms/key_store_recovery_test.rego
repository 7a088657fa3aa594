package oppie.rules.kms.key_store_recovery_test

import data.oppie.rules.kms.key_store_recovery as rule
import data.oppie.testing as t

test_key_vault_without_purge_protection_denied if {
	t.paths(rule.deny) == {["purge_protection_enabled"]} with input as t.plan([t.create("azurerm_key_vault", {"purge_protection_enabled": false})])
}

test_key_vault_with_purge_protection_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("azurerm_key_vault", {"purge_protection_enabled": true})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("azurerm_key_vault", {}, {"purge_protection_enabled": true})])
}

test_kms_short_deletion_window_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_kms_key", {"deletion_window_in_days": 7})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_kms_key", {"deletion_window_in_days": 30})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_kms_key", {"deletion_window_in_days": null})])
}
