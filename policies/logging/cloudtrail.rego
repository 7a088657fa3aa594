# CloudTrail is the account's audit log; it has to see every region, be tamper-evident and be encrypted, or an
# attacker works where nobody looks.
package oppie.rules.logging.cloudtrail

import data.oppie.lib

# METADATA
# title: CloudTrail trail incomplete
# description: >-
#   An aws_cloudtrail trail covers a single region, does not validate log files, or stores logs without a KMS key.
#   Set is_multi_region_trail = true, enable_log_file_validation = true and kms_key_id.
# scope: rule
# custom:
#   id: OPP-LOG-003
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 3.1
#     - CIS AWS 3.2
#     - CIS AWS 3.7
#     - SOC2 CC7.2
#   resource_types:
#     - aws_cloudtrail
deny contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["is_multi_region_trail"], msg) if {
	some rc in lib.resources("aws_cloudtrail")
	lib.known_false(rc, ["is_multi_region_trail"])
	msg := sprintf("%s records one region only; set is_multi_region_trail = true.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["enable_log_file_validation"], msg) if {
	some rc in lib.resources("aws_cloudtrail")
	lib.known_false(rc, ["enable_log_file_validation"])
	msg := sprintf("%s does not validate log files; set enable_log_file_validation = true.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["kms_key_id"], msg) if {
	some rc in lib.resources("aws_cloudtrail")
	lib.known_empty(rc, ["kms_key_id"])
	msg := sprintf("%s stores logs without a KMS key; set kms_key_id.", [lib.address(rc)])
}
