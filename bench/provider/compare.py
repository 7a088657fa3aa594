"""Provider binaries side by side (run.sh --compare): file size, stripped size, crates linked,
handshake, schema round trip and peak RSS, measured alternately in one run so load hits all alike.

Each --compare LABEL=BINARY is one column, in the order given; ratios are against the first.
--src LABEL=DIR names the source tree a binary was built from (for its crate count and revision).
"""
import argparse, os, pathlib, shutil, statistics, subprocess, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HANDSHAKES = int(os.environ.get("HANDSHAKES", "50"))
SCHEMA_ROUNDS = int(os.environ.get("SCHEMA_ROUNDS", "5"))
SCHEMA_CALLS = int(os.environ.get("SCHEMA_CALLS", "300"))


def labelled(values, what):
    out = {}
    for v in values:
        label, sep, rest = v.partition("=")
        if not sep or not label or not rest:
            raise SystemExit(f"{what} wants LABEL=PATH, got {v!r}")
        out[label] = pathlib.Path(rest).resolve()
    return out


def stripped_size(binary):
    with tempfile.TemporaryDirectory() as d:
        copy = pathlib.Path(d) / "stripped"
        subprocess.run(["strip", "-o", str(copy), str(binary)], check=True)
        return copy.stat().st_size


def crates(src):
    """Distinct packages in the provider's normal (non-build, non-dev) dependency tree."""
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--manifest-path", str(src / "Cargo.toml"),
         "-p", "terraform-provider-oppie", "-e", "normal", "--prefix", "none"],
        check=True, capture_output=True, text=True).stdout
    lines = [l.removesuffix(" (*)") for l in out.splitlines() if l.strip()]
    return len(set(lines)), len(set(out.splitlines()))


def revision(src):
    rev = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"],
                         check=True, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
                           check=True, capture_output=True, text=True).stdout.strip()
    return rev + ("+changes" if dirty else "")


def main(argv, probe):
    ap = argparse.ArgumentParser(prog="bench.py --compare")
    ap.add_argument("--compare", action="append", required=True, metavar="LABEL=BINARY")
    ap.add_argument("--src", action="append", default=[], metavar="LABEL=DIR")
    ap.add_argument("--title", default="Provider binaries compared")
    ap.add_argument("--command", default="bash bench/provider/run.sh --compare ...")
    ap.add_argument("--results", default=str(ROOT / "bench" / "provider" / "COMPARE.md"))
    args = ap.parse_args(argv)
    bins, srcs = labelled(args.compare, "--compare"), labelled(args.src, "--src")
    for label, b in bins.items():
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{label}: {b} is not an executable")
    labels = list(bins)
    load_start = open("/proc/loadavg").read().split()[:3]

    size = {l: bins[l].stat().st_size for l in labels}
    strip = {l: stripped_size(bins[l]) for l in labels}
    crate = {l: crates(srcs[l]) if l in srcs else None for l in labels}
    rev = {l: revision(srcs[l]) if l in srcs else None for l in labels}

    # Handshakes one launch at a time, alternating, after a few warm-up launches each (page cache).
    for _ in range(3):
        for l in labels:
            probe("handshake", bins[l], 1)
    hs = {l: [] for l in labels}
    for _ in range(HANDSHAKES):
        for l in labels:
            hs[l].append(probe("handshake", bins[l], 1)["median_ms"])
    # Schema round trips and RSS: rounds of SCHEMA_CALLS calls, alternating binaries.
    sc = {l: [] for l in labels}
    for _ in range(SCHEMA_ROUNDS):
        for l in labels:
            sc[l].append(probe("schema", bins[l], 6, SCHEMA_CALLS))
    load_end = open("/proc/loadavg").read().split()[:3]

    med = statistics.median
    p90 = lambda xs: sorted(xs)[round((len(xs) - 1) * 0.9)]
    rows = [
        ("file size (MB)", {l: size[l] / 1e6 for l in labels}, "{:.2f}"),
        ("file size (bytes)", size, "{:,}"),
        ("stripped copy (MB)", {l: strip[l] / 1e6 for l in labels}, "{:.2f}"),
        ("stripped copy (bytes)", strip, "{:,}"),
        ("crates linked (`cargo tree -e normal`, distinct)", {l: crate[l][0] if crate[l] else None for l in labels}, "{}"),
        ("handshake (ms), median", {l: med(hs[l]) for l in labels}, "{:.2f}"),
        ("handshake (ms), p90", {l: p90(hs[l]) for l in labels}, "{:.2f}"),
        ("schema round trip (µs), median of round medians", {l: med(r["median_us"] for r in sc[l]) for l in labels}, "{:.0f}"),
        ("peak RSS after the schema calls (MiB), median", {l: med(r["peak_rss_mib"] for r in sc[l]) for l in labels}, "{:.1f}"),
    ]
    first = labels[0]
    md = [f"# {args.title}\n"]
    md.append(f"Command: `{args.command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores; "
              f"load average {' '.join(load_start)} at the start, {' '.join(load_end)} at the end).\n")
    md.append(f"Measured alternately in one run: {HANDSHAKES} handshakes per binary, one launch at a time (process start to the "
              f"handshake line with `PLUGIN_CLIENT_CERT` set), and {SCHEMA_ROUNDS} rounds of {SCHEMA_CALLS} `GetProviderSchema` "
              f"calls per binary (peak RSS = VmHWM after them), with `tfplug/examples/plugin_probe.rs`. "
              f"MB = 10^6 bytes; stripped = `strip` on a copy. Crates = distinct packages in "
              f"`cargo tree -p terraform-provider-oppie -e normal --prefix none` (repeats marked `(*)` counted once).\n")
    head = "| | " + " | ".join(f"{l}" + (f" ({rev[l]})" if rev[l] else "") for l in labels) + " | " + \
        " | ".join(f"{l} / {first}" for l in labels[1:]) + " |"
    md.append(head)
    md.append("|---" * (len(labels) * 2) + "|")
    for name, vals, fmt in rows:
        cells = ["—" if vals[l] is None else fmt.format(vals[l]) for l in labels]
        ratios = []
        for l in labels[1:]:
            a, b = vals[l], vals[first]
            ratios.append("" if a is None or b is None or "bytes" in name else f"{a / b:.2f}")
        md.append(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    md.append("")
    pathlib.Path(args.results).write_text("\n".join(md))
    print("\n".join(md))
    return 0
