# Machine sizes must fit the environment tier: oversized dev and staging machines are the most common source of
# cloud waste, and undersized prod machines of outages.
package oppie.rules.sizing.instance_size_per_tier

import data.oppie.lib

# METADATA
# title: Instance size not allowed for the environment
# description: >-
#   A virtual machine's size class (catalog key xs|s|m|l|xl, or a native type mapped onto a class) is not in
#   config.sizes_per_tier for its environment tier (default dev xs-s, staging xs-m, prod s-xl). The tier comes from
#   the environment tag, or from the name when the tag is missing. Sizes the library cannot classify are not judged.
# scope: rule
# custom:
#   id: OPP-SIZ-001
#   severity: medium
#   enforcement: soft-mandatory
#   controls:
#     - SOC2 CC3.2
#   resource_types:
#     - oppie_instance
#     - aws_instance
#     - aws_launch_template
#     - aws_launch_configuration
#     - google_compute_instance
#     - google_compute_instance_template
#     - azurerm_linux_virtual_machine
#     - azurerm_windows_virtual_machine
#     - azurerm_virtual_machine
#     - azurerm_linux_virtual_machine_scale_set
#     - azurerm_windows_virtual_machine_scale_set
deny contains result if {
	some type, path in _size_paths
	# The library's facts (environment included) for the type's resources, worked out once for every rule.
	some f in object.get(lib.subject_facts_by_type, type, [])
	rc := f.rc
	size := lib.known_string(rc, path)
	class := object.get(_classes, size, null)
	class != null
	env := f.environment
	allowed := lib.allowed_sizes(env)
	not class in allowed
	msg := sprintf("%s uses size %q (class %s), which %s does not allow; use one of the classes %s.", [
		lib.address(rc), size, class, env, concat(", ", allowed),
	])
	result := lib.finding(rc, path, msg)
}

_size_paths := {
	"oppie_instance": ["size"],
	"aws_instance": ["instance_type"],
	"aws_launch_template": ["instance_type"],
	"aws_launch_configuration": ["instance_type"],
	"google_compute_instance": ["machine_type"],
	"google_compute_instance_template": ["machine_type"],
	"azurerm_linux_virtual_machine": ["size"],
	"azurerm_windows_virtual_machine": ["size"],
	"azurerm_virtual_machine": ["vm_size"],
	"azurerm_linux_virtual_machine_scale_set": ["sku"],
	"azurerm_windows_virtual_machine_scale_set": ["sku"],
}

# _classes: the size class of every size the input uses, worked out once per size rather than once per resource.
_classes := {size: class |
	some size in {size |
		some type, path in _size_paths
		some rc in lib.resources(type)
		size := lib.known_string(rc, path)
	}
	class := lib.size_class(size)
}
