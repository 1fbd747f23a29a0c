"""`--devstack-reuse PROJECT`: a pytest session attaches to a stack started by hand and leaves it running."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.testing.plugin import start_stack
from devstack.testing.stack import Stack

LONG_RUNNING = ("db", "redis", "teraserver", "proxy")


def tiny_test_file(directory: Path, project: str) -> Path:
    """A test module as a service author would write it, using the plugin's `https` fixture."""
    path = directory / "test_against_reused_stack.py"
    path.write_text(
        "def test_login_through_the_reused_front_door(devstack, https):\n"
        f"    assert devstack.project == {project!r}\n"
        '    response = https.get("/api/user/login", auth=("admin", "admin"))\n'
        "    assert response.status_code == 200\n"
        '    assert response.json()["user_token"]\n',
        encoding="utf-8",
    )
    return path


def run_pytest(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    # cwd is the temporary folder, so the repository's own pytest settings and tests stay out of the run.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def hand_started_stack(devstack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this module's own (images built by the session's `devstack`), as if started by hand."""
    stack = start_stack(tmp_path_factory.mktemp("reused-stack"), build=False)
    yield stack
    stack.down()


def test_reuse_runs_tests_against_the_running_stack_and_leaves_it_up(hand_started_stack: Stack, tmp_path: Path) -> None:
    test_file = tiny_test_file(tmp_path, hand_started_stack.project)
    result = run_pytest(tmp_path, "--devstack-reuse", hand_started_stack.project, str(test_file))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
    states = hand_started_stack.service_states()
    assert {name: states[name]["state"] for name in LONG_RUNNING} == dict.fromkeys(LONG_RUNNING, "running")
    assert hand_started_stack.run("port", "proxy", "40075").stdout.strip().endswith(f":{hand_started_stack.https_port}")


def test_reuse_of_a_project_that_is_not_running_fails_naming_it(tmp_path: Path) -> None:
    project = "devstack-test-not-running-at-all"
    test_file = tiny_test_file(tmp_path, project)
    result = run_pytest(tmp_path, "--devstack-reuse", project, str(test_file))
    assert result.returncode != 0
    assert f"cannot reuse Compose project {project!r}" in result.stdout
    assert "1 error" in result.stdout
