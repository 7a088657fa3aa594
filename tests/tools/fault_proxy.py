"""An HTTP proxy in front of moto that injects AWS faults, for the retry tests.

Usage: fault_proxy.py UPSTREAM_URL LOG_FILE RULE...
A rule is ACTION:MODE:COUNT. ACTION is an EC2 query action (CreateVpc) or, for S3,
METHOD:subresource written as S3-PUT-versioning. MODE is
  throttle  answer 503 RequestLimitExceeded without forwarding,
  error500  answer 500 InternalError without forwarding,
  lost500   forward the call (it happens), then answer 500 (the client never learns),
  stall     hold the call for 30 s before forwarding it (a hung cloud, for timeouts),
and COUNT is how many of that action's calls to hit ("always" for all).
Every call is logged as "ACTION STATUS forwarded|fault|lost". Prints "port N" when listening;
exits when standard input closes.
"""

import http.client
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = urllib.parse.urlsplit(sys.argv[1])
LOG = open(sys.argv[2], "a", buffering=1, encoding="utf-8")
RULES = {}
for spec in sys.argv[3:]:
    action, mode, count = spec.rsplit(":", 2)
    RULES[action] = [mode, None if count == "always" else int(count)]
LOCK = threading.Lock()
SERIAL = [0]

ERRORS = {
    "throttle": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "error500": (500, "InternalError", "An internal error has occurred."),
    "lost500": (500, "InternalError", "An internal error has occurred."),
}


def action_of(method, path, body):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query, keep_blank_values=True)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
    for params in (form, query):
        if "Action" in params:
            return params["Action"][0]
    sub = next(iter(query), "")
    return f"S3-{method}-{sub}" if sub else f"S3-{method}"


def take_fault(action):
    with LOCK:
        rule = RULES.get(action)
        if not rule:
            return None
        mode, left = rule
        if left is None:
            return mode
        if left <= 0:
            return None
        rule[1] = left - 1
        SERIAL[0] += 1
        return mode


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        action = action_of(self.command, self.path, body)
        mode = take_fault(action)
        if mode in ("throttle", "error500"):
            return self.fail(action, mode)
        if mode == "stall":
            time.sleep(30)
        status, headers, payload = self.forward(body)
        if mode == "lost500":
            return self.fail(action, mode)
        LOG.write(f"{action} {status} forwarded\n")
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def forward(self, body):
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), payload

    def fail(self, action, mode):
        status, code, message = ERRORS[mode]
        with LOCK:
            SERIAL[0] += 1
            rid = f"fault-{SERIAL[0]}"
        if action.startswith("S3-"):
            payload = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{rid}</RequestId></Error>"
        else:
            payload = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>"
        data = payload.encode()
        LOG.write(f"{action} {status} {'lost' if mode == 'lost500' else 'fault'}\n")
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("x-amzn-RequestId", rid)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
