# Machine disks hold application data, logs and credentials; unencrypted volumes leak them through snapshots and
# decommissioned hardware.
package oppie.rules.encryption.disk_encryption

import data.oppie.lib

# METADATA
# title: Unencrypted instance disks
# description: >-
#   A machine disk or block volume is not encrypted at rest: oppie_instance disk_encrypted = false, an EBS volume,
#   root or EBS block device of an instance, launch template or launch configuration with encrypted = false, or
#   EBS default encryption switched off for the account. Google and Azure disks are always encrypted by the platform.
# scope: rule
# custom:
#   id: OPP-ENC-001
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 2.2.1
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_instance
#     - aws_instance
#     - aws_ebs_volume
#     - aws_launch_template
#     - aws_launch_configuration
#     - aws_ebs_encryption_by_default
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["disk_encrypted"], msg) if {
	some rc in lib.resources("oppie_instance")
	lib.known_false(rc, ["disk_encrypted"])
	msg := sprintf("%s has an unencrypted disk; set disk_encrypted = true.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["encrypted"], msg) if {
	some rc in lib.resources("aws_ebs_volume")
	lib.known_false(rc, ["encrypted"])
	msg := sprintf("%s is not encrypted; set encrypted = true (optionally with kms_key_id).", [lib.address(rc)])
}

_findings contains lib.finding(rc, [device, b.index, "encrypted"], msg) if {
	some type in {"aws_instance", "aws_launch_configuration"}
	some rc in lib.resources(type)
	some device in ["root_block_device", "ebs_block_device"]
	some b in lib.blocks(rc, device)
	object.get(b.block, "encrypted", null) == false
	msg := sprintf("%s has an unencrypted %s; set encrypted = true.", [lib.address(rc), device])
}

# Launch templates keep `encrypted` as a string ("true", "false" or "").
_findings contains lib.finding(rc, ["block_device_mappings", m.index, "ebs", e_index, "encrypted"], msg) if {
	some rc in lib.resources("aws_launch_template")
	some m in lib.blocks(rc, "block_device_mappings")
	some e_index, ebs in lib.collection(object.get(m.block, "ebs", []))
	is_object(ebs)
	object.get(ebs, "encrypted", null) in {false, "false"}
	msg := sprintf("%s maps an unencrypted EBS volume; set encrypted = \"true\".", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["enabled"], msg) if {
	some rc in lib.resources("aws_ebs_encryption_by_default")
	lib.known_false(rc, ["enabled"])
	msg := sprintf("%s switches EBS default encryption off; set enabled = true.", [lib.address(rc)])
}
