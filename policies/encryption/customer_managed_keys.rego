# Provider-managed keys protect against stolen disks but not against over-broad access inside the account; a
# customer-managed key adds a second, separately audited gate and allows crypto-shredding.
package oppie.rules.encryption.customer_managed_keys

import data.oppie.lib

# METADATA
# title: Bucket without a customer-managed key
# description: >-
#   A bucket is encrypted only with the provider-managed key: oppie_bucket without kms_key_id (except on Azure,
#   where the provider refuses it), an S3 default
#   encryption rule using AES256 (SSE-S3), a GCS bucket without an encryption block, or an Azure storage account
#   without a customer_managed_key. Use a KMS key you control for data that needs it.
# scope: rule
# custom:
#   id: OPP-ENC-004
#   severity: low
#   enforcement: advisory
#   controls:
#     - CIS Azure 3.12
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_bucket
#     - aws_s3_bucket_server_side_encryption_configuration
#     - google_storage_bucket
#     - azurerm_storage_account
warn contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["kms_key_id"], msg) if {
	some rc in lib.resources("oppie_bucket")
	# The provider refuses kms_key_id on Azure (it does not manage the Key Vault and identity that needs): no
	# advice the plan would then reject.
	not lib.cloud(rc) == "azure"
	not lib.known_false(rc, ["encrypted"])
	lib.known_empty(rc, ["kms_key_id"])
	msg := sprintf("%s uses the provider-managed key; set kms_key_id to a key you control.", [lib.address(rc)])
}

_findings contains lib.finding(rc, path, msg) if {
	some rc in lib.resources("aws_s3_bucket_server_side_encryption_configuration")
	some r in lib.blocks(rc, "rule")
	some d_index, d in lib.collection(object.get(r.block, "apply_server_side_encryption_by_default", []))
	is_object(d)
	object.get(d, "sse_algorithm", null) == "AES256"
	path := ["rule", r.index, "apply_server_side_encryption_by_default", d_index, "sse_algorithm"]
	msg := sprintf("%s uses SSE-S3 (AES256); use sse_algorithm = \"aws:kms\" with a customer-managed key.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["encryption"], msg) if {
	some rc in lib.resources("google_storage_bucket")
	lib.known_empty(rc, ["encryption"])
	msg := sprintf("%s uses a Google-managed key; add encryption { default_kms_key_name = ... }.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["customer_managed_key"], msg) if {
	some rc in lib.resources("azurerm_storage_account")
	lib.known_empty(rc, ["customer_managed_key"])
	msg := sprintf("%s uses a Microsoft-managed key; add a customer_managed_key block.", [lib.address(rc)])
}
