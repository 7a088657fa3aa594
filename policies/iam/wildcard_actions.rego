# Wildcard actions ("s3:*", "iam:*") grant today's and every future action of a service, including destructive and
# privilege-escalating ones nobody meant to allow.
package oppie.rules.iam.wildcard_actions

import data.oppie.lib

# METADATA
# title: Wildcard IAM actions
# description: >-
#   An IAM policy statement allows a service-wide wildcard action such as "s3:*" or "iam:*", allows "*" on
#   specific resources, or uses NotAction with Allow. List the actions the workload needs. Full "*" on "*" is
#   reported by OPP-IAM-001.
# scope: rule
# custom:
#   id: OPP-IAM-002
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - CIS AWS 1.16
#     - SOC2 CC6.3
#   resource_types:
#     - aws_iam_policy
#     - aws_iam_role_policy
#     - aws_iam_user_policy
#     - aws_iam_group_policy
#     - aws_iam_role
deny contains result if {
	some f in _findings
	result := f
}

_policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

_documents contains [rc, ["policy"], doc] if {
	some type in _policy_types
	some rc in lib.resources(type)
	doc := lib.known_string(rc, ["policy"])
}

_documents contains [rc, ["inline_policy", b.index, "policy"], doc] if {
	some rc in lib.resources("aws_iam_role")
	some b in lib.blocks(rc, "inline_policy")
	doc := object.get(b.block, "policy", null)
	is_string(doc)
}

_findings contains lib.finding(rc, path, msg) if {
	some [rc, path, doc] in _documents
	some s in lib.policy_statements(doc)
	wildcards := sort([a | some a in lib.statement_actions(s.statement); _service_wildcard(a)])
	count(wildcards) > 0
	msg := sprintf("%s allows %s (statement %d); list the actions the workload needs.", [lib.address(rc), concat(", ", wildcards), s.index])
}

_findings contains lib.finding(rc, path, msg) if {
	some [rc, path, doc] in _documents
	some s in lib.policy_statements(doc)
	"*" in lib.statement_actions(s.statement)
	not "*" in lib.statement_resources(s.statement)
	msg := sprintf("%s allows every action on some resources (statement %d); list the actions needed.", [lib.address(rc), s.index])
}

_findings contains lib.finding(rc, path, msg) if {
	some [rc, path, doc] in _documents
	some s in lib.policy_statements(doc)
	object.get(s.statement, "Effect", "") == "Allow"
	s.statement.NotAction
	msg := sprintf("%s uses NotAction with Allow (statement %d), which allows everything else; list the allowed actions instead.", [lib.address(rc), s.index])
}

_service_wildcard(a) if {
	a != "*"
	endswith(a, ":*")
}
