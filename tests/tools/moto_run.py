"""Runs moto's server on 127.0.0.1 for one test process and exits when that process does.

Usage: moto_run.py PORT   (0 picks a free port). Prints "port N" once the server listens.
Standard input is the lifeline: when the parent closes it (or dies), moto stops, so no
emulator outlives the tests that started it.
"""

import json
import os
import socket
import sys

from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse
from moto.kms.responses import KmsResponse
from moto.s3.responses import S3Response
from moto.server import ThreadedMotoServer


def get_bucket_versioning(self):
    """S3 answers GetBucketVersioning with a VersioningConfiguration root element; moto
    5.2.5 names it GetBucketVersioningResponse, which the Rust SDK rightly rejects."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    )
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = get_bucket_versioning


# ElastiCache and KMS behave as AWS documents them where moto 5.2.5 stops short.
def delete_replication_group(self, replication_group_id, retain_primary_cluster):
    """AWS removes a deleted replication group once it is gone (DescribeReplicationGroups
    then answers ReplicationGroupNotFoundFault); moto keeps it in "deleting" for ever."""
    group = _original_delete_replication_group(self, replication_group_id, retain_primary_cluster)
    self.replication_groups.pop(replication_group_id, None)
    return group


def delete_cache_subnet_group(self):
    """DeleteCacheSubnetGroup, which moto lacks: refused while a replication group uses it."""
    name = self._get_param("CacheSubnetGroupName")
    backend = self.elasticache_backend
    if name not in backend.cache_subnet_groups:
        from moto.elasticache.exceptions import CacheSubnetGroupNotFound

        raise CacheSubnetGroupNotFound(name)
    if any(g.cache_subnet_group_name == name for g in backend.replication_groups.values()):
        body = ('<ErrorResponse><Error><Type>Sender</Type><Code>CacheSubnetGroupInUse</Code>'
                f'<Message>Cache subnet group {name} is currently in use</Message></Error>'
                '<RequestId>moto</RequestId></ErrorResponse>')
        return 400, {"Content-Type": "text/xml"}, body
    group = backend.cache_subnet_groups.pop(name)
    backend.tagging_service.delete_all_tags_for_resource(group.arn)
    return 200, {"Content-Type": "text/xml"}, (
        '<DeleteCacheSubnetGroupResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">'
        '<ResponseMetadata><RequestId>moto</RequestId></ResponseMetadata></DeleteCacheSubnetGroupResponse>')


def enable_key_rotation(self):
    """Keeps RotationPeriodInDays (moto drops it) for GetKeyRotationStatus."""
    out = _original_enable_key_rotation(self)
    key = self.kms_backend.keys[self.kms_backend.get_key_id(self._get_param("KeyId"))]
    key.rotation_period_in_days = self._get_param("RotationPeriodInDays") or 365
    return out


def get_key_rotation_status(self):
    """Answers RotationPeriodInDays for a rotating key, as KMS does."""
    out = json.loads(_original_get_key_rotation_status(self))
    key = self.kms_backend.keys[self.kms_backend.get_key_id(self._get_param("KeyId"))]
    if out.get("KeyRotationEnabled"):
        out["RotationPeriodInDays"] = getattr(key, "rotation_period_in_days", 365)
    return json.dumps(out)


_original_delete_replication_group = ElastiCacheBackend.delete_replication_group
ElastiCacheBackend.delete_replication_group = delete_replication_group
ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group
_original_enable_key_rotation = KmsResponse.enable_key_rotation
KmsResponse.enable_key_rotation = enable_key_rotation
_original_get_key_rotation_status = KmsResponse.get_key_rotation_status
KmsResponse.get_key_rotation_status = get_key_rotation_status


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"port {port}", flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
