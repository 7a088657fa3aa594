package oppie.rules.storage.bucket_public_access_test

import data.oppie.rules.storage.bucket_public_access as rule
import data.oppie.testing as t

test_oppie_bucket_public_denied if {
	t.paths(rule.deny) == {["public"]} with input as t.plan([t.create("oppie_bucket", {"name": "b", "public": true})])
}

test_oppie_bucket_private_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("oppie_bucket", {"name": "b", "public": false})])
}

test_s3_public_acl_denied_private_passes if {
	count(rule.deny) == 1 with input as t.plan([t.create("aws_s3_bucket", {"acl": "public-read"})])
	count(rule.deny) == 1 with input as t.plan([t.create("aws_s3_bucket_acl", {"acl": "public-read-write"})])
	count(rule.deny) == 0 with input as t.plan([t.create("aws_s3_bucket_acl", {"acl": "private"})])
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_s3_bucket", {}, {"acl": true})])
}

test_s3_acl_grant_to_all_users_denied if {
	doc := t.plan([t.create("aws_s3_bucket_acl", {"access_control_policy": [{"grant": [{
		"permission": "READ",
		"grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}],
	}]}]})])
	t.paths(rule.deny) == {["access_control_policy", 0, "grant", 0, "grantee", 0, "uri"]} with input as doc
}

test_bucket_policy_principal_star_denied if {
	policy := json.marshal({"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
	]})
	t.paths(rule.deny) == {["policy"]} with input as t.plan([t.create("aws_s3_bucket_policy", {"policy": policy})])
}

test_bucket_policy_with_condition_or_deny_passes if {
	policy := json.marshal({"Statement": [
		{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}},
		{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
	]})
	count(rule.deny) == 0 with input as t.plan([t.create("aws_s3_bucket_policy", {"policy": policy})])
}

test_bucket_policy_unknown_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("aws_s3_bucket_policy", {}, {"policy": true})])
}

test_gcs_all_users_denied if {
	member := t.create("google_storage_bucket_iam_member", {"role": "roles/storage.objectViewer", "member": "allUsers"})
	t.paths(rule.deny) == {["member"]} with input as t.plan([member])
	binding := t.create("google_storage_bucket_iam_binding", {"role": "roles/storage.objectViewer", "members": ["user:a@example.com", "allAuthenticatedUsers"]})
	t.paths(rule.deny) == {["members"]} with input as t.plan([binding])
}

test_gcs_named_member_passes if {
	member := t.create("google_storage_bucket_iam_member", {"role": "roles/storage.objectViewer", "member": "group:web@example.com"})
	count(rule.deny) == 0 with input as t.plan([member])
}

test_gcs_acl_all_users_denied if {
	acl := t.create("google_storage_bucket_acl", {"role_entity": ["OWNER:project-owners-1", "READER:allUsers"]})
	t.paths(rule.deny) == {["role_entity", 1]} with input as t.plan([acl])
}

test_azure_container_and_account_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_storage_container", {"container_access_type": "blob"})])
	count(rule.deny) == 0 with input as t.plan([t.create("azurerm_storage_container", {"container_access_type": "private"})])
	count(rule.deny) == 1 with input as t.plan([t.create("azurerm_storage_account", {"allow_nested_items_to_be_public": true})])
	count(rule.deny) == 0 with input as t.plan([t.create("azurerm_storage_account", {"allow_nested_items_to_be_public": false})])
}
