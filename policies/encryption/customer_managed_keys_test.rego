package oppie.rules.encryption.customer_managed_keys_test

import data.oppie.rules.encryption.customer_managed_keys as rule
import data.oppie.testing as t

test_oppie_bucket_without_key_warned if {
	t.paths(rule.warn) == {["kms_key_id"]} with input as t.plan([t.create("oppie_bucket", {"encrypted": true, "kms_key_id": null})])
}

test_oppie_bucket_with_key_or_unknown_key_passes if {
	count(rule.warn) == 0 with input as t.plan([t.create("oppie_bucket", {"encrypted": true, "kms_key_id": "arn:aws:kms:k"})])
	count(rule.warn) == 0 with input as t.plan([t.create_unknown("oppie_bucket", {"encrypted": true}, {"kms_key_id": true})])
}

test_s3_sse_s3_warned_kms_passes if {
	aes := t.create("aws_s3_bucket_server_side_encryption_configuration", {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]})
	t.paths(rule.warn) == {["rule", 0, "apply_server_side_encryption_by_default", 0, "sse_algorithm"]} with input as t.plan([aes])
	kms := t.create("aws_s3_bucket_server_side_encryption_configuration", {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]})
	count(rule.warn) == 0 with input as t.plan([kms])
}

test_gcs_and_azure if {
	count(rule.warn) == 1 with input as t.plan([t.create("google_storage_bucket", {"encryption": []})])
	count(rule.warn) == 0 with input as t.plan([t.create("google_storage_bucket", {"encryption": [{"default_kms_key_name": "k"}]})])
	count(rule.warn) == 1 with input as t.plan([t.create("azurerm_storage_account", {"customer_managed_key": []})])
	count(rule.warn) == 0 with input as t.plan([t.create_unknown("azurerm_storage_account", {}, {"customer_managed_key": true})])
}

test_no_advice_the_provider_refuses_on_azure if {
	count(rule.warn) == 0 with input as t.plan([t.create("oppie_bucket", {"name": "shop-dev-img", "cloud": "azure", "encrypted": true, "kms_key_id": null})])
	count(rule.warn) == 1 with input as t.plan([t.create("oppie_bucket", {"name": "shop-dev-img", "cloud": "aws", "encrypted": true, "kms_key_id": null})])
}
