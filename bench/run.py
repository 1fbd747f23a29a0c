"""Run every bench script of this folder in turn, print their output, then one table of every figure.

  python bench/run.py                                   # all of them, in the order below
  python bench/run.py --only stack_startup --only scaffold

Each script runs in its own process with this interpreter, on its own throwaway stack, and prints its own
figures (streamed here as they come). A script reports a figure of the summary by printing a line

  @figure <name> = <measured value, free text>

with <name> exactly as in FIGURES below.
FIGURES is also the README's "Performance" table, row for row (tests/unit/test_bench_table.py checks that
they name the same figures with the same targets). Nothing is asserted: a figure that was not measured (its
script failed, is missing or was not selected) says so, and the exit status is 1 when a script failed.
Not a test module (pytest collects tests/ only, and test_*.py files).
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
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
FIGURE_LINE = re.compile(r"^@figure (?P<name>.+?) = (?P<value>.+)$", re.M)


@dataclass(frozen=True)
class Figure:
    """One row of the summary and of the README's table: what, which script measures it, the target."""

    name: str
    script: str
    target: str

    def measured(self, output: str) -> str | None:
        """The value of the script's `@figure <name> = ...` line, None when it printed none."""
        return figure_lines(output).get(self.name)


def figure_lines(output: str) -> dict[str, str]:
    """name -> value of every `@figure name = value` line (the last one wins)."""
    return {match["name"].strip(): match["value"].strip() for match in FIGURE_LINE.finditer(output)}


FIGURES: tuple[Figure, ...] = (
    Figure("cold start to all healthy", "stack_startup", "≤ 20 s"),
    Figure("warm restart to all healthy", "stack_startup", "≤ 10 s"),
    Figure("TeraServer start to first 200", "stack_startup", "≤ 3 s"),
    Figure("edit a Backend file to change live", "edit_to_live", "≤ 3 s"),
    Figure("scaffold to first 200", "scaffold", "≤ 60 s"),
    Figure("regenerate + reload NGINX", "scaffold", "≤ 2 s"),
    Figure("failed requests during NGINX reloads, plain clients", "scaffold", "0"),
    Figure("failed requests during NGINX reloads, browser-like clients", "scaffold", "0"),
    Figure("TeraServer throughput, service API, 16 connections, direct", "teraserver_api", "≥ 1,000 req/s"),
    Figure("TeraServer throughput, user API, 16 connections, direct", "teraserver_api", "≥ 360 req/s"),
    Figure("TeraServer throughput, service API, 16 connections, through NGINX", "teraserver_api", "–"),
    Figure("TeraServer throughput, user API, 16 connections, through NGINX", "teraserver_api", "–"),
    Figure("TeraServer p99 at 1,000 req/s offered, service API, 16 connections, direct", "teraserver_api", "< 50 ms"),
    Figure("TeraServer p99 at 360 req/s offered, user API, 16 connections, direct", "teraserver_api", "< 50 ms"),
    Figure(
        "TeraServer sessions of a participant (upstream's data), 1 connection, direct",
        "teraserver_heavy",
        "≥ 125 req/s",
    ),
    Figure("TeraServer container memory with 500 idle websockets", "teraserver_websockets", "≤ 300 MB"),
    Figure("TeraServer websocket process RSS with 500 idle websockets", "teraserver_websockets", "≤ 150 MB"),
    Figure("websocket event fan-out p99, 100 clients, through NGINX", "teraserver_websockets", "< 50 ms"),
    Figure("sample service throughput, 16 connections, through NGINX", "sample_service", "–"),
    Figure("image size: db", "stack_startup", "–"),
    Figure("image size: redis", "stack_startup", "–"),
    Figure("image size: proxy", "stack_startup", "–"),
    Figure("image size: certs", "stack_startup", "–"),
    Figure("image size: register", "stack_startup", "–"),
    Figure("image size: teraserver", "stack_startup", "≤ 300 MB"),
    Figure("image size: sample", "stack_startup", "≤ 250 MB"),
    Figure("idle memory of the whole stack (RSS)", "stack_memory", "≤ 400 MB"),
    Figure("swarm: devstack deploy to all healthy", "swarm", "≤ 90 s"),
    Figure("swarm: TeraServer throughput, user API, 16 connections, 1 replica, through NGINX", "swarm", "–"),
    Figure("swarm: TeraServer throughput, user API, 16 connections, 3 replicas, through NGINX", "swarm", "–"),
    Figure("swarm: rolling update of TeraServer under 16 connections", "swarm", "–"),
    Figure("swarm: rolling update of sample service under 16 connections", "swarm", "–"),
    Figure("swarm: failed requests during rolling updates, 16 connections", "swarm", "0"),
)
# Fastest and most basic first: a stack that does not start makes the later figures meaningless.
PREFERRED_ORDER = tuple(dict.fromkeys(figure.script for figure in FIGURES))


def bench_scripts() -> list[str]:
    """Names (without .py) of every bench script here: the preferred order, then any newer ones by name."""
    found = {path.stem for path in BENCH_DIR.glob("*.py") if path.name != Path(__file__).name}
    found = {name for name in found if not name.startswith("_")}
    return [name for name in PREFERRED_ORDER if name in found] + sorted(found - set(PREFERRED_ORDER))


def parse_arguments(argv: list[str] | None, available: list[str] | None = None) -> argparse.Namespace:
    available = bench_scripts() if available is None else available
    parser = argparse.ArgumentParser(description="Run the bench scripts in bench/ and print their figures.")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        type=lambda name: name.removesuffix(".py"),
        choices=available,
        help=f"run only this script (repeatable); one of: {', '.join(available)}",
    )
    return parser.parse_args(argv)


@dataclass
class ScriptRun:
    returncode: int
    seconds: float
    output: str


def run_script(name: str) -> ScriptRun:
    """Run bench/<name>.py, its output streamed through line by line (and kept, to read the figures)."""
    print(f"\n===== bench/{name}.py =====", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-u", str(BENCH_DIR / f"{name}.py")],
        cwd=BENCH_DIR.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert process.stdout is not None
    kept: list[str] = []
    for line in process.stdout:
        print(line, end="", flush=True)
        kept.append(line)
    return ScriptRun(process.wait(), time.monotonic() - started, "".join(kept))


def summary_rows(runs: dict[str, ScriptRun], available: list[str]) -> list[tuple[str, str, str]]:
    """(figure, measured, target) for every figure of FIGURES, in order; why not, when not measured."""
    rows = []
    for figure in FIGURES:
        run = runs.get(figure.script)
        if figure.script not in available:
            measured = f"not measured: bench/{figure.script}.py does not exist"
        elif run is None:
            measured = "not run (--only)"
        else:
            value = figure.measured(run.output)
            if value is not None:
                measured = value
            elif run.returncode != 0:
                measured = f"not measured: {figure.script}.py failed (exit {run.returncode})"
            else:
                measured = f"not measured: {figure.script}.py printed no such figure"
        rows.append((figure.name, measured, figure.target))
    return rows


def print_summary(runs: dict[str, ScriptRun], available: list[str]) -> None:
    print("\n===== scripts =====")
    for name, run in runs.items():
        outcome = "ok" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
        print(f"{name + '.py':24s} {outcome:20s} {run.seconds:7.1f} s")
    rows = summary_rows(runs, available)
    widths = [max(len(row[index]) for row in [("figure", "measured", "target"), *rows]) for index in range(3)]
    print("\n===== figures (the README's Performance table) =====")
    for row in [("figure", "measured", "target"), tuple("-" * width for width in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def load_average() -> str:
    """The 1/5/15-minute load averages: other work on the machine skews every figure, so say how much."""
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


# A fixed amount of pure-Python work. Its time says how fast the machine runs right now: on a shared VM it moves
# within minutes (this project's 2-core VM: ~200 ms in its fast phases, ~370 ms in its slow ones), and every
# figure moves with it.
SPEED_PROBE_ITERATIONS = 3_000_000


def cpu_speed_probe_ms() -> float:
    """CPU time of SPEED_PROBE_ITERATIONS loop iterations, in ms (lower is faster)."""
    started = time.process_time()
    total = 0
    for number in range(SPEED_PROBE_ITERATIONS):
        total += number * number
    return (time.process_time() - started) * 1000


def machine_description() -> str:
    """What the figures were measured on: CPUs, memory, system, Docker Engine."""
    cpuinfo = Path("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text(encoding="utf-8").splitlines() if cpuinfo.is_file() else [])
        if line.startswith("model name")
    ]
    cpu_model = models[0] if models else (platform.processor() or "unknown CPU")
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    docker = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True, check=False
    ).stdout.strip()
    try:
        system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        system = platform.system()
    return (
        f"{os.cpu_count()} CPUs ({cpu_model}), {memory_gb:.0f} GB RAM, {system} ({platform.machine()}, kernel "
        f"{platform.release()}), Docker Engine {docker or 'unknown'}"
    )


def main(argv: list[str] | None = None) -> int:
    available = bench_scripts()
    arguments = parse_arguments(argv, available)
    selected = [name for name in available if arguments.only is None or name in arguments.only]
    print(f"machine: {machine_description()}")
    print(f"load average (1/5/15 min) before: {load_average()}")
    print(f"CPU speed probe before: {cpu_speed_probe_ms():.0f} ms (lower is faster)", flush=True)
    runs = {name: run_script(name) for name in selected}
    print_summary(runs, available)
    print(f"\nload average (1/5/15 min) after: {load_average()}")
    print(f"CPU speed probe after: {cpu_speed_probe_ms():.0f} ms (lower is faster)")
    return 0 if all(run.returncode == 0 for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
