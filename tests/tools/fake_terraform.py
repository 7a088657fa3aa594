"""A stand-in for the `terraform` CLI in the example workflows' local runs
(tests/tools/run-workflow-steps.py): it records every call and keeps one state per workspace,
so a workflow's own shell (workspace naming, expiry checks, destroy order) runs unchanged
without providers, credentials or a cloud.

State lives in $FAKE_TF_DIR: `states/<workspace>.json` (the `terraform show -json` of that
workspace's state; present = the workspace exists), `current` (the selected workspace) and
`calls.log` (one JSON line per call: args without -chdir, the workspace, the directory).
`show -json PLANFILE` prints $FAKE_TF_PLAN_JSON (a recorded plan). Anything else exits 1.
"""

import json
import os
import sys
from pathlib import Path

EMPTY_STATE = {"format_version": "1.0", "values": {"root_module": {}}}


def main():
    home = Path(os.environ["FAKE_TF_DIR"])
    states = home / "states"
    states.mkdir(parents=True, exist_ok=True)
    if not (states / "default.json").exists():
        (states / "default.json").write_text(json.dumps(EMPTY_STATE))
    current_file = home / "current"
    current = current_file.read_text().strip() if current_file.exists() else "default"
    args = sys.argv[1:]
    chdir = "."
    while args and args[0].startswith("-chdir="):
        chdir = args.pop(0).split("=", 1)[1]
    with open(home / "calls.log", "a") as log:
        log.write(json.dumps({"args": args, "workspace": current, "dir": chdir}) + "\n")
    if not args:
        sys.exit("fake terraform: no command")
    command, rest = args[0], args[1:]

    def workspace_path(name):
        return states / f"{name}.json"

    if command == "version" or command == "-version":
        print("Terraform v1.15.5 (fake)")
    elif command == "init":
        print("Terraform has been successfully initialized! (fake)")
    elif command == "workspace":
        sub = rest[0] if rest else ""
        if sub == "list":
            for path in sorted(states.glob("*.json")):
                print(("* " if path.stem == current else "  ") + path.stem)
        elif sub in ("select", "new"):
            create = "-or-create" in rest or sub == "new"
            name = [a for a in rest[1:] if not a.startswith("-")][0]
            if not workspace_path(name).exists():
                if not create:
                    print(f'Workspace "{name}" doesn\'t exist.', file=sys.stderr)
                    sys.exit(1)
                workspace_path(name).write_text(json.dumps(EMPTY_STATE))
            current_file.write_text(name)
        elif sub == "delete":
            name = [a for a in rest[1:] if not a.startswith("-")][0]
            if name == current:
                sys.exit(f"Workspace {name!r} is your active workspace")
            state = json.loads(workspace_path(name).read_text())
            if state["values"]["root_module"].get("resources") and "-force" not in rest:
                sys.exit(f"Workspace {name!r} is not empty")
            workspace_path(name).unlink()
        elif sub == "show":
            print(current)
        else:
            sys.exit(f"fake terraform: workspace {sub}?")
    elif command == "plan":
        for arg in rest:
            if arg.startswith("-out="):
                Path(arg.split("=", 1)[1]).write_text("fake plan")
        print("Plan: (fake)")
    elif command == "show":
        files = [a for a in rest if not a.startswith("-")]
        if files:
            print(Path(os.environ["FAKE_TF_PLAN_JSON"]).read_text())
        else:
            print(workspace_path(current).read_text())
    elif command == "apply":
        state = {"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "oppie_environment.preview", "mode": "managed", "type": "oppie_environment", "name": "preview",
             "values": {"name": current, "expires_at": "2999-01-01T00:00:00Z"}}]}}}
        workspace_path(current).write_text(json.dumps(state))
        print("Apply complete! Resources: 1 added, 0 changed, 0 destroyed. (fake)")
    elif command == "destroy":
        workspace_path(current).write_text(json.dumps(EMPTY_STATE))
        print("Destroy complete! (fake)")
    elif command == "output":
        print(f'environment = "{current}"')
    else:
        sys.exit(f"fake terraform: {command} is not faked")


if __name__ == "__main__":
    main()
