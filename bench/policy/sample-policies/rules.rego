# Representative plan checks written the direct way (iterating input.resource_changes, no helper
# library): the benchmark runs them next to the full library to separate the engine's cost from
# the library's.
package sample

import rego.v1

mandatory := ["project", "environment", "owner", "cost-center"]

changed contains i if {
	some i, rc in input.resource_changes
	some action in rc.change.actions
	action in {"create", "update"}
}

after(i) := input.resource_changes[i].change.after

# METADATA
# custom:
#   id: SAMPLE-TAGS
#   enforcement: soft-mandatory
deny_tags contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	tags := object.get(after(i), "tags", null)
	is_object(tags)
	some key in mandatory
	not tags[key]
	msg := sprintf("%s is missing tag %s", [rc.address, key])
}

# METADATA
# custom:
#   id: SAMPLE-SSH
deny_ssh contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "aws_security_group"
	some rule in after(i).ingress
	rule.from_port <= 22
	rule.to_port >= 22
	"0.0.0.0/0" in rule.cidr_blocks
	msg := sprintf("%s allows SSH from anywhere", [rc.address])
}

# METADATA
# custom:
#   id: SAMPLE-DB-ENCRYPTED
deny_db contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "aws_db_instance"
	not after(i).storage_encrypted
	msg := sprintf("%s is not encrypted", [rc.address])
}

# METADATA
# custom:
#   id: SAMPLE-DB-PUBLIC
deny_db_public contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "aws_db_instance"
	after(i).publicly_accessible == true
	msg := sprintf("%s is publicly accessible", [rc.address])
}

# METADATA
# custom:
#   id: SAMPLE-KMS
deny_kms contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "aws_kms_key"
	after(i).enable_key_rotation == false
	msg := sprintf("%s does not rotate", [rc.address])
}

# METADATA
# custom:
#   id: SAMPLE-GCS
deny_gcs contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "google_storage_bucket"
	after(i).uniform_bucket_level_access == false
	msg := sprintf("%s uses ACLs", [rc.address])
}

# METADATA
# custom:
#   id: SAMPLE-AZ-TLS
deny_tls contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "azurerm_storage_account"
	after(i).min_tls_version != "TLS1_2"
	msg := sprintf("%s accepts %s", [rc.address, after(i).min_tls_version])
}

# METADATA
# custom:
#   id: SAMPLE-OPPIE-BUCKET
deny_bucket contains result if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "oppie_bucket"
	after(i).public == true
	result := {"msg": sprintf("%s is public", [rc.address]), "resource": rc.address, "path": ["public"]}
}

# METADATA
# custom:
#   id: SAMPLE-SIZE
#   enforcement: soft-mandatory
deny_size contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	rc.type == "oppie_instance"
	env := object.get(after(i), ["tags", "environment"], "dev")
	env == "dev"
	not after(i).size in {"xs", "s"}
	msg := sprintf("%s: size %s is too large for dev", [rc.address, after(i).size])
}

# METADATA
# custom:
#   id: SAMPLE-NAMING
warn_naming contains msg if {
	some i in changed
	rc := input.resource_changes[i]
	name := after(i).name
	is_string(name)
	not regex.match(`^[a-z0-9]+-(dev|staging|prod)-[a-z0-9]+-[a-z0-9-]+$`, name)
	msg := sprintf("%s: name %q breaks the naming convention", [rc.address, name])
}
