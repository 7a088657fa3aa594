"""The data services of the GCP fake (see gcp_fake.py): Cloud SQL Admin v1, Memorystore for
Redis v1 and Cloud KMS v1, kept in memory. Requests reach here only after gcp_fake.py checked
them against the discovery documents; answers are checked the same way on the way out.

* Cloud SQL mutations answer with sql#operation resources (PENDING -> RUNNING -> DONE over
  polls, and reads of the instance move them too: the cloud works whether or not anyone polls);
  an instance is PENDING_CREATE until its insert is DONE. Users keep their password
  here, never in answers (POST /_fake/sql-password checks one, for tests). A delete with
  enableFinalBackup leaves a backup; GET /_fake/data shows every object of these services.
* Memorystore mutations answer with google.longrunning.Operation (done after two polls of it
  or of the instance); an instance is CREATING until then.
* Cloud KMS answers at once; destroyed versions go DESTROY_SCHEDULED.
Faults: {"method": <id>, "slow": N} makes the operations of that method take N more polls.
"""

import time


class Fail(Exception):
    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


STATUS = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION"}


def fail(status, message, reason=None):
    return Fail(status, reason or STATUS.get(status, "UNKNOWN"), message)


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class Data:
    def __init__(self):
        self.sql = {}  # "project/instance" -> DatabaseInstance
        self.users = {}  # "project/instance" -> {name: password}
        self.sql_ops = {}  # "project/operation" -> [operation, polls left, on_done]
        self.backups = []  # final backups taken on delete
        self.redis = {}  # instance name -> Instance
        self.lros = {}  # operation name -> [operation, polls left, on_done]
        self.rings = {}  # key ring name -> KeyRing
        self.keys = {}  # crypto key name -> CryptoKey
        self.versions = {}  # crypto key name -> [CryptoKeyVersion]
        self.seq = 0

    def next(self):
        self.seq += 1
        return self.seq


DATA = Data()


def reset():
    DATA.__init__()


# ---- Cloud SQL -----------------------------------------------------------------------------

SQL_LINK = "https://sqladmin.googleapis.com/v1/"


def sql_operation(project, instance, op_type, polls, on_done=None):
    name = f"op-{int(time.time() * 1000)}-{DATA.next()}"
    op = {
        "kind": "sql#operation",
        "name": name,
        "operationType": op_type,
        "status": "PENDING",
        "targetProject": project,
        "targetId": instance,
        "targetLink": f"{SQL_LINK}projects/{project}/instances/{instance}",
        "insertTime": now(),
        "user": "tests@oppie.invalid",
        "selfLink": f"{SQL_LINK}projects/{project}/operations/{name}",
    }
    DATA.sql_ops[f"{project}/{name}"] = [op, polls, on_done]
    return op


def merge(into, patch):
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict) and k not in ("userLabels",):
            merge(into[k], v)
        else:
            into[k] = v


def addresses(inst):
    ip = inst["settings"].get("ipConfiguration", {})
    out = []
    n = len(DATA.sql) + 10
    if ip.get("privateNetwork"):
        out.append({"type": "PRIVATE", "ipAddress": f"10.90.0.{n}"})
    if ip.get("ipv4Enabled"):
        out.append({"type": "PRIMARY", "ipAddress": f"34.70.0.{n}"})
    inst["ipAddresses"] = out


def advance_sql(entry):
    """One poll of a Cloud SQL operation: PENDING -> RUNNING ... -> DONE (then its effect)."""
    op = entry[0]
    if entry[1] > 0:
        entry[1] -= 1
        op["status"] = "RUNNING"
        op.setdefault("startTime", now())
    elif op["status"] != "DONE":
        op["status"] = "DONE"
        op["endTime"] = now()
        if entry[2]:
            entry[2]()
    return op


def advance_lro(entry):
    """One poll of a long-running operation: done after its polls (then its effect)."""
    op = entry[0]
    if entry[1] > 0:
        entry[1] -= 1
    elif not op["done"]:
        op["done"] = True
        op["metadata"]["endTime"] = now()
        if entry[2]:
            op["response"] = entry[2]()
    return op


def sql_call(mid, p, q, body, slow):
    project = p.get("project")
    key = f"{project}/{p.get('instance')}"
    short = mid.removeprefix("sql.")
    if short == "operations.get":
        entry = DATA.sql_ops.get(f"{project}/{p['operation']}")
        if entry is None:
            raise fail(404, f"The operation {p['operation']} does not exist.", "operationDoesNotExist")
        return advance_sql(entry)
    if short == "instances.insert":
        name = body.get("name", "")
        key = f"{project}/{name}"
        if key in DATA.sql:
            raise fail(409, "The Cloud SQL instance already exists.", "instanceAlreadyExists")
        inst = dict(body)
        settings = dict(inst.get("settings", {}))
        settings.update({"kind": "sql#settings", "settingsVersion": "1"})
        inst.update({
            "kind": "sql#instance",
            "project": project,
            "state": "PENDING_CREATE",
            "backendType": "SECOND_GEN",
            "instanceType": "CLOUD_SQL_INSTANCE",
            "connectionName": f"{project}:{inst.get('region')}:{name}",
            "gceZone": f"{inst.get('region')}-b",
            "selfLink": f"{SQL_LINK}projects/{project}/instances/{name}",
            "createTime": now(),
            "settings": settings,
        })
        addresses(inst)
        DATA.sql[key] = inst
        engine_user = "postgres" if inst.get("databaseVersion", "").startswith("POSTGRES") else "root"
        DATA.users[key] = {engine_user: None}

        def ready():
            inst["state"] = "RUNNABLE"

        return sql_operation(project, name, "CREATE", 2 + slow, ready)
    inst = DATA.sql.get(key)
    if inst is None:
        raise fail(404, f"The Cloud SQL instance {p.get('instance')} does not exist.", "instanceDoesNotExist")
    if short == "instances.get":
        # The cloud works on whether or not anyone polls: a read moves its operations too.
        for entry in [e for e in DATA.sql_ops.values() if e[0]["targetId"] == p["instance"] and e[0]["targetProject"] == project]:
            advance_sql(entry)
        if key not in DATA.sql:
            raise fail(404, f"The Cloud SQL instance {p.get('instance')} does not exist.", "instanceDoesNotExist")
        return inst
    if short == "instances.patch":
        if "settings" in body:
            merge(inst["settings"], body["settings"])
            if "userLabels" in body["settings"]:
                inst["settings"]["userLabels"] = body["settings"]["userLabels"]
            inst["settings"]["settingsVersion"] = str(int(inst["settings"]["settingsVersion"]) + 1)
        if "databaseVersion" in body:
            inst["databaseVersion"] = body["databaseVersion"]
        addresses(inst)
        return sql_operation(project, p["instance"], "UPDATE", 1 + slow)
    if short == "instances.delete":
        if inst["settings"].get("deletionProtectionEnabled"):
            raise fail(400, "The instance is protected from deletion: turn off deletion protection first.", "deletionProtectionEnabled")
        inst["state"] = "PENDING_DELETE"
        if q.get("enableFinalBackup") == "true":
            DATA.backups.append({"instance": p["instance"], "ttlDays": q.get("finalBackupTtlDays")})

        def gone():
            DATA.sql.pop(key, None)
            DATA.users.pop(key, None)

        return sql_operation(project, p["instance"], "DELETE", 1 + slow, gone)
    users = DATA.users.setdefault(key, {})
    if inst["state"] != "RUNNABLE":
        raise fail(409, f"The instance is {inst['state']}: operations on users wait until it is RUNNABLE.", "operationInProgress")

    def user(name):
        return {"kind": "sql#user", "name": name, "instance": p["instance"], "project": project, "type": "BUILT_IN"}

    if short == "users.list":
        return {"kind": "sql#usersList", "items": [user(n) for n in sorted(users)]}
    if short == "users.get":
        if p["name"] not in users:
            raise fail(404, f"The user {p['name']} does not exist.", "notFound")
        return user(p["name"])
    if short == "users.insert":
        if body.get("name") in users:
            raise fail(409, f"The user {body.get('name')} already exists.", "userAlreadyExists")
        users[body["name"]] = body.get("password")
        return sql_operation(project, p["instance"], "CREATE_USER", 1)
    if short == "users.update":
        if q.get("name") not in users:
            raise fail(404, f"The user {q.get('name')} does not exist.", "notFound")
        users[q["name"]] = body.get("password")
        return sql_operation(project, p["instance"], "UPDATE_USER", 1)
    raise fail(501, f"the fake does not implement {mid}", "notImplemented")


# ---- Memorystore ---------------------------------------------------------------------------


def lro(location, target, verb, polls, on_done=None):
    name = f"{location}/operations/operation-{int(time.time() * 1000)}-{DATA.next()}"
    op = {"name": name, "done": False,
          "metadata": {"@type": "type.googleapis.com/google.cloud.redis.v1.OperationMetadata",
                       "createTime": now(), "target": target, "verb": verb, "apiVersion": "v1"}}
    DATA.lros[name] = [op, polls, on_done]
    return op


def redis_call(mid, p, q, body, slow):
    location = f"projects/{p['projectsId']}/locations/{p['locationsId']}"
    short = mid.removeprefix("redis.projects.locations.")
    if short == "operations.get":
        entry = DATA.lros.get(f"{location}/operations/{p['operationsId']}")
        if entry is None:
            raise fail(404, "operation not found")
        return advance_lro(entry)
    if short == "instances.create":
        name = f"{location}/instances/{q.get('instanceId')}"
        if name in DATA.redis:
            raise fail(409, f"Resource '{name}' already exists")
        inst = dict(body)
        tls = inst.get("transitEncryptionMode") == "SERVER_AUTHENTICATION"
        inst.update({
            "name": name,
            "state": "CREATING",
            "locationId": f"{p['locationsId']}-b",
            "currentLocationId": f"{p['locationsId']}-b",
            "host": f"10.91.0.{len(DATA.redis) + 3}",
            "port": 6378 if tls else 6379,
            "createTime": now(),
            "authorizedNetwork": inst.get("authorizedNetwork") or f"projects/{p['projectsId']}/global/networks/default",
            "connectMode": inst.get("connectMode") or "DIRECT_PEERING",
            "readReplicasMode": "READ_REPLICAS_DISABLED",
        })
        if inst.get("tier") == "STANDARD_HA":
            inst["alternativeLocationId"] = f"{p['locationsId']}-c"
        inst.setdefault("redisVersion", "REDIS_7_2")
        DATA.redis[name] = inst

        def ready():
            inst["state"] = "READY"
            return dict(inst, **{"@type": "type.googleapis.com/google.cloud.redis.v1.Instance"})

        return lro(location, name, "create", 2 + slow, ready)
    name = f"{location}/instances/{p['instancesId']}"
    inst = DATA.redis.get(name)
    if inst is None:
        raise fail(404, f"Resource '{name}' was not found")
    if short == "instances.get":
        for entry in [e for e in DATA.lros.values() if e[0]["metadata"]["target"] == name]:
            advance_lro(entry)
        if name not in DATA.redis:
            raise fail(404, f"Resource '{name}' was not found")
        return inst
    if inst["state"] != "READY":
        raise fail(400, f"The instance is {inst['state']}; it must be READY.", "FAILED_PRECONDITION")
    if short == "instances.patch":
        for field in q.get("updateMask", "").split(","):
            if field not in ("memorySizeGb", "labels", "persistenceConfig", "displayName", "redisConfigs", "replicaCount",
                             "maintenancePolicy", "readReplicasMode", "secondaryIpRange"):
                raise fail(400, f"field {field!r} cannot be updated")
            if field in body:
                inst[field] = body[field]
        inst["state"] = "UPDATING"

        def updated():
            inst["state"] = "READY"
            return dict(inst, **{"@type": "type.googleapis.com/google.cloud.redis.v1.Instance"})

        return lro(location, name, "update", 1 + slow, updated)
    if short == "instances.upgrade":
        inst["redisVersion"] = body["redisVersion"]
        return lro(location, name, "upgrade", 1 + slow, lambda: dict(inst, **{"@type": "type.googleapis.com/google.cloud.redis.v1.Instance"}))
    if short == "instances.delete":
        inst["state"] = "DELETING"

        def gone():
            DATA.redis.pop(name, None)
            return {"@type": "type.googleapis.com/google.protobuf.Empty"}

        return lro(location, name, "delete", 1 + slow, gone)
    raise fail(501, f"the fake does not implement {mid}", "notImplemented")


# ---- Cloud KMS -----------------------------------------------------------------------------


def new_version(key_name):
    versions = DATA.versions.setdefault(key_name, [])
    v = {"name": f"{key_name}/cryptoKeyVersions/{len(versions) + 1}", "state": "ENABLED", "createTime": now(),
         "protectionLevel": "SOFTWARE", "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "generateTime": now()}
    versions.append(v)
    return v


def primary(key):
    name = key.get("_primary")
    for v in DATA.versions.get(key["name"], []):
        if v["name"] == name:
            return v
    return None


def shown(key):
    out = {k: v for k, v in key.items() if not k.startswith("_")}
    pv = primary(key)
    if pv is not None:
        out["primary"] = dict(pv)
    return out


def kms_call(mid, p, q, body):
    location = f"projects/{p['projectsId']}/locations/{p['locationsId']}"
    short = mid.removeprefix("cloudkms.projects.locations.")
    if short == "keyRings.create":
        name = f"{location}/keyRings/{q.get('keyRingId')}"
        if name in DATA.rings:
            raise fail(409, f"KeyRing {name} already exists.")
        DATA.rings[name] = {"name": name, "createTime": now()}
        return DATA.rings[name]
    ring = f"{location}/keyRings/{p['keyRingsId']}"
    if ring not in DATA.rings:
        raise fail(404, f"KeyRing {ring} not found.")
    if short == "keyRings.get":
        return DATA.rings[ring]
    if short == "keyRings.cryptoKeys.create":
        name = f"{ring}/cryptoKeys/{q.get('cryptoKeyId')}"
        if name in DATA.keys:
            raise fail(409, f"CryptoKey {name} already exists.")
        key = dict(body)
        key.update({"name": name, "createTime": now(),
                    "versionTemplate": {"protectionLevel": "SOFTWARE", "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"}})
        key.setdefault("destroyScheduledDuration", "2592000s")
        DATA.keys[name] = key
        key["_primary"] = new_version(name)["name"]
        return shown(key)
    name = f"{ring}/cryptoKeys/{p['cryptoKeysId']}"
    key = DATA.keys.get(name)
    if key is None:
        raise fail(404, f"CryptoKey {name} not found.")
    if short == "keyRings.cryptoKeys.get":
        return shown(key)
    if short == "keyRings.cryptoKeys.patch":
        mask = [f for f in q.get("updateMask", "").split(",") if f]
        if not mask:
            raise fail(400, "update_mask must be set")
        for field in mask:
            if field not in ("rotationPeriod", "nextRotationTime", "labels", "versionTemplate.algorithm", "destroyScheduledDuration"):
                raise fail(400, f"field {field!r} cannot be updated")
            if field in body:
                key[field] = body[field]
            else:
                key.pop(field, None)
        if ("rotationPeriod" in key) != ("nextRotationTime" in key):
            raise fail(400, "rotation_period and next_rotation_time must be set together")
        return shown(key)
    if short == "keyRings.cryptoKeys.updatePrimaryVersion":
        vname = f"{name}/cryptoKeyVersions/{body.get('cryptoKeyVersionId')}"
        v = next((v for v in DATA.versions.get(name, []) if v["name"] == vname), None)
        if v is None or v["state"] != "ENABLED":
            raise fail(400, f"{vname} is not an enabled version")
        key["_primary"] = vname
        return shown(key)
    if short == "keyRings.cryptoKeys.cryptoKeyVersions.create":
        return new_version(name)
    if short == "keyRings.cryptoKeys.cryptoKeyVersions.list":
        versions = DATA.versions.get(name, [])
        return {"cryptoKeyVersions": versions, "totalSize": len(versions)}
    if short == "keyRings.cryptoKeys.cryptoKeyVersions.destroy":
        vname = f"{name}/cryptoKeyVersions/{p['cryptoKeyVersionsId']}"
        v = next((v for v in DATA.versions.get(name, []) if v["name"] == vname), None)
        if v is None:
            raise fail(404, f"{vname} not found.")
        if v["state"] not in ("ENABLED", "DISABLED"):
            raise fail(400, f"{vname} is {v['state']}", "FAILED_PRECONDITION")
        v["state"] = "DESTROY_SCHEDULED"
        v["destroyTime"] = now()
        return v
    raise fail(501, f"the fake does not implement {mid}", "notImplemented")


def snapshot():
    """What tests look at: objects by service."""
    return {
        "sql": {k: {"state": v["state"], "settings": v["settings"], "databaseVersion": v.get("databaseVersion"),
                    "diskEncryptionConfiguration": v.get("diskEncryptionConfiguration")} for k, v in DATA.sql.items()},
        "redis": dict(DATA.redis),
        "keys": {k: shown(v) for k, v in DATA.keys.items()},
        "versions": {k: [v["state"] for v in vs] for k, vs in DATA.versions.items()},
        "backups": list(DATA.backups),
    }


def passwords():
    return {k: sorted(u for u, pw in users.items() if pw) for k, users in DATA.users.items()}


def password_is(key, user, password):
    return DATA.users.get(key, {}).get(user) == password
