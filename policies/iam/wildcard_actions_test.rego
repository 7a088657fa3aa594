package oppie.rules.iam.wildcard_actions_test

import data.oppie.rules.iam.wildcard_actions as rule
import data.oppie.testing as t

policy(statements) := json.marshal({"Version": "2012-10-17", "Statement": statements})

test_service_wildcard_denied if {
	doc := policy([{"Effect": "Allow", "Action": ["s3:*", "ec2:DescribeInstances", "iam:*"], "Resource": "*"}])
	results := rule.deny with input as t.plan([t.create("aws_iam_policy", {"policy": doc})])
	t.paths(results) == {["policy"]}
	some r in results
	contains(r.msg, "iam:*, s3:*")
}

test_specific_actions_pass if {
	doc := policy([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_iam_policy", {"policy": doc})])
}

test_star_on_specific_resource_denied if {
	doc := policy([{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}])
	count(rule.deny) == 1 with input as t.plan([t.create("aws_iam_role_policy", {"policy": doc})])
}

test_not_action_denied if {
	doc := policy([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}])
	count(rule.deny) == 1 with input as t.plan([t.create("aws_iam_user_policy", {"policy": doc})])
}

test_deny_wildcard_passes if {
	doc := policy([{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_iam_policy", {"policy": doc})])
}

test_unknown_policy_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_iam_policy", {}, {"policy": true})])
}
