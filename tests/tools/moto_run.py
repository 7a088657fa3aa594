"""Runs moto's server on 127.0.0.1 for one test process and exits when that process does.

Usage: moto_run.py PORT   (0 picks a free port). Prints "port N" once the server listens.
Standard input is the lifeline: when the parent closes it (or dies), moto stops, so no
emulator outlives the tests that started it.
"""

import os
import socket
import sys

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
