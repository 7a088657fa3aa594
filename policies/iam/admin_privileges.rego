# Full administrator rights ("*" on "*") turn any leaked credential or compromised workload into a takeover of
# the whole account.
package oppie.rules.iam.admin_privileges

import data.oppie.lib

# METADATA
# title: Full administrative privileges granted
# description: >-
#   An IAM policy allows Action "*" (or "*:*") on Resource "*", the AWS managed AdministratorAccess policy is
#   attached, or an Azure custom role definition allows actions "*". Grant the actions the workload needs on the
#   resources it uses.
# scope: rule
# custom:
#   id: OPP-IAM-001
#   severity: critical
#   enforcement: hard-mandatory
#   controls:
#     - CIS AWS 1.16
#     - CIS Azure 1.23
#     - SOC2 CC6.3
#   resource_types:
#     - aws_iam_policy
#     - aws_iam_role_policy
#     - aws_iam_user_policy
#     - aws_iam_group_policy
#     - aws_iam_role
#     - aws_iam_role_policy_attachment
#     - aws_iam_user_policy_attachment
#     - aws_iam_group_policy_attachment
#     - aws_iam_policy_attachment
#     - azurerm_role_definition
deny contains result if {
	some f in _findings
	result := f
}

_policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

_attachment_types := {
	"aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment",
	"aws_iam_policy_attachment",
}

_admin_policy_arns := {"arn:aws:iam::aws:policy/AdministratorAccess"}

# _documents: (rc, path, policy JSON) of every identity policy document in the plan, inline role policies included.
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
	some action in lib.statement_actions(s.statement)
	action in {"*", "*:*"}
	"*" in lib.statement_resources(s.statement)
	msg := sprintf("%s allows every action on every resource (statement %d); grant only the actions and resources needed.", [lib.address(rc), s.index])
}

_findings contains lib.finding(rc, ["policy_arn"], msg) if {
	some type in _attachment_types
	some rc in lib.resources(type)
	arn := lib.known_string(rc, ["policy_arn"])
	arn in _admin_policy_arns
	msg := sprintf("%s attaches %s; attach a policy limited to the actions needed.", [lib.address(rc), arn])
}

_findings contains lib.finding(rc, ["permissions", p.index, "actions"], msg) if {
	some rc in lib.resources("azurerm_role_definition")
	some p in lib.blocks(rc, "permissions")
	"*" in lib.collection(object.get(p.block, "actions", []))
	msg := sprintf("%s is a custom role allowing every action; list the actions the role needs.", [lib.address(rc)])
}
