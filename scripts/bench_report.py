"""Turns scripts/bench's raw results (.ci/tools/bench-results) into BENCHMARKS.md.

    python3 scripts/bench_report.py --results DIR --output FILE [--smoke] [--note TEXT]

The machine description is read here (nproc, free -g, rustc -V, load
averages recorded by scripts/bench at the start and end of the run). The
report is written to a temporary file beside FILE and then renamed over it.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Everything after this line in an existing report is hand-written and kept.
NOTES_MARKER = "<!-- Notes below this line are written by hand; scripts/bench keeps them. -->"

# Above this 1-minute load average per core when the run starts, the report
# says the machine was busy. Only the start counts: by the end, the load
# average is mostly this run's own benches and builds (two cores' worth).
BUSY_LOAD_PER_CORE = 0.25


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def read(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


def load_json(path: Path):
    if not path.exists() or path.stat().st_size == 0:
        return None
    return json.loads(path.read_text())


def num(value, digits=0, suffix=""):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def commit(results: Path) -> str:
    """The commit scripts/bench measured, as `sha` plus a dirty mark."""
    recorded = read(results / "commit")
    if not recorded:
        recorded = sh("git", "rev-parse", "--short", "HEAD")
    sha, _, rest = recorded.partition(" ")
    return f"`{sha}` {rest}".strip()


def machine(results: Path, lines: list) -> float:
    cores = int(sh("nproc") or "1")
    memory = sh("free", "-g").splitlines()
    mem_total = next((l.split()[1] for l in memory if l.startswith("Mem:")), "?")
    cpu = next(
        (l.split(":", 1)[1].strip() for l in read(Path("/proc/cpuinfo")).splitlines() if l.startswith("model name")),
        "?",
    )
    start = read(results / "loadavg-start").split()[:3]
    end = read(results / "loadavg-end").split()[:3]
    lines += [
        "## Machine",
        "",
        f"- date: {read(results / 'started')}",
        f"- CPU: {cpu}, `nproc` = {cores}",
        f"- memory (`free -g`): {mem_total} GB",
        f"- `rustc -V`: {sh('rustc', '-V')}; `cargo -V`: {sh('cargo', '-V')}",
        f"- commit: {commit(results)}",
        f"- load average (1, 5, 15 min) at start: {' '.join(start) or '?'}; at end: {' '.join(end) or '?'}",
        "",
    ]
    return (float(start[0]) if start else 0.0) / max(cores, 1)


def facade_section(report, commands: list, lines: list) -> None:
    settings = report["settings"]
    lines += [
        "## Facade vs plain reqwest",
        "",
        "`registry().fetch_item::<Organisation>` against `reqwest::Client` GET + "
        "`serde_json::from_slice::<models::OrganisationFetchResponse>` (same bearer "
        "header, the same `reqwest::Client` settings via `build_http_client`), "
        f"on one in-process loopback hyper server (its own thread, {settings['server_threads']} "
        f"worker(s)) serving a {settings['fetch_body_bytes']:,}-byte `OrganisationFetchResponse`; "
        f"client runtime with {settings['client_threads']} workers. "
        f"{settings['rounds']} interleaved rounds (facade and reqwest alternate, and so does "
        f"which goes first) × {settings['reps']} repetitions, fresh clients per repetition; "
        f"{settings['sequential_calls_per_round']:,} sequential calls or "
        f"{settings['concurrent_calls_per_round']:,} calls from {settings['concurrency']} "
        "concurrent callers per round.",
        "",
        "Ratio = facade calls/s ÷ reqwest calls/s within each round; the median over "
        "rounds per repetition, then the median (and min–max) over repetitions.",
        "",
        "| mode | facade calls/s | reqwest calls/s | ratio (median) | ratio min–max | facade p50 / p99 | reqwest p50 / p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mode in ("sequential", "concurrent"):
        r = report[mode]
        f, p = r["facade"], r["reqwest"]
        lines.append(
            f"| {r['mode']} | {num(f['calls_per_s_median'])} | {num(p['calls_per_s_median'])} | "
            f"**{num(r['ratio_median'], 3)}×** | {num(r['ratio_min'], 3)}–{num(r['ratio_max'], 3)} | "
            f"{num(f['latency_us_p50'])} / {num(f['latency_us_p99'])} µs | "
            f"{num(p['latency_us_p50'])} / {num(p['latency_us_p99'])} µs |"
        )
    c = report["connections"]
    lines += [
        "",
        f"Connections opened by a fresh client over {c['sequential_calls']:,} sequential calls "
        f"(counted by the server): facade {c['facade']}, reqwest {c['reqwest']}.",
        "",
    ]
    python = report.get("python")
    if python:
        lines += [
            "## Python client",
            "",
            f"`provenaclient` {python.get('version')} from PyPI (Python {python.get('python')}, "
            "venv `.ci/tools/bench-venv`), `registry.organisation.fetch` against the same "
            "server in the same run (scripts/bench_python.py).",
            "",
            "| client | calls | calls/s | p50 / p99 | connections per 1,000 calls |",
            "|---|---:|---:|---:|---:|",
            f"| provenaclient {python.get('version')} | {python['calls']:,} | {num(python.get('calls_per_s'), 1)} | "
            f"{num(python.get('latency_us_p50'))} / {num(python.get('latency_us_p99'))} µs | "
            f"{num(python.get('connections_per_1000_calls'))} |",
        ]
        seq = report["sequential"]["facade"]["calls_per_s_median"]
        conc = report["concurrent"]["facade"]["calls_per_s_median"]
        per_1000 = c["facade"] * 1000 / max(c["sequential_calls"], 1)
        lines += [
            f"| facade (above) | | {num(seq)} sequential, {num(conc)} {report['concurrent']['mode']} | | {num(per_1000)} |",
            "",
        ]


def memory_section(report, lines: list) -> None:
    whole = report["whole_list"]
    lines += [
        "## Large list: time and peak heap",
        "",
        f"One `OrganisationListResponse` of {whole['items']:,} complete organisations "
        f"({whole['body_bytes'] / 1e6:.1f} MB of JSON) from the loopback server: "
        "`registry().list_items::<Organisation>` against reqwest `bytes()` + "
        "`serde_json::from_slice` into the same type. Heap counted by a counting global "
        "allocator (every thread; peak reset just before the call). "
        f"Median of {whole['reps']} calls per client.",
        "",
        "| client | wall (median, min–max) | peak heap | peak ÷ body | decoded value ÷ body | (peak − decoded) ÷ body |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in whole["clients"]:
        lines.append(
            f"| {c['client']} | {num(c['wall_s_median'], 3)} s ({num(c['wall_s_min'], 3)}–{num(c['wall_s_max'], 3)}) | "
            f"{num(c['peak_heap_bytes'] / 1e6, 1)} MB | {num(c['peak_over_body'], 2)}× | "
            f"{num(c['decoded_over_body'], 2)}× | {num(c['transient_over_body'], 2)}× |"
        )
    streamed = report["streamed"]
    lines += [
        "",
        f"### {streamed['items']:,} items paged through (pages of {streamed['page_size']:,}, "
        f"{streamed['page_bytes'] / 1e6:.2f} MB each)",
        "",
        "| client | wall | peak heap | peak ÷ one page |",
        "|---|---:|---:|---:|",
    ]
    for c in streamed["clients"]:
        if "todo" in c:
            lines.append(f"| {c['client']} | not measured yet: {c['todo']} | | |")
        else:
            lines.append(
                f"| {c['client']} | {num(c['wall_s'], 3)} s | {num(c['peak_heap_bytes'] / 1e6, 1)} MB | "
                f"{num(c['peak_over_page'], 2)}× |"
            )
    lines.append("")


def builds_section(path: Path, lines: list) -> None:
    with path.open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        return
    trees = list(dict.fromkeys(r["tree"] for r in rows))
    lines += [
        "## Cold build",
        "",
        "Each build in an empty `CARGO_TARGET_DIR`, dependencies already downloaded "
        "(`cargo fetch --locked`), one build at a time"
        + (f"; the baseline `{trees[1]}` is a `git worktree` of that ref, built right after "
           "the same build of this tree" if len(trees) > 1 else "")
        + ". Wall / user CPU seconds.",
        "",
        "| build | command | " + " | ".join(trees) + " |",
        "|---|---|" + "---:|" * len(trees),
    ]
    by_label = {}
    for r in rows:
        by_label.setdefault(r["label"], {"command": r["command"]})[r["tree"]] = r
    for label, cells in by_label.items():
        out = []
        for tree in trees:
            r = cells.get(tree)
            if r is None:
                out.append("–")
            elif r["status"] != "ok":
                out.append("failed")
            else:
                out.append(f"{float(r['wall_s']):.1f} s / {float(r['user_s']):.1f} s")
        lines.append(f"| {label} | `{cells['command']}` | " + " | ".join(out) + " |")
    lines.append("")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--note", default="")
    parser.add_argument("--invocation", default="")
    args = parser.parse_args()
    results = args.results

    body = []
    load_per_core = machine(results, body)
    facade = load_json(results / "facade_vs_reqwest.json")
    memory = load_json(results / "memory.json")
    commands = read(results / "bench-commands").splitlines()
    if facade:
        facade_section(facade, commands, body)
    if memory:
        memory_section(memory, body)
    if (results / "builds.tsv").exists():
        builds_section(results / "builds.tsv", body)

    head = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench` (do not edit by hand: rerun it). The benches are "
        "`benches/facade_vs_reqwest.rs` and `benches/memory.rs`; the Python driver is "
        "`scripts/bench_python.py`.",
        "",
    ]
    warnings = []
    if args.note:
        warnings.append(args.note)
    if args.smoke:
        warnings.append("**Smoke pass** (`--smoke`): a handful of calls per case; the numbers only show that everything runs.")
    if load_per_core > BUSY_LOAD_PER_CORE:
        warnings.append(
            f"**The machine was busy** when this run began (load average {load_per_core:.2f} per core): "
            "other work competed for the CPU, so throughput and build times are noisy and pessimistic. "
            "Rerun `scripts/bench` on a quiet machine for numbers to compare with the targets."
        )
    for w in warnings:
        head += [f"> {w}", ""]
    head += ["## Commands", "", "```sh"]
    head += [args.invocation or "scripts/bench"]
    head += [f"# which ran: {c}" for c in commands]
    head += ["```", ""]

    out = args.output
    notes = ""
    if out.exists():
        previous = out.read_text()
        if NOTES_MARKER in previous:
            notes = previous.split(NOTES_MARKER, 1)[1].strip()
    body += [NOTES_MARKER, "", notes] if notes else [NOTES_MARKER]
    text = "\n".join(head + body).rstrip() + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
