"""The `scaffold_service` fixture, used as a service author would: tests of their own run in a pytest session of
its own (the plugin loaded through its entry point, as in any project), docs/testing.md's example among them;
one records what it saw, and once that session has ended we check that nothing of the throwaway service is left."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_LABEL = "com.docker.compose.project"
# Starting a stack, building the service's image and tearing it all down, on a busy 2-core machine.
INNER_SESSION_TIMEOUT_SECONDS = 1800
DOC_EXAMPLE = re.compile(r"^## A throwaway service: `scaffold_service`\n.*?```python\n(.*?)```", re.S | re.M)

AUTHOR_TEST = """
import json
import os
from pathlib import Path


def test_the_throwaway_service(scaffold_service):
    with scaffold_service.session() as session:
        without_token = session.get(scaffold_service.url("api/me"))
        token = scaffold_service.user_token("admin", "admin")
        with_token = session.get(scaffold_service.url("api/me"), headers={"Authorization": f"OpenTera {token}"})
        frontend = session.get(scaffold_service.url())
    Path(os.environ["SCAFFOLD_RECORD"]).write_text(json.dumps({
        "key": scaffold_service.key,
        "folder": scaffold_service.folder,
        "prefix": scaffold_service.prefix,
        "image": scaffold_service.image,
        "path": str(scaffold_service.path),
        "workdir": str(scaffold_service.workspace.workdir),
        "project": scaffold_service.stack.project,
        "url": scaffold_service.url("api/me"),
        "without_token": without_token.status_code,
        "with_token": with_token.status_code,
        "me": with_token.json() if with_token.status_code == 200 else with_token.text[:500],
        "frontend": frontend.status_code,
        "service_existed": scaffold_service.path.is_dir(),
    }))
"""


def docker_lines(*arguments: str) -> list[str]:
    result = subprocess.run(["docker", *arguments], capture_output=True, text=True, check=True)
    return result.stdout.split()


@pytest.fixture(scope="module")
def author_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run the author's test in a pytest session of its own; its output, and what the test recorded."""
    folder = tmp_path_factory.mktemp("author")
    example = DOC_EXAMPLE.search((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
    assert example is not None, "docs/testing.md has no example under its scaffold_service heading"
    (folder / "test_author.py").write_text(AUTHOR_TEST + "\n\n" + example.group(1), encoding="utf-8")
    record = folder / "record.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_author.py", "-q", "-p", "no:cacheprovider", "-s"],
        cwd=folder,
        env={**os.environ, "SCAFFOLD_RECORD": str(record)},
        capture_output=True,
        text=True,
        timeout=INNER_SESSION_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"the author's session failed:\n{(result.stdout + result.stderr)[-6000:]}"
    assert "2 passed" in result.stdout, result.stdout[-2000:]
    return result, json.loads(record.read_text(encoding="utf-8"))


def test_the_throwaway_service_answers_through_nginx_with_the_package_auth(author_session) -> None:
    _, seen = author_session
    assert seen["key"].startswith("Scratch") and seen["key"].endswith("Service")
    assert seen["url"].endswith(f"{seen['prefix']}/api/me") and seen["prefix"] == f"/{seen['folder']}"
    assert seen["without_token"] == 401
    assert seen["with_token"] == 200, seen["me"]
    assert seen["me"]["service_key"] == seen["key"]
    assert seen["frontend"] == 200


def test_the_service_was_written_in_a_copy_not_in_the_developer_tree(author_session) -> None:
    _, seen = author_session
    assert seen["service_existed"]
    assert not Path(seen["path"]).is_relative_to(ROOT)
    assert not (ROOT / "services" / seen["folder"]).exists()


def test_after_teardown_nothing_of_it_remains(author_session) -> None:
    _, seen = author_session
    label = f"label={PROJECT_LABEL}={seen['project']}"
    assert docker_lines("ps", "--all", "--quiet", "--filter", label) == []
    assert docker_lines("volume", "ls", "--quiet", "--filter", label) == []
    assert docker_lines("network", "ls", "--quiet", "--filter", label) == []
    assert docker_lines("image", "ls", "--quiet", seen["image"]) == []
    assert not Path(seen["workdir"]).exists()
