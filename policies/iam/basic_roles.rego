# Google's basic roles (Owner, Editor) grant thousands of permissions across every service in a project; they
# predate IAM and should not be handed out.
package oppie.rules.iam.basic_roles

import data.oppie.lib

# METADATA
# title: Google basic roles granted
# description: >-
#   A project, folder or organization IAM member or binding grants roles/owner or roles/editor. Grant predefined
#   or custom roles limited to what the member needs.
# scope: rule
# custom:
#   id: OPP-IAM-003
#   severity: high
#   enforcement: soft-mandatory
#   controls:
#     - CIS GCP 1.5
#     - SOC2 CC6.3
#   resource_types:
#     - google_project_iam_member
#     - google_project_iam_binding
#     - google_folder_iam_member
#     - google_folder_iam_binding
#     - google_organization_iam_member
#     - google_organization_iam_binding
deny contains result if {
	some type in _types
	some rc in lib.resources(type)
	role := lib.known_string(rc, ["role"])
	role in _basic_roles
	msg := sprintf("%s grants %s; grant a predefined or custom role with only the permissions needed.", [lib.address(rc), role])
	result := lib.finding(rc, ["role"], msg)
}

_basic_roles := {"roles/owner", "roles/editor"}

_types := {
	"google_project_iam_member", "google_project_iam_binding", "google_folder_iam_member", "google_folder_iam_binding",
	"google_organization_iam_member", "google_organization_iam_binding",
}
