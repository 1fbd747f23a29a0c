"""bench/run.py's figure list and the table of docs/performance.md name the same figures, so neither drifts."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_modules import load_bench_module

ROOT = Path(__file__).resolve().parents[2]


bench_run = load_bench_module("bench/run.py")


def readme_performance_rows() -> list[list[str]]:
    doc = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    section = doc.split("\n## Figures\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    assert len(table) > 2, "docs/performance.md's Figures section has no table"
    header, separator, *rows = table
    assert [cell.strip() for cell in header.strip("|").split("|")] == ["figure", "measured", "target"]
    assert set(separator) <= set("|-: ")
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_readme_table_and_runner_list_the_same_figures_in_the_same_order() -> None:
    readme_names = [row[0] for row in readme_performance_rows()]
    runner_names = [figure.name for figure in bench_run.FIGURES]
    assert readme_names == runner_names


def test_readme_targets_are_the_runners() -> None:
    readme_targets = {row[0]: row[2] for row in readme_performance_rows()}
    for figure in bench_run.FIGURES:
        assert readme_targets.get(figure.name) == figure.target, figure.name


def test_every_readme_row_carries_a_measured_value() -> None:
    for name, measured, _ in readme_performance_rows():
        assert measured and measured not in {"–", "-", "?"}, f"README row {name!r} has no measured value"


def test_figure_names_are_unique() -> None:
    names = [figure.name for figure in bench_run.FIGURES]
    assert len(names) == len(set(names))


def test_every_bench_script_contributes_a_figure() -> None:
    measured_by = {figure.script for figure in bench_run.FIGURES}
    for script in bench_run.bench_scripts():
        assert script in measured_by, f"bench/{script}.py measures nothing the summary table shows"


def test_figure_lines_are_read_from_the_output() -> None:
    output = "building...\n@figure cold start to all healthy = 6.2 s\nnoise\n@figure scaffold to first 200 = 31.0 s\n"
    assert bench_run.figure_lines(output) == {
        "cold start to all healthy": "6.2 s",
        "scaffold to first 200": "31.0 s",
    }


@pytest.mark.parametrize(
    ("run", "available", "expected"),
    [
        (None, True, "not run (--only)"),
        (None, False, "not measured: bench/stack_startup.py does not exist"),
        (("", 2), True, "not measured: stack_startup.py failed (exit 2)"),
        (("nothing useful\n", 0), True, "not measured: stack_startup.py printed no such figure"),
        (("@figure cold start to all healthy = 7.5 s\n", 1), True, "7.5 s"),
    ],
)
def test_summary_says_why_a_figure_was_not_measured(
    run: tuple[str, int] | None, available: bool, expected: str
) -> None:
    runs = {} if run is None else {"stack_startup": bench_run.ScriptRun(run[1], 1.0, run[0])}
    scripts = ["stack_startup"] if available else []
    rows = {name: measured for name, measured, _ in bench_run.summary_rows(runs, scripts)}
    assert rows["cold start to all healthy"] == expected


def test_the_cpu_speed_probe_grows_with_its_work(monkeypatch: pytest.MonkeyPatch) -> None:
    # Printed before and after the benches: the machine's speed of the moment, next to the figures.
    monkeypatch.setattr(bench_run, "SPEED_PROBE_ITERATIONS", 20_000)
    small = min(bench_run.cpu_speed_probe_ms() for _ in range(3))
    monkeypatch.setattr(bench_run, "SPEED_PROBE_ITERATIONS", 2_000_000)
    large = bench_run.cpu_speed_probe_ms()
    assert 0 < small < large
