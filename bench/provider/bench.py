"""Provider benchmarks; see run.sh. Every figure is measured in this run, side by side.

  bench.py                                   against hashicorp/null and the tfplug example
  bench.py --compare LABEL=BINARY ... [--src LABEL=DIR ...] [--title T] [--command C]
                                             provider binaries against each other (compare.py)
"""
import json, os, pathlib, shutil, statistics, subprocess, sys, time

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "provider"
TF = ROOT / ".tools" / "bin" / "terraform"
NULL = ROOT / ".tools" / "null" / "terraform-provider-null_v2.1.2_x4"
# Where run.sh's cargo builds went (CARGO_TARGET_DIR, relative to the workspace, as cargo reads it).
TARGET = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
OPPIE = TARGET / "release" / "terraform-provider-oppie"
EXAMPLE = TARGET / "release" / "examples" / "sets"
PROBE = TARGET / "release" / "examples" / "plugin_probe"
RUNS = int(os.environ.get("RUNS", "5"))


def probe(*args):
    out = subprocess.run([str(PROBE), *map(str, args)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def launcher(real, cpu_file):
    """A provider stand-in that runs the real binary and records its CPU time."""
    return f'#!/usr/bin/env bash\n"{real}" "$@"\nrc=$?\ntimes >> "{cpu_file}"\nexit $rc\n'


def provider_cpu(cpu_file):
    """Sum of user+sys of every provider process recorded (second line of each `times`)."""
    total = 0.0
    lines = cpu_file.read_text().splitlines() if cpu_file.exists() else []
    for line in lines[1::2]:
        for part in line.split()[:2]:
            m, s = part.rstrip("s").split("m")
            total += int(m) * 60 + float(s)
    return total


def setup_mirror():
    mirror = OUT / "mirror"
    shutil.rmtree(mirror, ignore_errors=True)
    entries = {
        "oppie/oppie/0.1.0": ("terraform-provider-oppie_v0.1.0", OPPIE),
        "hashicorp/null/2.1.2": ("terraform-provider-null_v2.1.2_x4", NULL),
        "example/example/0.1.0": ("terraform-provider-example_v0.1.0", EXAMPLE),
    }
    for path, (name, real) in entries.items():
        d = mirror / "registry.terraform.io" / path / "linux_amd64"
        d.mkdir(parents=True)
        f = d / name
        f.write_text(launcher(real, OUT / (path.split("/")[1] + ".cpu")))
        f.chmod(0o755)
    rc = OUT / "terraformrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{ path = "{mirror}" }}\n}}\n')
    return rc


def terraform(workdir, rc, *args):
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    env.pop("TF_LOG", None)
    t = time.perf_counter()
    subprocess.run([str(TF), *args], cwd=workdir, env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def timed_plans(name, body, rc, cpu_name):
    w = OUT / name
    shutil.rmtree(w, ignore_errors=True)
    w.mkdir(parents=True)
    (w / "main.tf").write_text(body)
    terraform(w, rc, "init", "-input=false")
    cpu_file = OUT / f"{cpu_name}.cpu"
    walls, cpus = [], []
    for _ in range(RUNS):
        cpu_file.unlink(missing_ok=True)
        walls.append(terraform(w, rc, "plan", "-refresh=false", "-input=false", "-no-color"))
        cpus.append(provider_cpu(cpu_file))
    return w, statistics.median(walls), statistics.median(cpus)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rows = {}
    rows["handshake"] = {k: probe("handshake", b, 50) for k, b in [("oppie", OPPIE), ("example", EXAMPLE), ("null", NULL)]}
    rows["schema"] = {"oppie": probe("schema", OPPIE, 6, 300), "example": probe("schema", EXAMPLE, 6, 300), "null": probe("schema", NULL, 5, 300)}
    rc = setup_mirror()
    req = lambda n, src, v: f'terraform {{\n  required_providers {{\n    {n} = {{ source = "{src}", version = "{v}" }}\n  }}\n}}\n'
    _, oppie_wall, oppie_cpu = timed_plans(
        "plan-oppie", req("oppie", "oppie/oppie", "0.1.0") + 'resource "oppie_environment" "e" {\n  count = 1000\n  name  = "env-${count.index}"\n}\n', rc, "oppie")
    _, null_wall, null_cpu = timed_plans(
        "plan-null", req("null", "hashicorp/null", "2.1.2") + 'resource "null_resource" "n" {\n  count    = 1000\n  triggers = { name = "env-${count.index}" }\n}\n', rc, "null")
    rules = "\n".join(f'  rule {{\n    port = {1000 + i}\n    cidr = "10.{i // 256}.{i % 256}.0/24"\n  }}' for i in range(1000))
    body = req("example", "example/example", "0.1.0") + f'resource "example_ruleset" "r" {{\n  name = "web"\n{rules}\n}}\n'
    w, set_wall, set_cpu = timed_plans("plan-set", body, rc, "example")
    # And an update: apply, then change one of the 1,000 rules and plan again.
    terraform(w, rc, "apply", "-auto-approve", "-input=false")
    (w / "main.tf").write_text(body.replace("port = 1000\n", "port = 999\n", 1))
    cpu_file = OUT / "example.cpu"
    cpu_file.unlink(missing_ok=True)
    upd_wall = terraform(w, rc, "plan", "-input=false", "-no-color")
    upd_cpu = provider_cpu(cpu_file)

    h, s = rows["handshake"], rows["schema"]
    md = []
    md.append("## Provider: handshake, schema, memory, plan (tfplug)\n")
    md.append(f"Command: `bash bench/provider/run.sh` (release build; medians; {time.strftime('%Y-%m-%d')}; 2-core machine).\n")
    md.append("Handshake = process start to the handshake line, with `PLUGIN_CLIENT_CERT` set (AutoMTLS, as Terraform launches providers), 50 runs. "
              "Schema = `GetProviderSchema` round trip over the plugin's Unix socket (protocol 6 for tfplug, 5 for null), 300 calls after one warm-up. "
              "RSS = peak resident set (VmHWM) after the schema calls. Measured with `tfplug/examples/plugin_probe.rs`.\n")
    md.append("| | terraform-provider-oppie | tfplug example (sets) | hashicorp/null 2.1.2 (Go) | oppie / null |")
    md.append("|---|---|---|---|---|")
    md.append(f"| handshake (ms) | {h['oppie']['median_ms']:.2f} | {h['example']['median_ms']:.2f} | {h['null']['median_ms']:.2f} | {h['oppie']['median_ms'] / h['null']['median_ms']:.2f} |")
    md.append(f"| schema round trip (µs), median / p99 | {s['oppie']['median_us']:.0f} / {s['oppie']['p99_us']:.0f} | {s['example']['median_us']:.0f} / {s['example']['p99_us']:.0f} | {s['null']['median_us']:.0f} / {s['null']['p99_us']:.0f} | {s['oppie']['median_us'] / s['null']['median_us']:.2f} |")
    md.append(f"| schema size (bytes) | {s['oppie']['schema_bytes']} | {s['example']['schema_bytes']} | {s['null']['schema_bytes']} | |")
    md.append(f"| peak RSS (MiB) | {s['oppie']['peak_rss_mib']:.1f} | {s['example']['peak_rss_mib']:.1f} | {s['null']['peak_rss_mib']:.1f} | {s['oppie']['peak_rss_mib'] / s['null']['peak_rss_mib']:.2f} |")
    md.append("")
    md.append(f"`terraform plan -refresh=false` under Terraform 1.15.5, {RUNS} runs, provider CPU = user+sys of all provider processes of the command:\n")
    md.append("| plan | wall (s) | provider CPU (s) |")
    md.append("|---|---|---|")
    md.append(f"| 1,000 `oppie_environment` | {oppie_wall:.2f} | {oppie_cpu:.2f} |")
    md.append(f"| 1,000 `null_resource` (null 2.1.2) | {null_wall:.2f} | {null_cpu:.2f} |")
    md.append(f"| ratio oppie / null | {oppie_wall / null_wall:.2f} | {oppie_cpu / max(null_cpu, 1e-9):.2f} |")
    md.append(f"| 1 `example_ruleset` with a set of 1,000 `rule` blocks, create | {set_wall:.2f} | {set_cpu:.2f} |")
    md.append(f"| the same after apply, one rule changed (update) | {upd_wall:.2f} | {upd_cpu:.2f} |")
    md.append("")
    md.append("For the set, almost all wall time is Terraform core's own set comparison (`AssertObjectCompatible` and plan validation are quadratic in set size); "
              "the provider's share is the CPU column.\n")
    (ROOT / "bench" / "provider" / "RESULTS.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    if "--compare" in sys.argv[1:]:
        import compare

        sys.exit(compare.main(sys.argv[1:], probe))
    sys.exit(main())
