"""Run every bench script of this folder in turn and print their figures, then a summary.

  python bench/run.py                                   # all of them, in the order below
  python bench/run.py --only stack_startup --only scaffold

Each script runs in its own process with this interpreter, on its own throwaway stack, and prints its own
figures (streamed here as they come). Nothing is asserted: a script that fails is reported in the summary,
and the exit status is 1 when any did. Not a test module (pytest collects tests/ only, and test_*.py files).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# Fastest and most basic first: a stack that does not start makes the later figures meaningless.
PREFERRED_ORDER = ("stack_startup", "teraserver_api", "sample_service", "scaffold")


def bench_scripts() -> list[str]:
    """Names (without .py) of every bench script here: the preferred order, then any newer ones by name."""
    found = {path.stem for path in BENCH_DIR.glob("*.py") if path.name != Path(__file__).name}
    found = {name for name in found if not name.startswith("_")}
    return [name for name in PREFERRED_ORDER if name in found] + sorted(found - set(PREFERRED_ORDER))


def parse_arguments(argv: list[str] | None, available: list[str]) -> argparse.Namespace:
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


def run_script(name: str) -> tuple[int, float]:
    """Run bench/<name>.py with its output passed straight through; its exit status and duration."""
    print(f"\n===== bench/{name}.py =====", flush=True)
    started = time.monotonic()
    completed = subprocess.run([sys.executable, str(BENCH_DIR / f"{name}.py")], cwd=BENCH_DIR.parent, check=False)
    return completed.returncode, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    available = bench_scripts()
    arguments = parse_arguments(argv, available)
    selected = [name for name in available if arguments.only is None or name in arguments.only]
    results = {name: run_script(name) for name in selected}
    print("\n===== summary =====")
    for name, (returncode, seconds) in results.items():
        outcome = "ok" if returncode == 0 else f"FAILED (exit {returncode})"
        print(f"{name + '.py':24s} {outcome:20s} {seconds:7.1f} s")
    return 0 if all(returncode == 0 for returncode, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
