# Versioning keeps overwritten and deleted objects recoverable, the first line of defence against accidental
# deletes and ransomware.
package oppie.rules.storage.bucket_versioning

import data.oppie.lib

# METADATA
# title: Bucket versioning disabled
# description: >-
#   Object versioning is off: oppie_bucket versioning = false, an aws_s3_bucket_versioning status of Suspended or
#   Disabled, a legacy aws_s3_bucket versioning block that is disabled (and no aws_s3_bucket_versioning resource in
#   the plan), a google_storage_bucket without versioning, or an Azure storage account without blob versioning.
# scope: rule
# custom:
#   id: OPP-STO-003
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 A1.2
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_bucket
#     - aws_s3_bucket
#     - aws_s3_bucket_versioning
#     - google_storage_bucket
#     - azurerm_storage_account
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["versioning"], msg) if {
	some rc in lib.resources("oppie_bucket")
	lib.known_false(rc, ["versioning"])
	msg := sprintf("%s keeps no object versions; set versioning = true.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["versioning_configuration", b.index, "status"], msg) if {
	some rc in lib.resources("aws_s3_bucket_versioning")
	some b in lib.blocks(rc, "versioning_configuration")
	status := object.get(b.block, "status", null)
	status in {"Suspended", "Disabled"}
	msg := sprintf("%s sets versioning to %s; set status = \"Enabled\".", [lib.address(rc), status])
}

# The inline block of AWS provider v3 only counts in a complete plan without a separate versioning resource, since
# provider v4+ moves versioning to aws_s3_bucket_versioning.
_findings contains lib.finding(rc, ["versioning", b.index, "enabled"], msg) if {
	lib.is_complete_plan
	some rc in lib.resources("aws_s3_bucket")
	some b in lib.blocks(rc, "versioning")
	object.get(b.block, "enabled", null) == false
	not _has_versioning_resource
	msg := sprintf("%s keeps no object versions; add an aws_s3_bucket_versioning with status = \"Enabled\".", [lib.address(rc)])
}

_has_versioning_resource if {
	some rc in lib.all_resources_of("aws_s3_bucket_versioning")
}

_findings contains lib.finding(rc, ["versioning"], msg) if {
	some rc in lib.resources("google_storage_bucket")
	lib.known_empty(rc, ["versioning"])
	msg := sprintf("%s keeps no object versions; add versioning { enabled = true }.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["versioning", b.index, "enabled"], msg) if {
	some rc in lib.resources("google_storage_bucket")
	some b in lib.blocks(rc, "versioning")
	object.get(b.block, "enabled", null) == false
	msg := sprintf("%s keeps no object versions; set versioning { enabled = true }.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["blob_properties", b.index, "versioning_enabled"], msg) if {
	some rc in lib.resources("azurerm_storage_account")
	some b in lib.blocks(rc, "blob_properties")
	object.get(b.block, "versioning_enabled", null) == false
	msg := sprintf("%s keeps no blob versions; set blob_properties { versioning_enabled = true }.", [lib.address(rc)])
}
