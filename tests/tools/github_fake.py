"""A local fake of the GitHub REST API's issues and issue comments, checking every request it gets.

Serves what `oppie-policy comment` and `oppie drift --github-issue` use, as GitHub documents it
(REST API version 2022-11-28):

  GET   /repos/{owner}/{repo}/issues/{number}/comments   (per_page, page; Link: rel="next")
  GET   /repositories/{id}/issues/{number}/comments      (the form GitHub's own next links take)
  POST  /repos/{owner}/{repo}/issues/{number}/comments   {"body": "..."}  -> 201
  PATCH /repos/{owner}/{repo}/issues/comments/{id}       {"body": "..."}  -> 200
  GET   /repos/{owner}/{repo}/issues                     (state, labels, per_page, page; pull
                                                          requests included, as GitHub does)
  GET   /repositories/{id}/issues                        (next links)
  POST  /repos/{owner}/{repo}/issues                     {"title", "body"?, "labels"?}  -> 201
  PATCH /repos/{owner}/{repo}/issues/{number}            {"body"?, "title"?, "state"?, "state_reason"?}

Every request must carry `Authorization: Bearer <token>`, `Accept: application/vnd.github+json`,
`X-GitHub-Api-Version: 2022-11-28` and a User-Agent; a JSON body must be an object with exactly a
string `body` of at most 65,536 characters. A request that breaks a rule is answered as GitHub
would (401, 403, 404, 422) and recorded in `violations`; so is an issue body over 65,536 characters,
an unknown field, a bad `state`/`state_reason`, or an issue created with the same first body line as
an existing one (a doubled marker). `GET /_fake/state` (no auth) returns the comments, the issues,
the request log and the violations, for the test to assert on.

Standard library only. Usage:
  github_fake.py --port 0 --token T --repo owner/name [--pr 7] [--seed-comments 45] [--seed-issues 30]
                 [--max-per-page 20]
Prints `listening on http://127.0.0.1:PORT` once ready; stops on SIGTERM or when stdin closes
(with --stdin-lifeline).
"""

import argparse
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2022-11-28"
MAX_BODY = 65536
REPO_ID = 424242


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.token = args.token
        self.repo = args.repo
        self.pr = args.pr
        self.max_per_page = args.max_per_page
        self.next_id = 1000
        self.comments = []
        self.issues = []
        self.next_issue = 100
        self.requests = []
        self.violations = []
        for i in range(args.seed_comments):
            self.add_comment(f"Comment {i + 1} by a reviewer. <!-- not ours -->", "reviewer")
        # Other issues, some with our label, one a pull request (the issues list holds those too).
        for i in range(args.seed_issues):
            labels = ["oppie-drift"] if i % 2 else ["bug"]
            issue = self.add_issue(f"Someone else's issue {i + 1}", f"Reported by hand. <!-- oppie-drift:issue elsewhere-{i} -->", labels, "reviewer")
            if i == 0:
                issue["pull_request"] = {"url": f"https://api.github.com/repos/{self.repo}/pulls/{issue['number']}"}

    def add_issue(self, title, body, labels, user):
        self.next_issue += 1
        n = self.next_issue
        issue = {
            "id": 50000 + n,
            "number": n,
            "url": f"https://api.github.com/repos/{self.repo}/issues/{n}",
            "html_url": f"https://github.com/{self.repo}/issues/{n}",
            "title": title,
            "body": body,
            "state": "open",
            "state_reason": None,
            "labels": [{"name": name} for name in labels],
            "user": {"login": user, "id": 1, "type": "Bot" if user.endswith("[bot]") else "User"},
            "created_at": "2026-12-07T12:00:00Z",
            "updated_at": "2026-12-07T12:00:00Z",
            "closed_at": None,
        }
        self.issues.append(issue)
        return issue

    def add_comment(self, body, user):
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "node_id": f"IC_{self.next_id}",
            "url": f"https://api.github.com/repos/{self.repo}/issues/comments/{self.next_id}",
            "html_url": f"https://github.com/{self.repo}/pull/{self.pr}#issuecomment-{self.next_id}",
            "issue_url": f"https://api.github.com/repos/{self.repo}/issues/{self.pr}",
            "body": body,
            "user": {"login": user, "id": 1, "type": "Bot" if user.endswith("[bot]") else "User"},
            "created_at": "2026-12-07T12:00:00Z",
            "updated_at": "2026-12-07T12:00:00Z",
            "author_association": "MEMBER",
        }
        self.comments.append(comment)
        return comment


class Handler(BaseHTTPRequestHandler):
    server_version = "GitHubFake/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the test reads /_fake/state
        pass

    @property
    def state(self) -> State:
        return self.server.state

    def reply(self, status, payload, headers=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Api-Version-Selected", API_VERSION)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def violation(self, status, message, detail):
        with self.state.lock:
            self.state.violations.append(f"{self.command} {self.path}: {detail}")
        self.reply(status, {"message": message, "documentation_url": "https://docs.github.com/rest"})

    def read_json_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if "application/json" not in (self.headers.get("Content-Type") or ""):
            return None, "Content-Type is not application/json"
        try:
            value = json.loads(raw)
        except ValueError as e:
            return None, f"body is not JSON: {e}"
        if not isinstance(value, dict) or set(value) != {"body"} or not isinstance(value["body"], str):
            return None, f"body must be an object with exactly a string 'body', got {str(value)[:200]}"
        if len(value["body"]) > MAX_BODY:
            return None, f"body is {len(value['body'])} characters, over {MAX_BODY}"
        return value, None

    def check_headers(self):
        auth = self.headers.get("Authorization")
        if auth != f"Bearer {self.state.token}":
            shown = "missing" if auth is None else ("not Bearer" if not auth.startswith("Bearer ") else "wrong token")
            self.violation(401, "Bad credentials", f"Authorization {shown}")
            return False
        if self.headers.get("Accept") != "application/vnd.github+json":
            self.violation(415, "Unsupported Accept", f"Accept is {self.headers.get('Accept')!r}")
            return False
        if self.headers.get("X-GitHub-Api-Version") != API_VERSION:
            self.violation(400, "Invalid API version", f"X-GitHub-Api-Version is {self.headers.get('X-GitHub-Api-Version')!r}")
            return False
        if not self.headers.get("User-Agent"):
            self.violation(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header", "no User-Agent")
            return False
        return True

    def log(self):
        with self.state.lock:
            self.state.requests.append({
                "method": self.command,
                "path": urlsplit(self.path).path,
                "query": urlsplit(self.path).query,
                "user_agent": self.headers.get("User-Agent"),
            })

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/_fake/state":
            with self.state.lock:
                return self.reply(200, {
                    "comments": self.state.comments,
                    "issues": self.state.issues,
                    "requests": self.state.requests,
                    "violations": self.state.violations,
                })
        self.log()
        if not self.check_headers():
            return
        i = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues", url.path)
        if (i and i.group(1) == self.state.repo) or url.path == f"/repositories/{REPO_ID}/issues":
            return self.list_issues(url)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", url.path)
        n = re.fullmatch(rf"/repositories/{REPO_ID}/issues/(\d+)/comments", url.path)
        if m and m.group(1) == self.state.repo and int(m.group(2)) == self.state.pr:
            pass
        elif n and int(n.group(1)) == self.state.pr:
            pass
        else:
            return self.reply(404, {"message": "Not Found"})
        query = parse_qs(url.query)
        try:
            per_page = min(int(query.get("per_page", ["30"])[0]), 100, self.state.max_per_page)
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            return self.violation(422, "Invalid request", f"bad per_page/page in {url.query!r}")
        if per_page < 1 or page < 1:
            return self.violation(422, "Invalid request", f"per_page/page out of range in {url.query!r}")
        with self.state.lock:
            comments = list(self.state.comments)
        start = (page - 1) * per_page
        chunk = comments[start:start + per_page]
        last = max(1, -(-len(comments) // per_page))
        base = f"http://{self.headers.get('Host')}/repositories/{REPO_ID}/issues/{self.state.pr}/comments"
        links = []
        if page < last:
            links.append(f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{base}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?per_page={per_page}&page={page - 1}>; rel="prev"')
            links.append(f'<{base}?per_page={per_page}&page=1>; rel="first"')
        self.reply(200, chunk, {"Link": ", ".join(links)} if links else None)

    def list_issues(self, url):
        query = parse_qs(url.query)
        unknown = set(query) - {"state", "labels", "per_page", "page", "sort", "direction", "creator", "since"}
        if unknown:
            return self.violation(422, "Invalid request", f"unknown issues-list parameters {sorted(unknown)}")
        state = query.get("state", ["open"])[0]
        if state not in ("open", "closed", "all"):
            return self.violation(422, "Invalid request", f"state {state!r}")
        labels = [l for l in query.get("labels", [""])[0].split(",") if l]
        try:
            per_page = min(int(query.get("per_page", ["30"])[0]), 100, self.state.max_per_page)
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            return self.violation(422, "Invalid request", f"bad per_page/page in {url.query!r}")
        if per_page < 1 or page < 1:
            return self.violation(422, "Invalid request", f"per_page/page out of range in {url.query!r}")
        with self.state.lock:
            issues = [
                i for i in reversed(self.state.issues)  # newest first, as GitHub sorts by default
                if (state == "all" or i["state"] == state)
                and all(any(l == have["name"] for have in i["labels"]) for l in labels)
            ]
        start = (page - 1) * per_page
        chunk = issues[start:start + per_page]
        last = max(1, -(-len(issues) // per_page))
        keep = f"state={state}" + (f"&labels={','.join(labels)}" if labels else "")
        base = f"http://{self.headers.get('Host')}/repositories/{REPO_ID}/issues?{keep}&per_page={per_page}"
        links = []
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        self.reply(200, chunk, {"Link": ", ".join(links)} if links else None)

    def read_issue_body(self, required, allowed):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if "application/json" not in (self.headers.get("Content-Type") or ""):
            return None, "Content-Type is not application/json"
        try:
            value = json.loads(raw)
        except ValueError as e:
            return None, f"body is not JSON: {e}"
        if not isinstance(value, dict):
            return None, "body is not an object"
        if not required <= set(value) or not set(value) <= allowed:
            return None, f"fields {sorted(value)} (required {sorted(required)}, allowed {sorted(allowed)})"
        for key in ("title", "body"):
            if key in value and not isinstance(value[key], str):
                return None, f"{key} is not a string"
        if "title" in value and not value["title"].strip():
            return None, "empty title"
        if len(value.get("body") or "") > MAX_BODY:
            return None, f"body is {len(value['body'])} characters, over {MAX_BODY}"
        if "labels" in value and not (isinstance(value["labels"], list) and all(isinstance(l, str) for l in value["labels"])):
            return None, "labels is not a list of strings"
        if value.get("state", "open") not in ("open", "closed"):
            return None, f"state {value['state']!r}"
        if value.get("state_reason") not in (None, "completed", "not_planned", "reopened"):
            return None, f"state_reason {value['state_reason']!r}"
        return value, None

    def issue_post(self):
        value, problem = self.read_issue_body({"title"}, {"title", "body", "labels", "assignees", "milestone"})
        if problem:
            return self.violation(422, "Validation Failed", problem)
        first = (value.get("body") or "").split("\n", 1)[0]
        with self.state.lock:
            if first.startswith("<!--") and any((i["body"] or "").split("\n", 1)[0] == first for i in self.state.issues):
                self.state.violations.append(f"a second issue with the marker {first}")
            issue = self.state.add_issue(value["title"], value.get("body"), value.get("labels", []), "github-actions[bot]")
        self.reply(201, issue, {"Location": issue["url"]})

    def issue_patch(self, number):
        value, problem = self.read_issue_body(set(), {"title", "body", "state", "state_reason", "labels"})
        if problem:
            return self.violation(422, "Validation Failed", problem)
        with self.state.lock:
            for issue in self.state.issues:
                if issue["number"] == number:
                    if issue["user"]["login"] != "github-actions[bot]":
                        self.state.violations.append(f"PATCH of someone else's issue {number}")
                        return self.reply(403, {"message": "Resource not accessible by integration"})
                    for key in ("title", "body"):
                        if key in value:
                            issue[key] = value[key]
                    if "state" in value:
                        issue["state"] = value["state"]
                        issue["state_reason"] = value.get("state_reason") or ("reopened" if value["state"] == "open" else "completed")
                        issue["closed_at"] = "2026-12-07T12:30:00Z" if value["state"] == "closed" else None
                    issue["updated_at"] = "2026-12-07T12:30:00Z"
                    return self.reply(200, issue)
        self.reply(404, {"message": "Not Found"})

    def do_POST(self):
        self.log()
        if not self.check_headers():
            return
        i = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues", urlsplit(self.path).path)
        if i and i.group(1) == self.state.repo:
            return self.issue_post()
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", urlsplit(self.path).path)
        if not m or m.group(1) != self.state.repo or int(m.group(2)) != self.state.pr:
            return self.reply(404, {"message": "Not Found"})
        value, problem = self.read_json_body()
        if problem:
            return self.violation(422, "Validation Failed", problem)
        with self.state.lock:
            comment = self.state.add_comment(value["body"], "github-actions[bot]")
        self.reply(201, comment, {"Location": comment["url"]})

    def do_PATCH(self):
        self.log()
        if not self.check_headers():
            return
        i = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)", urlsplit(self.path).path)
        if i and i.group(1) == self.state.repo:
            return self.issue_patch(int(i.group(2)))
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", urlsplit(self.path).path)
        if not m or m.group(1) != self.state.repo:
            return self.reply(404, {"message": "Not Found"})
        value, problem = self.read_json_body()
        if problem:
            return self.violation(422, "Validation Failed", problem)
        with self.state.lock:
            for comment in self.state.comments:
                if comment["id"] == int(m.group(2)):
                    if comment["user"]["login"] != "github-actions[bot]":
                        self.state.violations.append(f"PATCH of someone else's comment {comment['id']}")
                        return self.reply(403, {"message": "Resource not accessible by integration"})
                    comment["body"] = value["body"]
                    comment["updated_at"] = "2026-12-07T12:30:00Z"
                    return self.reply(200, comment)
        self.reply(404, {"message": "Not Found"})

    def do_DELETE(self):
        self.log()
        self.violation(405, "Not expected", "DELETE is never needed")

    do_PUT = do_DELETE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--pr", type=int, default=7)
    parser.add_argument("--seed-comments", type=int, default=0)
    parser.add_argument("--seed-issues", type=int, default=0)
    parser.add_argument("--max-per-page", type=int, default=100)
    parser.add_argument("--stdin-lifeline", action="store_true", help="stop when stdin closes")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    if args.stdin_lifeline:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()
        server.shutdown()
    else:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
