"""Runs the shell steps of the example workflows (examples/ci/github) locally, as a GitHub runner
would, and checks what they did.

For each scenario it lays out a workspace and a runner environment (`GITHUB_EVENT_PATH` with a
recorded webhook event, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_ENV`, `GITHUB_PATH`,
`RUNNER_TEMP`, ...), evaluates the `${{ }}` expressions and `if:` conditions the workflows use,
and runs every `run:` step with `bash -eo pipefail`, in order, the way a job does.

What is not run for real, and why:
  - `uses:` steps (checkout, setup-terraform, cache, upload-sarif) are actions, not shell; they
    are skipped. For upload-sarif the SARIF file it would upload is checked to exist and be SARIF 2.1.0.
  - Steps with id `install` (`cargo install --git https://github.com/...`): they would build from
    the network; the binaries built by this test run (`--bin-dir`) are on PATH instead.
  - Steps with id `plan-head` / `plan-base` of the pull-request workflow: `terraform init` needs
    the provider registry and `terraform plan` cloud credentials; the stub writes recorded plan
    JSON (policy-host/tests/fixtures/plans) where the step writes its plan, and the same output.
  - `terraform` and `gh` in the other workflows are fakes on PATH (tests/tools/fake_terraform.py
    and a `gh` script) that record every call and keep per-workspace states, so the workflows'
    own shell (workspace naming, expiry, destroy order, drift handling) runs unchanged.
  - The GitHub REST API is tests/tools/github_fake.py (it checks every request).

Usage: run-workflow-steps.py --bin-dir TARGET/debug [--keep]
Prints one line per step and a closing `N passed, N failed`; exits 1 on any failure.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "examples/ci/github"
FIXTURES = ROOT / "tests/fixtures/github"
PLANS = ROOT / "policy-host/tests/fixtures/plans"
TOOLS = ROOT / "tests/tools"
TOKEN = "ghs_workflowFakeToken42"
REPO = "acme/infra"

# ---------------------------------------------------------------------------------------------
# Expressions: the subset of GitHub's expression syntax the example workflows use.


class Expr:
    TOKEN = re.compile(r"\s*(?:(\|\||&&|==|!=|!|\(|\)|,)|('(?:[^']|'')*')|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))")

    def __init__(self, text, context, status):
        self.tokens = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot parse expression {text!r} at {text[pos:]!r}")
            self.tokens.append(m.groups())
            pos = m.end()
        self.i = 0
        self.context = context
        self.status = status

    def peek(self):
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, op=None):
        tok = self.tokens[self.i]
        if op is not None and tok[0] != op:
            raise ValueError(f"expected {op!r}")
        self.i += 1
        return tok

    def parse(self):
        value = self.or_()
        if self.i != len(self.tokens):
            raise ValueError(f"trailing tokens {self.tokens[self.i:]}")
        return value

    def or_(self):
        left = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            left = left if truthy(left) else right
        return left

    def and_(self):
        left = self.cmp()
        while self.peek() == "&&":
            self.take()
            right = self.cmp()
            left = right if truthy(left) else left
        return left

    def cmp(self):
        left = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()[0]
            right = self.unary()
            equal = loose(left) == loose(right)
            left = equal if op == "==" else not equal
        return left

    def unary(self):
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        op, string, number, name = self.take()
        if op == "(":
            value = self.or_()
            self.take(")")
            return value
        if string is not None:
            return string[1:-1].replace("''", "'")
        if number is not None:
            return float(number)
        if name in ("true", "false"):
            return name == "true"
        if name == "null":
            return None
        if self.peek() == "(":
            self.take("(")
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            return self.call(name, args)
        value = self.context
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def call(self, name, args):
        if name == "always":
            return True
        if name == "success":
            return self.status == "success"
        if name == "failure":
            return self.status == "failure"
        if name == "cancelled":
            return False
        if name == "contains":
            hay, needle = args
            return (needle in hay) if isinstance(hay, list) else str(needle).lower() in str(hay).lower()
        if name == "startsWith":
            return str(args[0]).lower().startswith(str(args[1]).lower())
        if name == "format":
            return re.sub(r"\{(\d+)\}", lambda m: text(args[1 + int(m.group(1))]), args[0])
        if name == "toJSON":
            return json.dumps(args[0], indent=2)
        raise ValueError(f"function {name}() is not supported by this runner")


def truthy(value):
    return value not in (None, False, 0, 0.0, "")


def loose(value):
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool) or value is None:
        return value
    return float(value) if isinstance(value, (int, float)) else json.dumps(value)


def text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def evaluate(template, context, status="success"):
    """`${{ }}` substituted into a string (a whole-string expression keeps its type)."""
    if not isinstance(template, str):
        return template
    whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", template, re.S)
    if whole:
        return Expr(whole.group(1), context, status).parse()
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: text(Expr(m.group(1), context, status).parse()), template, flags=re.S)


def condition(expr, context, status):
    if expr is None:
        return status == "success"
    if isinstance(expr, bool):
        return expr
    inner = expr.strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", inner, re.S)
    if m:
        inner = m.group(1)
    uses_status = re.search(r"\b(always|success|failure|cancelled)\(", inner)
    result = truthy(Expr(inner, context, status).parse())
    return result if uses_status else (result and status == "success")


# ---------------------------------------------------------------------------------------------
# The job runner.


class Result:
    def __init__(self):
        self.steps = []  # (name, outcome, exit code)
        self.summary = ""
        self.outputs = {}

    def outcome(self, name):
        for step_name, outcome, code in self.steps:
            if step_name == name:
                return outcome, code
        raise KeyError(f"no step {name!r} in {[s[0] for s in self.steps]}")


def run_job(workflow_path, job_id, event_name, event, base_env, stubs, workspace, temp, inputs=None, extra_env=None):
    """Runs one job of a workflow, or with job_id None the steps of a composite action."""
    workflow = yaml.safe_load(workflow_path.read_text())
    if job_id is None:
        job = {"steps": workflow["runs"]["steps"]}
        defaults = {name: spec.get("default", "") for name, spec in workflow.get("inputs", {}).items()}
        workflow = {"env": {}}
        job_id = "action"
    else:
        job = workflow["jobs"][job_id]
        defaults = {}
    event_path = temp / f"event-{job_id}.json"
    event_path.write_text(json.dumps(event))
    result = Result()
    steps_context = {}
    github = {
        "event": event,
        "event_name": event_name,
        "token": TOKEN,
        "repository": REPO,
        "run_id": "4242",
        "sha": event.get("pull_request", {}).get("merge_commit_sha", "f" * 40),
        "workspace": str(workspace),
        "action_ref": "",
        "action_repository": "",
    }
    env = dict(base_env)
    context = {"github": github, "env": env, "steps": steps_context, "runner": {"temp": str(temp), "os": "Linux"},
               "inputs": {}, "vars": {}, "secrets": {}}
    for key, value in defaults.items():
        context["inputs"][key] = text(evaluate(value, context))
    context["inputs"].update(event.get("inputs", {}))
    context["inputs"].update(inputs or {})
    for key, value in (workflow.get("env") or {}).items():
        env[key] = text(evaluate(value, context))
    if not condition(job.get("if"), context, "success"):
        result.steps.append(("(job)", "skipped", None))
        return result
    for key, value in (job.get("env") or {}).items():
        env[key] = text(evaluate(value, context))
    path_additions = []
    status = "success"
    for index, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {index}"
        step_id = step.get("id", f"__{index}")
        if not condition(step.get("if"), context, status):
            result.steps.append((name, "skipped", None))
            steps_context[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            continue
        output_file = temp / f"output-{job_id}-{index}"
        summary_file = temp / f"summary-{job_id}-{index}"
        env_file = temp / f"env-{job_id}-{index}"
        path_file = temp / f"path-{job_id}-{index}"
        for f in (output_file, summary_file, env_file, path_file):
            f.write_text("")
        step_env = dict(env)
        for key, value in (step.get("env") or {}).items():
            step_env[key] = text(evaluate(value, context, status))
        step_env.update({
            "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path), "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file), "GITHUB_ENV": str(env_file), "GITHUB_PATH": str(path_file),
            "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(temp), "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": github["sha"], "GITHUB_RUN_ID": github["run_id"], "GITHUB_JOB": job_id,
            "PATH": os.pathsep.join(path_additions + [step_env["PATH"]]),
        })
        step_env.update(extra_env or {})
        if "uses" in step:
            outcome = "skipped (action)"
            if step["uses"].startswith("github/codeql-action/upload-sarif"):
                sarif = text(evaluate(step["with"]["sarif_file"], context, status))
                document = json.loads(Path(sarif).read_text())
                assert document["version"] == "2.1.0", f"{sarif} is not SARIF 2.1.0"
                outcome = f"skipped (action); {Path(sarif).name} is SARIF 2.1.0 with {len(document['runs'][0]['results'])} results"
            result.steps.append((name, outcome, 0))
            steps_context[step_id] = {"outputs": {}, "outcome": "success", "conclusion": "success"}
            continue
        script = stubs.get(step.get("id")) if step.get("id") in stubs else evaluate(step["run"], context, status)
        stubbed = step.get("id") in stubs
        script_file = temp / f"step-{job_id}-{index}.sh"
        script_file.write_text(script)
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=workspace, env=step_env, capture_output=True, text=True, timeout=300,
        )
        outputs = parse_kv(output_file.read_text())
        for key, value in parse_kv(env_file.read_text()).items():
            env[key] = value
        path_additions = [p for p in path_file.read_text().splitlines() if p] + path_additions
        result.summary += summary_file.read_text()
        ok = completed.returncode == 0
        outcome = ("success" if ok else "failure") + (" (stubbed)" if stubbed else "")
        result.steps.append((name, outcome, completed.returncode))
        result.outputs[step_id] = outputs
        (temp / f"log-{job_id}-{index}.txt").write_text(completed.stdout + completed.stderr)
        if TOKEN in completed.stdout or TOKEN in completed.stderr:
            raise AssertionError(f"step {name!r} printed the token")
        conclusion = "success" if ok or step.get("continue-on-error") else "failure"
        steps_context[step_id] = {"outputs": outputs, "outcome": "success" if ok else "failure", "conclusion": conclusion}
        if conclusion == "failure":
            status = "failure"
            result.failed_log = completed.stdout + completed.stderr
    return result


def parse_kv(content):
    """GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<EOF` blocks."""
    values = {}
    lines = content.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            i += 1
            while i < len(lines) and lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            values[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
        i += 1
    return values


# ---------------------------------------------------------------------------------------------
# Scenarios.


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"  ok: {what}")
        else:
            self.failed += 1
            print(f"  FAILED: {what} {detail}")


def show(result):
    for name, outcome, code in result.steps:
        print(f"    step {name!r}: {outcome}" + (f" (exit {code})" if code not in (None, 0) else ""))


def stub_bin(directory, bins):
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in bins.items():
        path = directory / name
        path.write_text(body)
        path.chmod(0o755)


def start_github_fake(seed):
    fake = subprocess.Popen(
        [sys.executable, str(TOOLS / "github_fake.py"), "--port", "0", "--token", TOKEN, "--repo", REPO,
         "--pr", "7", "--seed-comments", str(seed), "--max-per-page", "10", "--stdin-lifeline"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    url = fake.stdout.readline().strip().removeprefix("listening on ")
    return fake, url


def fake_state(url):
    import urllib.request
    with urllib.request.urlopen(f"{url}/_fake/state") as answer:
        return json.loads(answer.read())


def pull_request_scenario(checks, bins, temp_root):
    print("pull-request.yml (plan + gate + cost comment), job plan")
    fake, url = start_github_fake(25)
    try:
        workspace = temp_root / "pr/workspace"
        shutil.copytree(ROOT / "policies", workspace / "policies")
        shutil.copy(ROOT / "examples/policy-gate/budgets.json", workspace / "policies-budgets.json")
        # The example reads its budgets from policies/budgets.json.
        shutil.move(workspace / "policies-budgets.json", workspace / "policies/budgets.json")
        (workspace / "infra").mkdir()
        stubs = {
            "install": "oppie-policy --version\n",
            "plan-head": f'cp "{PLANS / "aws-v0.1.json"}" "$RUNNER_TEMP/head.json"\necho "plan=$RUNNER_TEMP/head.json" >> "$GITHUB_OUTPUT"\n',
            "plan-base": f'cp "{PLANS / "clean.json"}" "$RUNNER_TEMP/base.json"\necho "plan=$RUNNER_TEMP/base.json" >> "$GITHUB_OUTPUT"\n',
        }
        base_env = {"PATH": f"{bins}{os.pathsep}{os.environ['PATH']}", "HOME": os.environ.get("HOME", "/root"),
                    "GITHUB_API_URL": url, "GITHUB_SERVER_URL": "https://github.com", "RUST_LOG": "warn"}
        ids = []
        for action, fixture in (("opened", "pull_request.opened.json"), ("synchronize", "pull_request.synchronize.json")):
            temp = temp_root / f"pr/{action}"
            temp.mkdir(parents=True)
            event = json.loads((FIXTURES / fixture).read_text())
            result = run_job(WORKFLOWS / "pull-request.yml", "plan", "pull_request", event, base_env, stubs, workspace, temp)
            show(result)
            outcomes = {name: outcome for name, outcome, _ in result.steps}
            checks.check(f"{action}: the plan, gate and comment steps succeed",
                         all(outcomes[n].startswith("success") for n in
                             ["Install oppie-policy", "Plan the pull request", "Plan the base branch", "Policy gate", "Comment findings and cost"]),
                         str(outcomes) + getattr(result, "failed_log", ""))
            gate = result.outputs.get("gate", {})
            checks.check(f"{action}: the gate's outputs are written to GITHUB_OUTPUT",
                         gate.get("exit-code") == "1" and gate.get("sarif", "").endswith("oppie-policy.sarif"), str(gate))
            checks.check(f"{action}: the last step fails the job on the findings (exit 1)",
                         result.outcome("Gate") == ("failure", 1), str(result.outcome("Gate")))
            checks.check(f"{action}: SARIF checked for upload",
                         "SARIF 2.1.0" in outcomes.get("Upload SARIF", ""), outcomes.get("Upload SARIF", ""))
            checks.check(f"{action}: the job summary has the policy table",
                         "### oppie-policy: failed" in result.summary and "oppie-policy check exited 1" in result.summary,
                         result.summary[:500])
            state = fake_state(url)
            ours = [c for c in state["comments"] if c["body"].startswith("<!-- oppie-policy:comment -->")]
            checks.check(f"{action}: exactly one oppie comment among {len(state['comments'])}", len(ours) == 1)
            checks.check(f"{action}: the GitHub fake saw no bad request", state["violations"] == [], str(state["violations"]))
            if ours:
                ids.append(ours[0]["id"])
                body = ours[0]["body"]
                checks.check(f"{action}: the comment has findings and the cost against the base",
                             "### Findings" in body and "Against the base branch" in body, body[:400])
        methods = [r["method"] for r in fake_state(url)["requests"]]
        checks.check("the second run updated the first run's comment",
                     len(ids) == 2 and ids[0] == ids[1] and methods.count("POST") == 1 and methods.count("PATCH") == 1, str(methods))
    finally:
        fake.stdin.close()
        fake.wait(timeout=10)


FAKE_GH = """#!/usr/bin/env bash
# gh pr view N --repo R --json state --jq .state: the state from FAKE_GH_STATES ("3=OPEN 9=CLOSED").
echo "gh $*" >> "$FAKE_TF_DIR/gh.log"
if [[ "$1 $2" == "pr view" ]]; then
  for pair in $FAKE_GH_STATES; do
    if [[ "${pair%%=*}" == "$3" ]]; then echo "${pair#*=}"; exit 0; fi
  done
  echo "no pull request $3" >&2; exit 1
fi
echo "fake gh: unsupported: $*" >&2; exit 1
"""


def terraform_env(temp_root, name, bins, workspaces=None):
    tf_dir = temp_root / name / "terraform"
    tf_dir.mkdir(parents=True)
    for workspace, state in (workspaces or {}).items():
        (tf_dir / "states").mkdir(exist_ok=True)
        (tf_dir / "states" / f"{workspace}.json").write_text(json.dumps(state))
    stub_dir = temp_root / name / "stub-bin"
    stub_bin(stub_dir, {
        "terraform": f"#!/usr/bin/env bash\nexec {sys.executable} {TOOLS / 'fake_terraform.py'} \"$@\"\n",
        "gh": FAKE_GH,
    })
    return tf_dir, {"PATH": os.pathsep.join([str(stub_dir), str(bins), os.environ["PATH"]]),
                    "HOME": os.environ.get("HOME", "/root"), "FAKE_TF_DIR": str(tf_dir)}


def terraform_calls(tf_dir):
    log = tf_dir / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def preview_scenario(checks, bins, temp_root):
    print("preview-environment.yml (workspace pr-<number>: apply on open and push, destroy on close)")
    tf_dir, base_env = terraform_env(temp_root, "preview", bins)
    workspace = temp_root / "preview/workspace"
    (workspace / "infra").mkdir(parents=True)
    flow = [("opened", "apply"), ("synchronize", "apply"), ("closed", "destroy")]
    for action, job in flow:
        event = json.loads((FIXTURES / "pull_request.opened.json").read_text())
        event["action"] = action
        temp = temp_root / f"preview/{action}"
        temp.mkdir(parents=True)
        for job_id in ("apply", "destroy"):
            result = run_job(WORKFLOWS / "preview-environment.yml", job_id, "pull_request", event, base_env, {}, workspace, temp)
            show(result)
            ran = result.steps[0][1] != "skipped"
            checks.check(f"{action}: job {job_id} {'runs' if job_id == job else 'is skipped'}", ran == (job_id == job))
            if ran:
                checks.check(f"{action}: job {job_id} succeeds",
                             all(not o.startswith("failure") for _, o, _ in result.steps), getattr(result, "failed_log", ""))
    calls = [" ".join(c["args"]) + f" @{c['workspace']}" for c in terraform_calls(tf_dir)]
    applies = [c for c in calls if c.startswith("apply")]
    checks.check("two applies, both in workspace pr-7",
                 len(applies) == 2 and all(c.endswith("@pr-7") and "environment=pr-7" in c for c in applies), str(calls))
    checks.check("both runs select (or create) workspace pr-7",
                 sum("workspace select -or-create pr-7" in c for c in calls) == 2, str(calls))
    destroy = [i for i, c in enumerate(calls) if c.startswith("destroy")]
    delete = [i for i, c in enumerate(calls) if c.startswith("workspace delete pr-7")]
    checks.check("closing destroys pr-7, then deletes its workspace",
                 len(destroy) == 1 and calls[destroy[0]].endswith("@pr-7") and delete and delete[0] > destroy[0], str(calls))
    checks.check("no workspace is left", not (tf_dir / "states" / "pr-7.json").exists())


def environment_state(expires_at):
    values = {"name": "shop-dev-pr", "tier": "dev"}
    if expires_at:
        values["expires_at"] = expires_at
    return {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "oppie_environment.preview", "mode": "managed", "type": "oppie_environment", "name": "preview", "values": values},
        {"address": "oppie_network.main", "mode": "managed", "type": "oppie_network", "name": "main", "values": {"cidr": "10.0.0.0/16"}},
    ]}}}


def reaper_scenario(checks, bins, temp_root):
    print("reaper.yml (nightly: destroy expired preview workspaces)")
    tf_dir, base_env = terraform_env(temp_root, "reaper", bins, {
        "default": {"format_version": "1.0", "values": {"root_module": {}}},
        "pr-3": environment_state("2020-01-01T00:00:00Z"),
        "pr-5": environment_state("2999-01-01T00:00:00Z"),
        "pr-9": environment_state(None),
        "pr-11": environment_state("2999-01-01T00:00:00Z"),
    })
    base_env["FAKE_GH_STATES"] = "3=OPEN 5=OPEN 9=MERGED 11=CLOSED"
    workspace = temp_root / "reaper/workspace"
    (workspace / "infra").mkdir(parents=True)
    temp = temp_root / "reaper/temp"
    temp.mkdir(parents=True)
    event = json.loads((FIXTURES / "schedule.json").read_text())
    result = run_job(WORKFLOWS / "reaper.yml", "reap", "schedule", event, base_env, {}, workspace, temp)
    show(result)
    checks.check("the reaper succeeds", all(not o.startswith("failure") for _, o, _ in result.steps), getattr(result, "failed_log", ""))
    calls = [" ".join(c["args"]) + f" @{c['workspace']}" for c in terraform_calls(tf_dir)]
    destroyed = sorted(c.split("@")[1] for c in calls if c.startswith("destroy"))
    checks.check("expired pr-3 and closed pr-9, pr-11 are destroyed; live pr-5 is kept",
                 destroyed == ["pr-11", "pr-3", "pr-9"], str(destroyed))
    left = sorted(p.stem for p in (tf_dir / "states").glob("*.json"))
    checks.check("their workspaces are deleted", left == ["default", "pr-5"], str(left))
    checks.check("the summary names what was reaped and kept",
                 "reaped pr-3: expired at 2020-01-01T00:00:00Z, destroyed" in result.summary and "kept pr-5" in result.summary,
                 result.summary)
    checks.check("reaped count in GITHUB_OUTPUT", result.outputs.get("reap", {}).get("reaped") == "3", str(result.outputs))


def drift_scenario(checks, bins, temp_root):
    print("drift.yml (scheduled drift scan with oppie drift)")
    tf_dir, base_env = terraform_env(temp_root, "drift", bins)
    base_env["FAKE_TF_PLAN_JSON"] = str(ROOT / "oppie/tests/fixtures/drift-plan.json")
    workspace = temp_root / "drift/workspace"
    (workspace / "infra").mkdir(parents=True)
    shutil.copytree(ROOT / "policies", workspace / "policies")
    temp = temp_root / "drift/temp"
    temp.mkdir(parents=True)
    event = json.loads((FIXTURES / "schedule.json").read_text())
    fake, url = start_github_fake(0)
    try:
        base_env["GITHUB_API_URL"] = url
        result = run_job(WORKFLOWS / "drift.yml", "drift", "schedule", event, base_env, {"install": "oppie --version\n"}, workspace, temp)
        state = fake_state(url)
    finally:
        fake.kill()
        fake.wait()
    show(result)
    ours = [i for i in state["issues"] if i["body"].startswith("<!-- oppie-drift:issue infra -->")]
    checks.check("one drift issue for the directory, opened with the job's token", len(ours) == 1 and ours[0]["state"] == "open"
                 and not state["violations"], json.dumps(state["issues"])[:500] + str(state["violations"]))
    outcomes = {name: outcome for name, outcome, _ in result.steps}
    checks.check("the scan runs oppie drift through (fake) terraform", outcomes.get("Scan for drift") == "success",
                 str(outcomes) + getattr(result, "failed_log", ""))
    calls = [" ".join(c["args"]) for c in terraform_calls(tf_dir)]
    checks.check("a refresh-only plan was made", any(c.startswith("plan -refresh-only") for c in calls), str(calls))
    checks.check("SARIF checked for upload", "SARIF 2.1.0" in outcomes.get("Upload SARIF", ""), outcomes.get("Upload SARIF", ""))
    checks.check("the job summary has the drift table", "|" in result.summary and "drift" in result.summary.lower(), result.summary[:300])
    code = result.outputs.get("scan", {}).get("exit-code")
    checks.check("the recorded drift is at or above high: the scan exits 1 and the last step fails the job with it",
                 code == "1" and result.outcome("Fail on drift") == ("failure", 1), f"{code} {result.outcome('Fail on drift')}")
    checks.check("the history database was written", (workspace / ".oppie/drift.db").exists())


def action_scenario(checks, bins, temp_root):
    print("action.yml (composite: install, check, SARIF, comment, gate)")
    fake, url = start_github_fake(12)
    try:
        workspace = temp_root / "action/workspace"
        shutil.copytree(ROOT / "policies", workspace / "policies")
        shutil.copy(ROOT / "examples/policy-gate/budgets.json", workspace / "budgets.json")
        shutil.copy(PLANS / "aws-v0.1.json", workspace / "plan.json")
        shutil.copy(PLANS / "clean.json", workspace / "base.json")
        base_env = {"PATH": f"{bins}{os.pathsep}{os.environ['PATH']}", "HOME": os.environ.get("HOME", "/root"),
                    "GITHUB_API_URL": url, "GITHUB_SERVER_URL": "https://github.com", "RUST_LOG": "warn"}
        event = json.loads((FIXTURES / "pull_request.opened.json").read_text())
        for name, inputs, expect in [
            ("findings", {"plan": "plan.json", "budget": "budgets.json", "base-plan": "base.json"}, ("failure", 1)),
            ("clean plan", {"plan": "base.json", "budget": "budgets.json", "fail-on": "hard-mandatory"}, ("success", 0)),
        ]:
            temp = temp_root / f"action/{name.replace(' ', '-')}"
            temp.mkdir(parents=True)
            result = run_job(ROOT / "action.yml", None, "pull_request", event, base_env, {}, workspace, temp,
                             inputs=inputs, extra_env={"GITHUB_ACTION_PATH": str(ROOT)})
            show(result)
            outcomes = {step: outcome for step, outcome, _ in result.steps}
            checks.check(f"{name}: install finds the built binary, check and comment succeed",
                         all(outcomes[s] == "success" for s in ["Install oppie-policy", "Check the plan", "Comment on the pull request"]),
                         str(outcomes) + getattr(result, "failed_log", ""))
            checks.check(f"{name}: SARIF checked for upload", "SARIF 2.1.0" in outcomes.get("Upload SARIF", ""))
            checks.check(f"{name}: the gate step ends {expect[0]}", result.outcome("Gate") == expect, str(result.outcome("Gate")))
        state = fake_state(url)
        ours = [c for c in state["comments"] if c["body"].startswith("<!-- oppie-policy:comment -->")]
        checks.check("one comment, updated by the second run", len(ours) == 1 and "✅ passed" in ours[0]["body"]
                     and [r["method"] for r in state["requests"]].count("PATCH") == 1, str([r["method"] for r in state["requests"]]))
        checks.check("the GitHub fake saw no bad request", state["violations"] == [], str(state["violations"]))
    finally:
        fake.stdin.close()
        fake.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", required=True, help="directory with the oppie-policy and oppie binaries")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs of every step)")
    parser.add_argument("--only", choices=["action", "pull-request", "preview", "reaper", "drift"], action="append")
    args = parser.parse_args()
    bins = Path(args.bin_dir).resolve()
    for name in ("oppie-policy", "oppie"):
        if not (bins / name).exists():
            sys.exit(f"{bins / name} not found: build it first (cargo build --workspace)")
    checks = Checks()
    temp_root = Path(tempfile.mkdtemp(prefix="oppie-workflows-"))
    scenarios = {"action": action_scenario, "pull-request": pull_request_scenario, "preview": preview_scenario, "reaper": reaper_scenario, "drift": drift_scenario}
    try:
        for name, scenario in scenarios.items():
            if args.only and name not in args.only:
                continue
            try:
                scenario(checks, bins, temp_root)
            except Exception as e:  # a scenario that breaks counts as a failure, the others still run
                checks.check(f"{name} ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        if args.keep:
            print(f"logs kept in {temp_root}")
        else:
            shutil.rmtree(temp_root, ignore_errors=True)
    print(f"workflows: {checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
