package oppie.rules.iam.user_policies_test

import data.oppie.rules.iam.user_policies as rule
import data.oppie.testing as t

test_user_policy_warned if {
	t.paths(rule.warn) == {["user"]} with input as t.plan([t.create("aws_iam_user_policy", {"user": "alice", "policy": "{}"})])
	count(rule.warn) == 1 with input as t.plan([t.create("aws_iam_user_policy_attachment", {"user": "alice", "policy_arn": "arn:x"})])
}

test_policy_attachment_to_users_warned_groups_pass if {
	to_users := t.create("aws_iam_policy_attachment", {"users": ["alice"], "groups": [], "roles": []})
	t.paths(rule.warn) == {["users"]} with input as t.plan([to_users])
	to_groups := t.create("aws_iam_policy_attachment", {"users": [], "groups": ["devs"], "roles": []})
	count(rule.warn) == 0 with input as t.plan([to_groups])
}

test_group_policy_passes if {
	count(rule.warn) == 0 with input as t.plan([t.create("aws_iam_group_policy", {"group": "devs", "policy": "{}"})])
}
