# Tag keys that differ only in case or separator ("Environment", "cost_center", "CostCenter") split cost reports
# and slip past the mandatory-tag check; renaming them is cheap.
package oppie.rules.tagging.tag_key_spelling

import data.oppie.lib

# METADATA
# title: Tag key spelled differently from the standard
# description: >-
#   A tag (label) key equals a mandatory tag key except for case, dashes or underscores, e.g. "Environment",
#   "cost_center" or "CostCenter". Rename it to the standard spelling.
# scope: rule
# custom:
#   id: OPP-TAG-003
#   severity: low
#   enforcement: advisory
#   controls:
#     - SOC2 CC2.1
#   resource_types:
#     - oppie_*
#     - aws_*       # the taggable ones: data.oppie.lib.taggable_types
#     - google_*
#     - azurerm_*
warn contains result if {
	# Taggability depends on the type alone: skip whole types at once instead of testing every resource.
	some type, typed in lib.resources_by_type
	lib.is_taggable({"type": type})
	# The user's tag map first, then the map the provider merges its default_tags into (tags_all), so a key
	# misspelt in default_tags is seen too; the same paths for every resource of the type.
	paths := lib.tag_paths(type)
	some i, path in paths
	# Judge the few distinct keys of the type's tag maps, then find the resources that have a misspelt one.
	some key in lib.map_keys(typed, path)
	is_string(key)
	not key in _settled
	# object.get, not _standard_spellings[...]: regorus turns a rule reference with a computed key into a path
	# string and scans every module for it.
	some standard in object.get(_standard_spellings, _normalise(key), [])
	key != standard
	some rc in typed
	tag_map := lib.known(rc, path)
	is_object(tag_map)
	key in object.keys(tag_map)
	not _in_earlier_map(rc, paths, i, key)
	msg := sprintf("%s has tag %q%s; rename it to %q.", [lib.address(rc), key, _origin(i), standard])
	result := lib.finding(rc, array.concat(path, [key]), msg)
}

# _in_earlier_map(rc, paths, i, key): the key is also in a map before paths[i] (the resource's own tags), where it
# is reported already.
_in_earlier_map(rc, paths, i, key) if {
	some j, earlier in paths
	j < i
	m := lib.known(rc, earlier)
	is_object(m)
	key in object.keys(m)
}

_origin(0) := ""

_origin(i) := " (from the provider's default_tags)" if i > 0

_settled contains standard if {
	some _, group in _standard_spellings
	count(group) == 1
	some standard in group
}

# _standard_spellings[normalised]: the mandatory tag keys by normalised spelling, worked out once per query rather
# than once per tag of every resource.
_standard_spellings := {normalised: standards |
	some standard in _mandatory
	normalised := _normalise(standard)
	standards := {s | some s in _mandatory; _normalise(s) == normalised}
}

_mandatory := lib.config_strings("mandatory_tags")

_normalise(s) := replace(replace(lower(s), "-", ""), "_", "")
