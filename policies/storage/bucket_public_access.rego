# Buckets must not be readable by anyone on the internet: public buckets are the classic source of data leaks.
package oppie.rules.storage.bucket_public_access

import data.oppie.lib

# METADATA
# title: Publicly readable bucket
# description: >-
#   A bucket or container is open to anonymous users: oppie_bucket public = true, a public S3 canned ACL or a grant
#   to AllUsers/AuthenticatedUsers, an S3 bucket policy allowing Principal "*" without a condition, a GCS IAM member
#   allUsers/allAuthenticatedUsers, an Azure container with blob/container access, or an Azure storage account
#   that allows public blob access. Serve public content through a CDN with an origin access identity instead.
# scope: rule
# custom:
#   id: OPP-STO-001
#   severity: critical
#   enforcement: hard-mandatory
#   controls:
#     - CIS AWS 2.1.4
#     - CIS GCP 5.1
#     - CIS Azure 3.7
#     - SOC2 CC6.1
#   resource_types:
#     - oppie_bucket
#     - aws_s3_bucket
#     - aws_s3_bucket_acl
#     - aws_s3_bucket_policy
#     - google_storage_bucket_iam_member
#     - google_storage_bucket_iam_binding
#     - google_storage_bucket_acl
#     - azurerm_storage_container
#     - azurerm_storage_account
deny contains result if {
	some f in _findings
	result := f
}

_public_acls := {"public-read", "public-read-write", "authenticated-read"}

_public_groups := {
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

_public_members := {"allUsers", "allAuthenticatedUsers"}

_findings contains lib.finding(rc, ["public"], msg) if {
	some rc in lib.resources("oppie_bucket")
	lib.known_true(rc, ["public"])
	msg := sprintf("%s is public; set public = false and serve public files through a CDN.", [lib.address(rc)])
}

_findings contains lib.finding(rc, ["acl"], msg) if {
	some type in {"aws_s3_bucket", "aws_s3_bucket_acl"}
	some rc in lib.resources(type)
	acl := lib.known_string(rc, ["acl"])
	acl in _public_acls
	msg := sprintf("%s uses the public ACL %q; use \"private\" and grant access through IAM.", [lib.address(rc), acl])
}

_findings contains lib.finding(rc, path, msg) if {
	some rc in lib.resources("aws_s3_bucket_acl")
	some p in lib.blocks(rc, "access_control_policy")
	some g_index, g in lib.collection(object.get(p.block, "grant", []))
	is_object(g)
	some gr_index, grantee in lib.collection(object.get(g, "grantee", []))
	is_object(grantee)
	object.get(grantee, "uri", "") in _public_groups
	path := ["access_control_policy", p.index, "grant", g_index, "grantee", gr_index, "uri"]
	msg := sprintf("%s grants %s to %s; remove the grant.", [lib.address(rc), object.get(g, "permission", "access"), grantee.uri])
}

_findings contains lib.finding(rc, ["policy"], msg) if {
	some rc in lib.resources("aws_s3_bucket_policy")
	some s in lib.policy_statements(lib.known_string(rc, ["policy"]))
	object.get(s.statement, "Effect", "") == "Allow"
	_anyone(object.get(s.statement, "Principal", null))
	not s.statement.Condition
	msg := sprintf("%s lets anyone (Principal \"*\") use the bucket in statement %d; name the principals or add a condition.", [lib.address(rc), s.index])
}

_anyone("*") := true

_anyone(p) if {
	is_object(p)
	some v in lib.collection(object.get(p, "AWS", []))
	v == "*"
}

_anyone(p) if {
	is_object(p)
	object.get(p, "AWS", null) == "*"
}

_findings contains lib.finding(rc, ["member"], msg) if {
	some rc in lib.resources("google_storage_bucket_iam_member")
	member := lib.known_string(rc, ["member"])
	member in _public_members
	msg := sprintf("%s grants %s to %s; grant roles to named users, groups or service accounts.", [lib.address(rc), lib.known(rc, ["role"]), member])
}

_findings contains lib.finding(rc, ["members"], msg) if {
	some rc in lib.resources("google_storage_bucket_iam_binding")
	some member in lib.collection(lib.known(rc, ["members"]))
	member in _public_members
	msg := sprintf("%s grants %s to %s; grant roles to named users, groups or service accounts.", [lib.address(rc), lib.known(rc, ["role"]), member])
}

_findings contains lib.finding(rc, ["role_entity", i], msg) if {
	some rc in lib.resources("google_storage_bucket_acl")
	some i, entity in lib.collection(lib.known(rc, ["role_entity"]))
	is_string(entity)
	some member in _public_members
	endswith(entity, concat(":", ["", member]))
	msg := sprintf("%s gives %s access; remove the ACL entry and use uniform bucket-level access.", [lib.address(rc), entity])
}

_findings contains lib.finding(rc, ["container_access_type"], msg) if {
	some rc in lib.resources("azurerm_storage_container")
	access := lib.known_string(rc, ["container_access_type"])
	access in {"blob", "container"}
	msg := sprintf("%s allows anonymous %s access; set container_access_type = \"private\".", [lib.address(rc), access])
}

_findings contains lib.finding(rc, [attr], msg) if {
	some rc in lib.resources("azurerm_storage_account")
	some attr in ["allow_nested_items_to_be_public", "allow_blob_public_access"]
	lib.known_true(rc, [attr])
	msg := sprintf("%s allows public blob access; set %s = false.", [lib.address(rc), attr])
}
