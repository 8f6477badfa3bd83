"""Run every benchmark and write ``bench/REPORT.md``: the machine, the date, the commit,
and each benchmark's figures with the goal and baseline it prints beside them.

Each benchmark runs as its own process (its own servers on free ports, nothing shared),
one after another, so they never compete for the two cores. Its whole output goes into
the report, and every line that names a goal, a baseline or a share of one is gathered
at the top, so the figures and their goals read at a glance.

    .venv/bin/python -m bench.report                 # every benchmark, the usual sizes
    .venv/bin/python -m bench.report --quick         # smaller sizes (a smoke run)
    .venv/bin/python -m bench.report --only eventstore,fanout   # the others' kept

Besides the benchmarks of ``bench/``, it runs the chaos campaign (``tests/chaos``, its
bounded run) and puts its table in the report, and the gateway benchmark twice: its HTTP
part, and its live part alone (1,000 WebSockets while 1,000 bots trade).

A benchmark that fails or runs past its time limit is reported as such (with the tail of
its output); the others still run. Exit code: 0, or 1 if any benchmark failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "REPORT.md"
# a line that carries a figure's goal, its baseline or its share of one
_FIGURE = re.compile(r"goal|baseline|of raw|of the raw|of the per-IP cap|->", re.IGNORECASE)


@dataclass(frozen=True)
class Bench:
    """One benchmark: its module and its arguments (usual and quick), and which of its
    output lines are its figures (default: those naming a goal or a baseline)."""

    name: str
    module: str
    args: tuple[str, ...]
    quick: tuple[str, ...]
    limit_s: int
    figures: re.Pattern[str] = _FIGURE


# the log-growth benchmark's totals (bytes per trader per day, each stream)
_GROWTH = re.compile(r"B/trader/day|held at steady state")
# the chaos campaign's table (rows are "check | goal | measured")
_TABLE = re.compile(r" \| |-\+-")
# pytest's basetemp of the chaos run (its servers' data; removed by pytest's own rotation)
_CHAOS_TMP = Path(os.environ.get("TMPDIR", "/tmp")) / "fleet-bench-chaos"
# before each benchmark, the 1-minute load average must fall to this (at most so long)
COOL_LOAD = 1.0
COOL_LONGEST_S = 180.0
_SOCKETS = ("--sockets", "1000", "--tabs", "5", "--viewers", "9", "--bots", "1000")

BENCHES = (
    Bench("log_growth", "bench.log_growth", (), (), 600, _GROWTH),
    Bench("eventstore", "bench.eventstore", (), ("--events", "20000"), 1800),
    Bench(
        "fanout",
        "bench.fanout",
        ("--users", "1000", "--signals", "8", "--fills", "stream"),
        ("--users", "100", "--signals", "4", "--parts", "1"),
        3600,
    ),
    # 10,000 users: BingX's 54 user streams per egress identity, the other fills by query
    # (10,000 streams on the one simulator never all opened within 300 s)
    Bench(
        "fanout_10000",
        "bench.fanout",
        ("--users", "10000", "--signals", "4", "--fills", "query", "--parts", "1"),
        ("--users", "300", "--signals", "2", "--fills", "query", "--parts", "1"),
        3600,
    ),
    Bench("gateway", "bench.gateway", (), ("--sessions", "50", "--seconds", "5"), 1800),
    Bench(
        "gateway_live",
        "bench.gateway",
        ("--sessions", "1", *_SOCKETS, "--rate", "50", "--seconds", "20", "--workers", "0"),
        ("--sessions", "1", "--sockets", "100", "--bots", "100", "--seconds", "5"),
        1200,
    ),
    Bench("vault", "bench.vault", (), ("--seconds", "3"), 1200),
    Bench("strategy", "bench.strategy", (), ("--symbols", "50", "--seconds", "3"), 1200),
    Bench("bingx_sim", "bench.bingx_sim", (), ("--orders", "2000"), 1200),
    Bench("nats_cluster", "bench.nats_cluster", (), ("--events", "1000"), 1200),
    Bench(
        "chaos",
        "pytest",
        ("tests/chaos", "-q", "-p", "no:cacheprovider", f"--basetemp={_CHAOS_TMP}"),
        ("tests/chaos", "-q", "-p", "no:cacheprovider", f"--basetemp={_CHAOS_TMP}"),
        1800,
        _TABLE,
    ),
)


@dataclass(frozen=True)
class Outcome:
    bench: Bench
    output: str
    seconds: float
    failed: str | None  # why, when it failed
    calm: str = ""  # the machine's load when it started (cool_down)
    ran: str = ""  # when and at which commit it ran ("2026-12-04 18:37 UTC at 7c8d99a")


def machine() -> list[str]:
    """What the figures were measured on."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("\n", 1)[0].split()[1])
        memory = f", {total_kb / 1024 / 1024:.1f} GiB"
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return [
        f"- machine: {os.cpu_count()} cores ({cpu}){memory}; load average at start {load:.2f}",
        f"- system: {platform.platform()}; Python {platform.python_version()}",
    ]


def commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return "unknown"
    return found.stdout.strip() or "unknown"


def cool_down(calm: float = COOL_LOAD, longest: float = COOL_LONGEST_S) -> str:
    """Wait until the last minute's load average falls to ``calm`` (at most ``longest``
    seconds): a benchmark that starts while the last one's processes are still winding
    down, or while the 1-minute average still counts them, measures the machine's
    leftovers (the live sockets' p99 was 733 ms at load 7.6 right after the HTTP part,
    65 ms on a calm machine). Returns what it waited, for the report."""
    began = time.monotonic()
    while os.getloadavg()[0] > calm and time.monotonic() - began < longest:
        time.sleep(2)
    return f"started at load {os.getloadavg()[0]:.2f} after {time.monotonic() - began:.0f} s"


def run(bench: Bench, quick: bool) -> Outcome:
    args = bench.quick if quick else bench.args
    command = [sys.executable, "-m", bench.module, *args]
    calm = cool_down()
    print(f"== {bench.name}: {' '.join(command[1:])} ({calm})", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=bench.limit_s
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return Outcome(bench, out, time.monotonic() - started, f"over {bench.limit_s} s", calm)
    elapsed = time.monotonic() - started
    output = done.stdout
    print(output, flush=True)
    ran = f"{_now()} at {commit()}"
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        why = f"exit code {done.returncode}"
        return Outcome(bench, output + "\n" + tail, elapsed, why, calm, ran)
    return Outcome(bench, output, elapsed, None, calm, ran)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


_WRITTEN = re.compile(r"^Written by `bench/report.py` on (.+?) at commit `(\w+)`")
_SUMMARY = re.compile(r"^\*\*(\w+)\*\* \((.*)\)$")
_STATUS = re.compile(r"^(?:(\d+) s|FAILED \((.*)\))$")


def previous(report: Path) -> dict[str, Outcome]:
    """The outcomes an earlier report holds, by benchmark (none if it is missing or not
    one of ours): ``--only`` re-runs some benchmarks and keeps the others' last figures,
    each still naming when and at which commit it ran."""
    if not report.exists():
        return {}
    benches = {b.name: b for b in BENCHES}
    lines = report.read_text().splitlines()
    written = next((m for ln in lines[:5] if (m := _WRITTEN.match(ln))), None)
    default_ran = f"{written.group(1)} at {written.group(2)}" if written else "unknown"
    found: dict[str, Outcome] = {}
    for line in lines:
        summary = _SUMMARY.match(line)
        if summary is None or summary.group(1) not in benches:
            continue
        status, *rest = summary.group(2).split("; ")
        parsed = _STATUS.match(status)
        ran = next((p.removeprefix("ran ") for p in rest if p.startswith("ran ")), default_ran)
        calm = "; ".join(p for p in rest if not p.startswith("ran "))
        seconds = float(parsed.group(1)) if parsed and parsed.group(1) else 0.0
        failed = parsed.group(2) if parsed and parsed.group(2) else None
        name = summary.group(1)
        found[name] = Outcome(benches[name], _output_of(lines, name), seconds, failed, calm, ran)
    return found


def _output_of(lines: list[str], name: str) -> str:
    """The full output a report holds for ``name`` (its fenced block under ``### name``)."""
    try:
        start = lines.index(f"### {name}")
        opened = lines.index("```", start)
        closed = lines.index("```", opened + 1)
    except ValueError:
        return ""
    return "\n".join(lines[opened + 1 : closed])


def render(outcomes: list[Outcome], quick: bool) -> str:
    lines = [
        "# Benchmark report",
        "",
        f"Written by `bench/report.py` on {_now()} at commit `{commit()}`"
        + (" (quick sizes: a smoke run, not figures to quote)" if quick else "")
        + ". Every benchmark ran alone, one after another; each names when and at which"
        " commit it ran (`--only` re-runs some and keeps the others' last figures).",
        "",
        *machine(),
        "",
        "## Figures with their goals and baselines",
        "",
    ]
    for outcome in outcomes:
        status = f"FAILED ({outcome.failed})" if outcome.failed else f"{outcome.seconds:.0f} s"
        when = [
            part for part in (outcome.calm, f"ran {outcome.ran}" if outcome.ran else "") if part
        ]
        lines.append(f"**{outcome.bench.name}** ({'; '.join([status, *when])})")
        lines.append("")
        figures = [
            ln.strip() for ln in outcome.output.splitlines() if outcome.bench.figures.search(ln)
        ]
        if outcome.bench.figures is _TABLE and figures:  # a table reads as one block
            lines += ["```", *figures, "```"]
        else:
            lines.extend(f"- `{figure}`" for figure in figures or ["(no goal line printed)"])
        lines.append("")
    lines += ["## Full output", ""]
    for outcome in outcomes:
        args = outcome.bench.quick if quick else outcome.bench.args
        lines += [
            f"### {outcome.bench.name}",
            "",
            f"`python -m {outcome.bench.module} {' '.join(args)}`".replace(" `", "`"),
            "",
            "```",
            outcome.output.rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--output", type=Path, default=REPORT)
    options = parser.parse_args()
    names = {n.strip() for n in options.only.split(",") if n.strip()}
    unknown = names - {b.name for b in BENCHES}
    if unknown:
        known = ", ".join(b.name for b in BENCHES)
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))} (known: {known})")
        return 2
    chosen = [b for b in BENCHES if not names or b.name in names]
    fresh = {bench.name: run(bench, options.quick) for bench in chosen}
    kept = previous(options.output) if names and not options.quick else {}
    outcomes = [fresh.get(b.name) or kept[b.name] for b in BENCHES if b.name in fresh | kept]
    options.output.write_text(render(outcomes, options.quick))
    print(f"written: {options.output}")
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
