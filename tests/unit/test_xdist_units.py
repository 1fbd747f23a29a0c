"""tests/conftest.py spreads the suite over pytest-xdist workers: whole files, the files sharing a session stack as
one unit. Run here on a tiny suite of its own (a pytest subprocess with three workers), with that conftest copied in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("xdist")

SUITE_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

# Stands for tests/integration/conftest.py: a session "stack" that notes which worker started it.
STACKS = """
import json, os
from pathlib import Path
import pytest

def started(name):
    log = Path(os.environ["UNITS_TEST_LOG"])
    with log.open("a") as out:
        out.write(json.dumps({"stack": name, "worker": os.environ.get("PYTEST_XDIST_WORKER")}) + "\\n")

@pytest.fixture(scope="session")
def api_stack():
    started("api_stack")
    return "api"

@pytest.fixture
def front(api_stack):  # uses the stack indirectly, as the real `front` does
    return api_stack
"""

TEST_FILE = """
import json, os, time
from pathlib import Path

def test_{name}({fixture}):
    time.sleep(0.3)
    with Path(os.environ["UNITS_TEST_LOG"]).open("a") as out:
        out.write(json.dumps({{"file": "{name}", "worker": os.environ.get("PYTEST_XDIST_WORKER")}}) + "\\n")

def test_{name}_second({fixture}):
    pass
"""


def test_files_sharing_a_session_stack_run_in_one_worker_and_start_it_once(tmp_path: Path) -> None:
    suite = tmp_path / "tests"
    (suite / "integration").mkdir(parents=True)
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (suite / "conftest.py").write_text(SUITE_CONFTEST.read_text(encoding="utf-8"), encoding="utf-8")
    (suite / "integration" / "conftest.py").write_text(STACKS, encoding="utf-8")
    files = {"a_direct": "api_stack", "b_alone": "tmp_path", "c_indirect": "front", "d_alone": "tmp_path"}
    for name, fixture in files.items():
        (suite / "integration" / f"test_{name}.py").write_text(
            TEST_FILE.format(name=name, fixture=fixture), encoding="utf-8"
        )
    log = tmp_path / "log.jsonl"

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "3", "--dist", "loadfile", "-q", "tests"],
        cwd=tmp_path,
        env={"UNITS_TEST_LOG": str(log), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    workers = {entry["file"]: entry["worker"] for entry in entries if "file" in entry}
    assert set(workers) == set(files)
    assert workers["a_direct"] == workers["c_indirect"], workers
    assert [entry["stack"] for entry in entries if "stack" in entry] == ["api_stack"]
    # The other files are units of their own: three workers share the four files' three units.
    assert len(set(workers.values())) == 3, workers
