# Permissions given to individual IAM users are hard to review and tend to outlive the person's role; grant them
# through groups or roles.
package oppie.rules.iam.user_policies

import data.oppie.lib

# METADATA
# title: Policies attached directly to IAM users
# description: >-
#   An inline policy or policy attachment targets an IAM user. Put users into groups and attach policies to the
#   groups, or let people assume roles.
# scope: rule
# custom:
#   id: OPP-IAM-004
#   severity: low
#   enforcement: advisory
#   controls:
#     - CIS AWS 1.15
#     - SOC2 CC6.3
#   resource_types:
#     - aws_iam_user_policy
#     - aws_iam_user_policy_attachment
#     - aws_iam_policy_attachment
warn contains result if {
	some f in _findings
	result := f
}

_findings contains lib.finding(rc, ["user"], msg) if {
	some type in {"aws_iam_user_policy", "aws_iam_user_policy_attachment"}
	some rc in lib.resources(type)
	msg := sprintf("%s gives permissions to a single IAM user; attach the policy to a group or role instead.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["users"], msg) if {
	some rc in lib.resources("aws_iam_policy_attachment")
	count(lib.collection(lib.known(rc, ["users"]))) > 0
	msg := sprintf("%s attaches a policy to IAM users; attach it to groups or roles instead.", [lib.address(rc)])
}
