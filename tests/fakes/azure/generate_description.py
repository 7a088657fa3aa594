"""Writes arm-api.json, the part of the Azure Resource Manager REST API the provider uses:
operations (method, URL template, api-version, request body model) and the body models
(JSON property names, types, and which are writable), read from Microsoft's generated SDKs.

Source: the PyPI packages pinned in requirements.txt beside this script, which Microsoft
generates from the published ARM REST specifications. Run:

    python3 -m venv /tmp/azvenv && /tmp/azvenv/bin/pip install -r tests/fakes/azure/requirements.txt
    /tmp/azvenv/bin/python tests/fakes/azure/generate_description.py > tests/fakes/azure/arm-api.json
"""

import ast
import importlib
import inspect
import json
import re
import sys
import typing

# (package, module with operations, models module, build functions the provider calls)
SOURCES = [
    ("azure-mgmt-resource", "azure.mgmt.resource.resources.operations._operations", "azure.mgmt.resource.resources.models",
     ["resource_groups_create_or_update", "resource_groups_get", "resource_groups_delete",
      "resources_list_by_resource_group"]),
    ("azure-mgmt-network", "azure.mgmt.network.operations._operations", "azure.mgmt.network.models",
     [f"{kind}_{op}" for kind in ["virtual_networks", "network_security_groups", "network_interfaces", "public_ip_addresses"]
      for op in ["create_or_update", "get", "delete"]]
     + ["virtual_networks_update_tags", "subnets_create_or_update", "subnets_get", "subnets_delete",
        "virtual_networks_list", "virtual_networks_list_all", "subnets_list",
        "network_security_groups_list", "network_security_groups_list_all"]),
    ("azure-mgmt-compute", "azure.mgmt.compute.operations._operations", "azure.mgmt.compute.models",
     ["virtual_machines_create_or_update", "virtual_machines_get", "virtual_machines_delete", "virtual_machines_update",
      "virtual_machines_deallocate", "virtual_machines_start", "virtual_machines_instance_view",
      "disks_get", "disks_update", "disks_delete",
      "virtual_machines_list", "virtual_machines_list_all", "virtual_machines_power_off", "virtual_machines_restart",
      "snapshots_create_or_update", "snapshots_get", "snapshots_delete", "snapshots_list_by_resource_group"]),
    ("azure-mgmt-storage", "azure.mgmt.storage.operations._operations", "azure.mgmt.storage.models",
     ["storage_accounts_create", "storage_accounts_get_properties", "storage_accounts_update", "storage_accounts_delete",
      "storage_accounts_list_keys", "storage_accounts_list", "storage_accounts_list_by_resource_group",
      "blob_services_set_service_properties", "blob_services_get_service_properties",
      "management_policies_create_or_update", "management_policies_get", "management_policies_delete"]),
    ("azure-mgmt-resource-locks", "azure.mgmt.resource.locks.operations._operations", "azure.mgmt.resource.locks.models",
     ["management_locks_create_or_update_by_scope", "management_locks_get_by_scope", "management_locks_delete_by_scope"]),
    ("azure-mgmt-keyvault", "azure.mgmt.keyvault.operations._operations", "azure.mgmt.keyvault.models",
     ["vaults_create_or_update", "vaults_get", "vaults_update", "vaults_delete", "vaults_list_by_resource_group",
      "vaults_list_by_subscription", "vaults_get_deleted", "keys_create_if_not_exist", "keys_get"]),
    ("azure-mgmt-postgresqlflexibleservers", "azure.mgmt.postgresqlflexibleservers.operations._operations",
     "azure.mgmt.postgresqlflexibleservers.models",
     ["servers_create_or_update", "servers_get", "servers_update", "servers_delete", "servers_list_by_resource_group",
      "servers_list_by_subscription"], "postgresql_"),
    # Packages of the older layout: one module per operation group, build functions without
    # the group's name (the fifth item is the prefix that gives them one).
    ("azure-mgmt-mysqlflexibleservers", "azure.mgmt.mysqlflexibleservers.operations._servers_operations",
     "azure.mgmt.mysqlflexibleservers.models",
     ["create", "get", "update", "delete", "list_by_resource_group", "list"], "mysql_servers_"),
    ("azure-mgmt-msi", "azure.mgmt.msi.v2024_11_30.operations._user_assigned_identities_operations",
     "azure.mgmt.msi.v2024_11_30.models", ["create_or_update", "get", "delete"], "user_assigned_identities_"),
    ("azure-mgmt-redisenterprise", "azure.mgmt.redisenterprise.operations._redis_enterprise_operations",
     "azure.mgmt.redisenterprise.models",
     ["create", "get", "update", "delete", "list_by_resource_group", "list"], "redis_enterprise_"),
    ("azure-mgmt-redisenterprise", "azure.mgmt.redisenterprise.operations._databases_operations",
     "azure.mgmt.redisenterprise.models", ["create", "get", "update", "delete"],
     "redis_enterprise_databases_"),
]

# Model names are prefixed with this for the packages after the first five (two packages may
# both have a `Server` or a `Sku`); the first five keep bare names, as arm-api.json has them.
NS = ""


def model_name(c):
    return NS + c.__name__


BUILD = re.compile(r"^def build_(\w+)_request\(", re.M)


def snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def builds(source):
    """Every build_*_request function: method, URL template, api-version."""
    out = {}
    starts = [(m.start(), m.group(1)) for m in BUILD.finditer(source)]
    for i, (start, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(source)
        body = source[start:end]
        # `_url = "..."`, `_url = kwargs.pop("template_url", "...")` (on one line or three) or, for a
        # long one, `_url = (\n "..."\n)`.
        url = re.search(r'_url = (?:kwargs\.pop\(\s*"template_url",\s*|\(\s*)?"([^"]+)"', body)
        method = re.search(r'HttpRequest\(method="(\w+)"', body)
        api = re.search(r'api-version", "([0-9a-z-]+)"', body)
        if url and method:
            out[name] = {"method": method.group(1), "path": url.group(1), "api_version": api.group(1) if api else None}
    return out


def body_models(source):
    """Operation name (as in build_<name>_request) -> the model its request body takes."""
    out = {}
    for cls in ast.parse(source).body:
        if not isinstance(cls, ast.ClassDef) or not cls.name.endswith("Operations"):
            continue
        prefix = snake(cls.name[: -len("Operations")])
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            op = f"{prefix}_{fn.name.removeprefix('begin_')}"
            for a in fn.args.args + fn.args.kwonlyargs:
                ann = a.annotation
                if isinstance(ann, ast.Attribute) and isinstance(ann.value, ast.Name) and ann.value.id == "_models":
                    out.setdefault(op, ann.attr)
    return out


def type_of(t, models, todo):
    """A JSON-ish type description of a Python annotation."""
    origin = typing.get_origin(t)
    args = [a for a in typing.get_args(t) if a is not type(None)]
    if origin is typing.Union:
        # Optional[X], or Union[str, SomeEnum]: an enum is a string on the wire.
        named = [a for a in args if inspect.isclass(a) and a is not str]
        if str in args:
            return {"type": "string"}
        return type_of(named[0] if named else args[0], models, todo)
    if origin is list:
        return {"type": "array", "items": type_of(args[0], models, todo)}
    if origin is dict:
        return {"type": "object", "values": type_of(args[1], models, todo)}
    if t is str:
        return {"type": "string"}
    if t is bool:
        return {"type": "boolean"}
    if t in (int, float):
        return {"type": "number"}
    if inspect.isclass(t) and issubclass(t, str):  # enums
        return {"type": "string"}
    if inspect.isclass(t) and hasattr(t, "_is_model"):
        todo.append(t)
        return {"type": "model", "model": model_name(t)}
    return {"type": "any"}


def msrest_type(t, models_module, models, todo):
    """A type of an older (msrest) model's _attribute_map."""
    if t.startswith("["):
        return {"type": "array", "items": msrest_type(t[1:-1], models_module, models, todo)}
    if t.startswith("{"):
        return {"type": "object", "values": msrest_type(t[1:-1], models_module, models, todo)}
    simple = {"str": "string", "bool": "boolean", "int": "number", "float": "number", "iso-8601": "string"}
    if t in simple:
        return {"type": simple[t]}
    if hasattr(models_module, t):
        todo.append(getattr(models_module, t))
        return {"type": "model", "model": NS + t}
    return {"type": "any"}


def describe_msrest(c, models, todo):
    """An msrest model: flattened keys ("properties.level") become nested models."""
    readonly = {k for k, v in getattr(c, "_validation", {}).items() if v.get("readonly")}
    mod = sys.modules[c.__module__]
    root = {"properties": {}}
    models[model_name(c)] = root
    for attr, m in c._attribute_map.items():
        parts = m["key"].replace("\\.", "\0").split(".")
        node, name = root, model_name(c)
        for part in parts[:-1]:
            name = f"{name}.{part}"
            if part not in node["properties"]:
                node["properties"][part] = {"type": "model", "model": name, "visibility": ["create", "read", "update"]}
                models[name] = {"properties": {}}
            node = models[node["properties"][part]["model"]]
        vis = ["read"] if attr in readonly else ["create", "read", "update"]
        node["properties"][parts[-1].replace("\0", ".")] = {**msrest_type(m["type"], mod, models, todo), "visibility": vis}


def describe(cls, models):
    """Fills models[name] for cls and every model it refers to."""
    todo = [cls]
    while todo:
        c = todo.pop()
        if model_name(c) in models:
            continue
        if hasattr(c, "_attribute_map"):
            describe_msrest(c, models, todo)
            continue
        mod = sys.modules[c.__module__]
        hints = typing.get_type_hints(c, globalns={**vars(mod), "_models": importlib.import_module(mod.__package__)})
        props = {}
        for klass in reversed(c.__mro__):
            for attr, field in vars(klass).items():
                if not hasattr(field, "_rest_name_input"):
                    continue
                rest = field._rest_name_input or attr
                vis = field._visibility or ["read", "create", "update"]
                props[rest] = {**type_of(hints.get(attr, typing.Any), models, todo), "visibility": sorted(vis)}
        models[model_name(c)] = {"properties": props}


def main():
    global NS
    operations, models = [], {}
    for i, (package, ops_module, models_module, wanted, *prefix) in enumerate(SOURCES):
        prefix = prefix[0] if prefix else ""
        NS = "" if i < 5 else package.removeprefix("azure-mgmt-") + "."
        mod = importlib.import_module(ops_module)
        source = inspect.getsource(mod)
        found, bodies = builds(source), body_models(source)
        model_mod = importlib.import_module(models_module)
        for name in wanted:
            if name not in found:
                sys.exit(f"{package}: no build_{name}_request")
            op = {"name": prefix + name, "package": package, **found[name]}
            # Old-layout classes (ServersOperations) name the body's operation by group.
            model = bodies.get(name) or next((m for op_name, m in bodies.items() if op_name.endswith("_" + name)), None)
            if model and op["method"] in ("PUT", "PATCH", "POST"):
                op["body"] = NS + model
                describe(getattr(model_mod, model), models)
            operations.append(op)
    json.dump({"source": "Microsoft's generated Azure SDKs for Python (see requirements.txt)",
               "operations": operations, "models": models}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
