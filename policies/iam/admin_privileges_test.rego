package oppie.rules.iam.admin_privileges_test

import data.oppie.rules.iam.admin_privileges as rule
import data.oppie.testing as t

admin := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

scoped := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]})

test_admin_policy_denied if {
	t.paths(rule.deny) == {["policy"]} with input as t.plan([t.create("aws_iam_policy", {"policy": admin})])
}

test_scoped_policy_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("aws_iam_role_policy", {"policy": scoped})])
}

test_deny_statement_passes if {
	doc := json.marshal({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}})
	count(rule.deny) == 0 with input as t.plan([t.create("aws_iam_policy", {"policy": doc})])
}

test_star_action_on_one_resource_left_to_iam_002 if {
	doc := json.marshal({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}]})
	count(rule.deny) == 0 with input as t.plan([t.create("aws_iam_policy", {"policy": doc})])
}

test_unknown_or_invalid_policy_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_iam_policy", {}, {"policy": true})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_iam_policy", {"policy": "{not json"})])
}

test_inline_role_policy_denied if {
	doc := t.plan([t.create("aws_iam_role", {"inline_policy": [{"name": "a", "policy": admin}]})])
	t.paths(rule.deny) == {["inline_policy", 0, "policy"]} with input as doc
}

test_administrator_access_attachment_denied if {
	attach := t.create("aws_iam_role_policy_attachment", {"policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
	t.paths(rule.deny) == {["policy_arn"]} with input as t.plan([attach])
	read_only := t.create("aws_iam_role_policy_attachment", {"policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	count(rule.deny) == 0 with input as t.plan([read_only])
}

test_azure_custom_owner_role_denied if {
	role := t.create("azurerm_role_definition", {"permissions": [{"actions": ["*"], "not_actions": []}]})
	t.paths(rule.deny) == {["permissions", 0, "actions"]} with input as t.plan([role])
}
