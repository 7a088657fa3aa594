package oppie.rules.storage.bucket_versioning_test

import data.oppie.rules.storage.bucket_versioning as rule
import data.oppie.testing as t

test_oppie_bucket_without_versioning_denied if {
	t.paths(rule.deny) == {["versioning"]} with input as t.plan([t.create("oppie_bucket", {"versioning": false})])
}

test_oppie_bucket_with_versioning_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_bucket", {"versioning": true})])
}

test_oppie_bucket_unknown_versioning_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("oppie_bucket", {}, {"versioning": true})])
}

test_s3_versioning_resource_suspended_denied if {
	doc := t.plan([t.create("aws_s3_bucket_versioning", {"versioning_configuration": [{"status": "Suspended"}]})])
	t.paths(rule.deny) == {["versioning_configuration", 0, "status"]} with input as doc
	enabled := t.plan([t.create("aws_s3_bucket_versioning", {"versioning_configuration": [{"status": "Enabled"}]})])
	count(rule.deny) == 0 with input as enabled
}

test_s3_legacy_inline_versioning if {
	bucket := t.create("aws_s3_bucket", {"bucket": "b", "versioning": [{"enabled": false, "mfa_delete": false}]})
	count(rule.deny) == 1 with input as t.complete_plan([bucket])
	resource := t.create_unknown("aws_s3_bucket_versioning", {"versioning_configuration": [{"status": "Enabled"}]}, {"bucket": true})
	count(rule.deny) == 0 with input as t.complete_plan([bucket, resource])
	# A one-resource plan-time document cannot see a separate versioning resource, so it stays silent.
	count(rule.deny) == 0 with input as t.plan([bucket])
}

test_gcs_bucket_versioning if {
	count(rule.deny) == 1 with input as t.plan([t.create("google_storage_bucket", {"versioning": []})])
	count(rule.deny) == 1 with input as t.plan([t.create("google_storage_bucket", {"versioning": [{"enabled": false}]})])
	count(rule.deny) == 0 with input as t.plan([t.create("google_storage_bucket", {"versioning": [{"enabled": true}]})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("google_storage_bucket", {}, {"versioning": true})])
}

test_azure_blob_versioning if {
	off := t.create("azurerm_storage_account", {"blob_properties": [{"versioning_enabled": false}]})
	t.paths(rule.deny) == {["blob_properties", 0, "versioning_enabled"]} with input as t.plan([off])
	on := t.create("azurerm_storage_account", {"blob_properties": [{"versioning_enabled": true}]})
	count(rule.deny) == 0 with input as t.plan([on])
}
