"""A service's shipped tests (services/<folder>/tests/) run from its folder, and only there: the repository's own
`pytest` never collects them (its testpaths), so they are not run twice nor against the wrong stack (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "services" / "sample"


def collect(folder: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_repositorys_pytest_collects_no_service_tests() -> None:
    result = collect(ROOT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    items = [line for line in result.stdout.splitlines() if "::" in line]
    assert items and all(line.startswith("tests/") for line in items), [
        line for line in items if not line.startswith("tests/")
    ][:5]


def test_pytest_in_a_service_folder_collects_its_tests_with_the_folder_as_root() -> None:
    result = collect(SAMPLE)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    items = [line for line in result.stdout.splitlines() if "::" in line]
    assert items and all(line.startswith("tests/test_service.py::") for line in items), items
