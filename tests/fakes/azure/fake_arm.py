"""A fake Azure Resource Manager for the end-to-end tests (no ARM emulator exists).

Every request is checked against arm-api.json (derived from Microsoft's published API
description, see generate_description.py): method, path, api-version, and each body
property's name, type and writability. A request that does not conform gets 400
FakeRejected and is recorded; tests fail when /_fake/rejections is not empty.

Answers follow the documented shapes: resources carry id, name, type, location and
properties.provisioningState; lists come two to a page with nextLink; PUT/PATCH/DELETE/POST actions are long-running operations
(201/202 with Azure-AsyncOperation, storage account creation 202 with Location), one poll
InProgress, then Succeeded.

Control endpoints (not ARM):
  POST /_fake/faults      {"method", "path_contains", "status", "retry_after", "times", "code", "after"}
                          the next `times` matching requests get that status (with "after": true
                          the request is carried out first and only its answer is lost)
  POST /_fake/fail_operation {"path_contains", "code", "message"}
                          the next long-running operation on a matching id ends Failed
  POST /_fake/drift       {"id", "merge": {...}}   changes a resource out of band
  POST /_fake/remove      {"id"}                   deletes a resource out of band
  GET  /_fake/requests, /_fake/rejections, /_fake/resources, /_fake/tokens;  POST /_fake/reset
  POST /<tenant>/oauth2/v2.0/token   a token endpoint (client credentials), for the auth tests
  GET  /metadata/identity/oauth2/token   a managed identity endpoint, for the auth tests

Run: python3 fake_arm.py PORT   (prints "listening" once ready)
"""

import base64
import copy
import itertools
import json
import os
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "arm-api.json")) as f:
    API = json.load(f)
MODELS = API["models"]

LOCK = threading.Lock()
STATE = {}
COUNTER = itertools.count(1)


def reset():
    STATE.clear()
    STATE.update(resources={}, operations={}, faults=[], failures=[], requests=[], rejections=[], tokens=[])


reset()


def template_regex(path):
    """A URL template as a case-insensitive regex; {scope} spans segments."""
    out = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part == "{scope}":
            out += "(?P<scope>.+?)"
        elif part.startswith("{"):
            out += "(?P<%s>[^/]+)" % re.sub(r"\W", "", part)
        else:
            out += re.escape(part)
    return re.compile("^" + out + "$", re.I)


for _op in API["operations"]:
    _op["regex"] = template_regex(_op["path"])


def find_operation(method, path, api_version):
    """The operation a request is, or why it is none."""
    candidates = [op for op in API["operations"] if op["regex"].match(path)]
    if not candidates:
        return None, f"no operation in the API description has the path {path}"
    with_method = [op for op in candidates if op["method"] == method]
    if not with_method:
        return None, f"{method} is not an operation on {path} (allowed: {sorted({o['method'] for o in candidates})})"
    # The most specific template wins ({scope} matches widely).
    with_method.sort(key=lambda o: "{scope}" in o["path"])
    op = with_method[0]
    if api_version != op["api_version"]:
        return None, f"{op['name']} takes api-version {op['api_version']}, not {api_version!r}"
    return op, None


def check_value(value, spec, where, writing, problems):
    kind = spec.get("type")
    if kind == "model":
        check_model(value, spec["model"], where, writing, problems)
    elif kind == "array":
        if not isinstance(value, list):
            problems.append(f"{where}: expected an array")
            return
        for i, item in enumerate(value):
            check_value(item, spec["items"], f"{where}[{i}]", writing, problems)
    elif kind == "object":
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object")
            return
        for k, v in value.items():
            check_value(v, spec["values"], f"{where}.{k}", writing, problems)
    elif kind == "string" and not isinstance(value, str):
        problems.append(f"{where}: expected a string, got {json.dumps(value)}")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{where}: expected a boolean, got {json.dumps(value)}")
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        problems.append(f"{where}: expected a number, got {json.dumps(value)}")


def check_model(value, model, where, writing, problems):
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object ({model})")
        return
    props = MODELS[model]["properties"]
    for k, v in value.items():
        spec = props.get(k)
        if spec is None:
            problems.append(f"{where}.{k}: {model} has no property {k!r}")
        elif writing not in spec["visibility"]:
            problems.append(f"{where}.{k}: read-only in {model}")
        else:
            check_value(v, spec, f"{where}.{k}", writing, problems)


def deep_merge(base, patch):
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)


def arm_error(status, code, message):
    return status, {"error": {"code": code, "message": message}}, {}


def parent_of(rid):
    """The id of the resource a child hangs under (subnets, blob services, policies)."""
    parts = rid.split("/")
    if len(parts) > 9:
        return "/".join(parts[:9])
    return None


def group_of(rid):
    m = re.match(r"^(/subscriptions/[^/]+/resourcegroups/[^/]+)", rid, re.I)
    return m.group(1).lower() if m else None


def type_of(rid):
    m = re.search(r".*/providers/([^/]+)/(.+)$", rid)
    if not m:
        return "Microsoft.Resources/resourceGroups"
    segs = m.group(2).split("/")
    return m.group(1) + "/" + "/".join(segs[0::2])


class Fake:
    def __init__(self, base):
        self.base = base
        self.page = None
        self.api_version = None

    def resources(self):
        return STATE["resources"]

    def get(self, rid):
        return self.resources().get(rid.lower())

    def start_operation(self, rid, on_done, location=False, result=None):
        n = next(COUNTER)
        failure = None
        for f in STATE["failures"]:
            if f["path_contains"].lower() in rid.lower():
                failure = f
                STATE["failures"].remove(f)
                break
        STATE["operations"][str(n)] = {"polls": 0, "rid": rid, "done": on_done, "failure": failure, "result": result}
        if location:
            return {"Location": f"{self.base}/_fake/locations/{n}", "Retry-After": "0"}
        return {
            "Azure-AsyncOperation": f"{self.base}/_fake/operations/{n}?api-version=2026-01-01",
            "Location": f"{self.base}/_fake/locations/{n}",
            "Retry-After": "0",
        }

    def poll(self, n, location):
        op = STATE["operations"].get(n)
        if op is None:
            return arm_error(404, "OperationNotFound", f"operation {n}")
        op["polls"] += 1
        if op["polls"] < 2:
            if location:
                return 202, None, {"Location": f"{self.base}/_fake/locations/{n}", "Retry-After": "0"}
            return 200, {"status": "InProgress"}, {}
        if op["failure"]:
            f = op["failure"]
            r = self.get(op["rid"])
            if r is not None:
                r.setdefault("properties", {})["provisioningState"] = "Failed"
            err = {"code": f.get("code", "InternalOperationError"), "message": f.get("message", "the operation failed")}
            if location:
                return 400, {"error": err}, {}
            return 200, {"status": "Failed", "error": err}, {}
        if not op.get("finished"):
            op["finished"] = True
            op["done"]()
        if location:
            r = op["result"]() if op["result"] else None
            return (200, r, {}) if r is not None else (204, None, {})
        return 200, {"status": "Succeeded"}, {}

    # --- resource shapes -------------------------------------------------------------

    def shape(self, rid, body, existing):
        r = copy.deepcopy(existing) if existing else {}
        deep_merge(r, body)
        # A PUT replaces lists wholesale.
        for k, v in body.get("properties", {}).items():
            r.setdefault("properties", {})[k] = copy.deepcopy(v)
        name = rid.split("/")[-1]
        if "tags" in body:
            r["tags"] = copy.deepcopy(body["tags"])  # PUT and updateTags replace tags
        r.update(id=rid, name=name, type=type_of(rid))
        props = r.setdefault("properties", {})
        t = r["type"].lower()
        if t == "microsoft.network/virtualnetworks":
            props.setdefault("resourceGuid", str(uuid.uuid4()))
            props.setdefault("subnets", [])
        elif t == "microsoft.network/networkinterfaces":
            for i, c in enumerate(props.get("ipConfigurations", [])):
                c.setdefault("properties", {}).setdefault("privateIPAddress", f"10.0.0.{4 + i}")
                c["id"] = f"{rid}/ipConfigurations/{c.get('name', 'ipconfig')}"
        elif t == "microsoft.network/publicipaddresses":
            props.setdefault("ipAddress", "20.0.0.%d" % (next(COUNTER) % 250 + 1))
        elif t == "microsoft.compute/virtualmachines":
            props.setdefault("vmId", str(uuid.uuid4()))
            os_disk = props.get("storageProfile", {}).get("osDisk", {})
            disk_name = os_disk.get("name") or f"{name}_OsDisk"
            disk_id = group_of(rid) and re.sub(r"/providers/.*$", "", rid) + f"/providers/Microsoft.Compute/disks/{disk_name}"
            os_disk.setdefault("managedDisk", {})["id"] = disk_id
            os_disk.setdefault("diskSizeGB", 30)
            if not self.get(disk_id):
                self.resources()[disk_id.lower()] = {
                    "id": disk_id, "name": disk_name, "type": "Microsoft.Compute/disks", "location": r.get("location"),
                    "properties": {"diskSizeGB": os_disk["diskSizeGB"], "provisioningState": "Succeeded",
                                   "diskState": "Attached"},
                }
            props.pop("userData", None)  # only returned with $expand=userData
            r["_power"] = "running"
        elif t == "microsoft.storage/storageaccounts":
            props.setdefault("primaryEndpoints", {"blob": f"https://{name}.blob.core.windows.net/"})
        elif t == "microsoft.managedidentity/userassignedidentities":
            seed = uuid.uuid5(uuid.NAMESPACE_URL, rid.lower())
            props.setdefault("principalId", str(seed))
            props.setdefault("clientId", str(uuid.uuid5(seed, "client")))
            props.setdefault("tenantId", "00000000-0000-0000-0000-00000000fa4e")
        elif t == "microsoft.keyvault/vaults":
            props.setdefault("vaultUri", f"https://{name}.vault.azure.net/")
            props.setdefault("enableSoftDelete", True)
            props.setdefault("softDeleteRetentionInDays", 90)
        elif t == "microsoft.keyvault/vaults/keys":
            vault = rid.split("/")[-3]
            version = uuid.uuid5(uuid.NAMESPACE_URL, rid.lower()).hex
            props.setdefault("keyUri", f"https://{vault}.vault.azure.net/keys/{name}")
            props.setdefault("keyUriWithVersion", f"https://{vault}.vault.azure.net/keys/{name}/{version}")
        elif t in ("microsoft.dbforpostgresql/flexibleservers", "microsoft.dbformysql/flexibleservers"):
            suffix = "postgres" if "postgres" in t else "mysql"
            props.setdefault("fullyQualifiedDomainName", f"{name}.{suffix}.database.azure.com")
            props["state"] = "Ready"
            props.pop("administratorLoginPassword", None)  # never returned
            props.pop("createMode", None)
        elif t == "microsoft.cache/redisenterprise":
            props.setdefault("hostName", f"{name}.{r.get('location', 'eastus')}.redis.azure.net")
            props.setdefault("redisVersion", "7.4")
            props["resourceState"] = "Running"
        elif t == "microsoft.cache/redisenterprise/databases":
            props.setdefault("port", 10000)
            props["resourceState"] = "Running"
        return r

    def in_use(self, rid):
        """Why `rid` cannot go yet, or None."""
        low = rid.lower()
        for other in self.resources().values():
            if low.startswith(other["id"].lower() + "/"):
                continue  # a parent lists its children
            text = json.dumps(other.get("properties", {})).lower()
            if other["id"].lower() != low and f'"{low}"' in text:
                return other["id"]
        for key in self.resources():
            if key.startswith(low + "/") and "/providers/microsoft.authorization/locks/" in key:
                return key
        return None

    # --- verbs -------------------------------------------------------------------------

    def handle(self, method, path, op, body):
        rid = path
        t = type_of(rid).lower()
        action = None
        if method == "POST":
            rid, action = path.rsplit("/", 1)
        if method == "GET" and path.lower().endswith("/instanceview"):
            rid, action = path.rsplit("/", 1)
        group = group_of(rid)
        if t != "microsoft.resources/resourcegroups" and group and group not in self.resources() \
                and "/providers/microsoft.authorization/locks/" not in rid.lower():
            return arm_error(404, "ResourceGroupNotFound", f"Resource group '{group.split('/')[-1]}' could not be found.")
        existing = self.get(rid)

        if method == "GET" and op["name"] == "resources_list_by_resource_group":
            group = group_of(path)
            if group not in self.resources():
                return arm_error(404, "ResourceGroupNotFound", f"Resource group '{group.split('/')[-1]}' could not be found.")
            # Top-level resources only (not subnets, blob services, locks).
            listed = [self.public(r) for k, r in self.resources().items()
                      if k.startswith(group + "/providers/") and len(k.split("/")) == 9]
            return 200, {"value": listed}, {}
        if method == "GET" and "_list" in op["name"]:
            return self.list(path)
        if method == "GET":
            if action:
                if existing is None:
                    return arm_error(404, "ResourceNotFound", f"{rid} not found")
                power = existing.get("_power", "running")
                return 200, {"statuses": [{"code": "ProvisioningState/succeeded"}, {"code": f"PowerState/{power}"}]}, {}
            if existing is None:
                if t.endswith("/blobservices"):
                    if self.get(parent_of(rid)) is None:
                        return arm_error(404, "ResourceNotFound", f"{rid} not found")
                    return 200, {"id": rid, "name": "default", "type": type_of(rid), "properties": {}}, {}
                code = "LockNotFound" if "/locks/" in rid.lower() else "ResourceNotFound"
                return arm_error(404, code, f"The Resource '{rid}' was not found.")
            if t == "microsoft.compute/virtualmachines":
                # The OS disk's size is the disk's own, as ARM reports it.
                os_disk = existing["properties"].get("storageProfile", {}).get("osDisk", {})
                disk = self.get(os_disk.get("managedDisk", {}).get("id", ""))
                if disk is not None:
                    os_disk["diskSizeGB"] = disk["properties"].get("diskSizeGB", os_disk.get("diskSizeGB"))
            return 200, self.public(existing), {}

        if method in ("PUT", "PATCH"):
            parent = parent_of(rid)
            if parent and "/locks/" not in rid.lower() and self.get(parent) is None:
                return arm_error(404, "ParentResourceNotFound", f"parent {parent} not found")
            if method == "PATCH" and existing is None:
                return arm_error(404, "ResourceNotFound", f"{rid} not found")
            if t == "microsoft.compute/disks" and existing and existing.get("properties", {}).get("diskState") == "Attached" \
                    and "diskSizeGB" in (body or {}).get("properties", {}):
                vm = next((r for r in self.resources().values() if r.get("_power") not in (None, "deallocated")
                           and f'"{rid.lower()}"' in json.dumps(r.get("properties", {})).lower()), None)
                if vm is not None:
                    return arm_error(409, "OperationNotAllowed",
                                     "Disk resizing is allowed only when creating a VM or when the VM is deallocated.")
            if t == "microsoft.keyvault/vaults/keys" and existing:
                # Create-if-not-exist: an existing key comes back as it is, unchanged.
                return 200, self.public(existing), {}
            r = self.shape(rid, body or {}, existing)
            sync = t in ("microsoft.resources/resourcegroups", "microsoft.authorization/locks",
                         "microsoft.managedidentity/userassignedidentities", "microsoft.keyvault/vaults/keys") or \
                t.endswith("/blobservices") or t.endswith("/managementpolicies") or \
                (method == "PATCH" and t == "microsoft.network/virtualnetworks")
            if sync:
                r["properties"]["provisioningState"] = "Succeeded"
                self.store(r)
                return (200 if existing else 201), self.public(r), {}
            r["properties"]["provisioningState"] = "Updating" if existing else "Creating"
            self.store(r)

            def done():
                cur = self.get(rid)
                if cur is not None:
                    cur["properties"]["provisioningState"] = "Succeeded"
                    if t == "microsoft.compute/disks":
                        cur["properties"]["diskState"] = "Reserved"
            if t == "microsoft.storage/storageaccounts" and method == "PUT" and not existing:
                # Storage account creation answers 202 with Location and no body.
                del self.resources()[rid.lower()]
                pending = r

                def finish():
                    pending["properties"]["provisioningState"] = "Succeeded"
                    self.store(pending)
                return 202, None, self.start_operation(rid, finish, location=True,
                                                       result=lambda: self.public(self.get(rid)))
            return (200 if existing else 201), self.public(r), self.start_operation(rid, done)

        if method == "DELETE":
            if existing is None:
                return 204, None, {}
            blocker = self.in_use(rid) if t != "microsoft.resources/resourcegroups" else None
            if blocker:
                if "/locks/" in blocker:
                    return arm_error(409, "ScopeLocked", f"{rid} is locked by {blocker}")
                codes = {"microsoft.network/networkinterfaces": "NicInUse",
                         "microsoft.network/virtualnetworks/subnets": "InUseSubnetCannotBeDeleted",
                         "microsoft.network/networksecuritygroups": "InUseNetworkSecurityGroupCannotBeDeleted",
                         "microsoft.network/publicipaddresses": "PublicIPAddressInUse"}
                return arm_error(400, codes.get(t, "InUse"), f"{rid} is in use by {blocker}")

            def gone():
                low = rid.lower()
                for key in list(self.resources()):
                    if key == low or key.startswith(low + "/"):
                        del self.resources()[key]
                if t == "microsoft.compute/virtualmachines":
                    disk = existing["properties"].get("storageProfile", {}).get("osDisk", {})
                    if disk.get("deleteOption") == "Delete":
                        self.resources().pop(disk.get("managedDisk", {}).get("id", "").lower(), None)
            sync = t in ("microsoft.authorization/locks", "microsoft.keyvault/vaults",
                         "microsoft.managedidentity/userassignedidentities") or \
                t.endswith("/managementpolicies") or t == "microsoft.storage/storageaccounts"
            if sync:
                gone()
                return 200, None, {}
            location = t == "microsoft.resources/resourcegroups"
            return 202, None, self.start_operation(rid, gone, location=location)

        if method == "POST":
            if existing is None:
                return arm_error(404, "ResourceNotFound", f"{rid} not found")
            if action == "listKeys":
                key = base64.b64encode(rid.encode()[:48].ljust(48, b"k")).decode()
                return 200, {"keys": [{"keyName": "key1", "value": key, "permissions": "FULL"}]}, {}
            power = {"deallocate": "deallocated", "start": "running", "powerOff": "stopped", "restart": "running"}[action]

            def acted():
                cur = self.get(rid)
                if cur is not None:
                    cur["_power"] = power
            return 202, None, self.start_operation(rid, acted)
        return arm_error(405, "MethodNotAllowed", method)

    def list(self, path):
        """A collection GET (list, listAll, listByResourceGroup): the resources right under
        `path`, or for a subscription-wide path, under that provider path in every group.
        Two to a page, so clients must follow nextLink."""
        m = re.match(r"^(/subscriptions/[^/]+)(/providers/.+)$", path, re.I)
        if m:
            pattern = re.escape(m.group(1).lower()) + r"/resourcegroups/[^/]+" + re.escape(m.group(2).lower()) + r"/[^/]+$"
        else:
            group = group_of(path)
            if group and group not in self.resources():
                return arm_error(404, "ResourceGroupNotFound", f"Resource group '{group.split('/')[-1]}' could not be found.")
            pattern = re.escape(path.lower()) + r"/[^/]+$"
        items = [self.public(r) for k, r in sorted(self.resources().items()) if re.match(pattern, k)]
        start = int(self.page or 0)
        page = {"value": items[start:start + 2]}
        if start + 2 < len(items):
            page["nextLink"] = f"{self.base}{path}?api-version={self.api_version}&$skiptoken={start + 2}"
        return 200, page, {}

    def store(self, r):
        self.resources()[r["id"].lower()] = r
        # Subnets show in their network's properties.subnets, as ARM answers.
        if r["type"].lower() == "microsoft.network/virtualnetworks/subnets":
            vnet = self.get(parent_of(r["id"]))
            if vnet is not None:
                subs = [s for s in vnet["properties"].get("subnets", []) if s["id"].lower() != r["id"].lower()]
                vnet["properties"]["subnets"] = subs + [{"id": r["id"], "name": r["name"]}]

    def public(self, r):
        return {k: v for k, v in r.items() if not k.startswith("_")} if r is not None else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return raw

    def serve(self, method):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        raw = self.body()
        base = f"http://{self.headers.get('Host')}"
        fake = Fake(base)
        with LOCK:
            if url.path.startswith("/_fake/"):
                return self.reply(*self.control(fake, method, url.path, raw))
            if method == "GET" and url.path == "/metadata/identity/oauth2/token":
                # The instance metadata service's managed identity endpoint.
                if self.headers.get("Metadata") != "true":
                    return self.reply(400, {"error": "invalid_request", "error_description": "Metadata header"}, {})
                STATE["tokens"].append({"msi": True, **{k: v[0] for k, v in query.items()}})
                return self.reply(200, {"token_type": "Bearer", "expires_in": "3599", "access_token": "fake-msi-token"}, {})
            if method == "POST" and url.path.endswith("/oauth2/v2.0/token"):
                # Microsoft Entra ID's token endpoint, for the client-credentials tests.
                form = parse_qs(raw.decode())
                STATE["tokens"].append({k: v[0] for k, v in form.items()})
                return self.reply(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "fake-arm-token"}, {})
            entry = {"method": method, "path": url.path, "api_version": (query.get("api-version") or [None])[0],
                     "authorization": self.headers.get("Authorization")}
            STATE["requests"].append(entry)
            lost = None
            for f in STATE["faults"]:
                if f.get("method", method) == method and f["path_contains"].lower() in url.path.lower() and f["times"] > 0:
                    f["times"] -= 1
                    if f.get("after"):
                        lost = f  # carried out, but the answer is lost
                        break
                    entry["status"] = f["status"]
                    headers = {"Retry-After": str(f["retry_after"])} if "retry_after" in f else {}
                    return self.reply(*arm_error(f["status"], f.get("code", "TooManyRequests"), "injected fault")[:2], headers)
            op, why = find_operation(method, url.path, entry["api_version"])
            problems = []
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    problems.append("the body is not JSON")
            if isinstance(body, dict) and isinstance(body.get("properties"), dict) \
                    and "administratorLoginPassword" in body["properties"]:
                entry["password"] = True  # that one was sent, never what it was
            if op and body is not None:
                if "body" not in op:
                    problems.append(f"{op['name']} takes no body")
                else:
                    check_model(body, op["body"], "body", "create" if method in ("PUT", "POST") else "update", problems)
            elif op and op.get("body") and method in ("PUT", "PATCH"):
                problems.append(f"{op['name']} needs a {op['body']} body")
            if why or problems:
                reason = why or "; ".join(problems)
                STATE["rejections"].append({**entry, "reason": reason})
                entry["status"] = 400
                return self.reply(*arm_error(400, "FakeRejected", reason))
            fake.page = (query.get("$skiptoken") or [None])[0]
            fake.api_version = entry["api_version"]
            status, out, headers = fake.handle(method, url.path, op, body)
            if lost is not None:
                entry["status"] = lost["status"]
                entry["lost"] = status
                return self.reply(*arm_error(lost["status"], lost.get("code", "InternalServerError"), "injected fault after the change")[:2], {})
            entry["status"] = status
            return self.reply(status, out, headers)

    def control(self, fake, method, path, raw):
        args = json.loads(raw) if raw else {}
        if path.startswith("/_fake/operations/"):
            return fake.poll(path.rsplit("/", 1)[1], False)
        if path.startswith("/_fake/locations/"):
            return fake.poll(path.rsplit("/", 1)[1], True)
        if path == "/_fake/reset":
            reset()
        elif path == "/_fake/faults":
            STATE["faults"].append(args)
        elif path == "/_fake/fail_operation":
            STATE["failures"].append(args)
        elif path == "/_fake/drift":
            r = fake.get(args["id"])
            if r is None:
                return arm_error(404, "ResourceNotFound", args["id"])
            deep_merge(r, args["merge"])
        elif path == "/_fake/remove":
            low = args["id"].lower()
            for key in list(fake.resources()):
                if key == low or key.startswith(low + "/"):
                    del fake.resources()[key]
        elif path == "/_fake/requests":
            return 200, STATE["requests"], {}
        elif path == "/_fake/tokens":
            return 200, STATE["tokens"], {}
        elif path == "/_fake/rejections":
            return 200, STATE["rejections"], {}
        elif path == "/_fake/resources":
            return 200, {k: fake.public(v) for k, v in fake.resources().items()}, {}
        else:
            return arm_error(404, "NoSuchControl", path)
        return 200, {}, {}

    def do_GET(self):
        self.serve("GET")

    def do_PUT(self):
        self.serve("PUT")

    def do_PATCH(self):
        self.serve("PATCH")

    def do_DELETE(self):
        self.serve("DELETE")

    def do_POST(self):
        self.serve("POST")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Serve until the test process that started us closes our stdin (it exits, however it ends):
    # its harness never stops us itself.
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
