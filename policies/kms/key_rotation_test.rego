package oppie.rules.kms.key_rotation_test

import data.oppie.rules.kms.key_rotation as rule
import data.oppie.testing as t

test_aws_key_without_rotation_denied if {
	doc := t.plan([t.create("aws_kms_key", {"enable_key_rotation": false, "customer_master_key_spec": "SYMMETRIC_DEFAULT"})])
	t.paths(rule.deny) == {["enable_key_rotation"]} with input as doc
}

test_aws_key_with_rotation_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("aws_kms_key", {"enable_key_rotation": true})])
}

test_aws_asymmetric_key_passes if {
	doc := t.plan([t.create("aws_kms_key", {"enable_key_rotation": false, "customer_master_key_spec": "RSA_2048"})])
	count(rule.deny) == 0 with input as doc
}

test_aws_unknown_rotation_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_kms_key", {}, {"enable_key_rotation": true})])
}

test_google_rotation_period if {
	count(rule.deny) == 1 with input as t.plan([t.create("google_kms_crypto_key", {"rotation_period": null, "purpose": "ENCRYPT_DECRYPT"})])
	count(rule.deny) == 1 with input as t.plan([t.create("google_kms_crypto_key", {"rotation_period": "31536000s", "purpose": "ENCRYPT_DECRYPT"})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_kms_crypto_key", {"rotation_period": "7776000s", "purpose": "ENCRYPT_DECRYPT"})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_kms_crypto_key", {"rotation_period": null, "purpose": "ASYMMETRIC_SIGN"})])
}

test_azure_key_rotation_policy if {
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_key_vault_key", {"rotation_policy": []})])
	count(rule.deny) == 0 with input as t.plan([t.create("azurerm_key_vault_key", {"rotation_policy": [{"expire_after": "P90D"}]})])
}

test_oppie_key_rotation_off_denied if {
	doc := t.plan([t.create("oppie_key", {"cloud": "aws", "rotation_days": 0})])
	t.paths(rule.deny) == {["rotation_days"]} with input as doc
}

test_oppie_key_default_rotation_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_key", {"cloud": "gcp", "rotation_days": 365})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("oppie_key", {}, {"rotation_days": true})])
}
