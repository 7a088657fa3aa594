package oppie.rules.iam.basic_roles_test

import data.oppie.rules.iam.basic_roles as rule
import data.oppie.testing as t

test_editor_denied if {
	member := t.create("google_project_iam_member", {"role": "roles/editor", "member": "serviceAccount:a@p.iam.gserviceaccount.com"})
	t.paths(rule.deny) == {["role"]} with input as t.plan([member])
}

test_owner_binding_denied if {
	count(rule.deny) == 1 with input as t.plan([t.create("google_project_iam_binding", {"role": "roles/owner", "members": ["user:a@example.com"]})])
}

test_predefined_role_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create("google_project_iam_member", {"role": "roles/storage.objectViewer", "member": "user:a@example.com"})])
}

test_unknown_role_passes if {
	count(rule.deny) == 0 with input as t.plan([t.create_unknown("google_project_iam_member", {}, {"role": true})])
}
