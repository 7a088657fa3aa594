# Object stores and file shares must encrypt data at rest so that a copied disk or backup is useless to whoever
# holds it.
package oppie.rules.encryption.storage_encryption

import data.oppie.lib

# METADATA
# title: Unencrypted buckets and file systems
# description: >-
#   Object or file storage is not encrypted at rest: oppie_bucket encrypted = false, or an EFS file system with
#   encrypted = false. S3, GCS and Azure Storage encrypt every object by default and cannot be switched off, so
#   their buckets are not checked here (see OPP-ENC-004 for customer-managed keys).
# scope: rule
# custom:
#   id: OPP-ENC-002
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 2.1.1
#     - CIS AWS 2.4.1
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_bucket
#     - aws_efs_file_system
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["encrypted"], msg) if {
	some rc in lib.resources("oppie_bucket")
	lib.known_false(rc, ["encrypted"])
	msg := sprintf("%s is not encrypted at rest; set encrypted = true.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["encrypted"], msg) if {
	some rc in lib.resources("aws_efs_file_system")
	lib.known_false(rc, ["encrypted"])
	msg := sprintf("%s is not encrypted at rest; set encrypted = true (the file system must be re-created).", [lib.address(rc)])
}
