"""Hot reload: under `docker compose watch`, a Backend edit is served through NGINX after the service restarts,
and a Frontend edit is served at once without a restart.

Runs on a stack of its own started from a temporary copy of the repository, and edits the sample service's
files there, so the developer's tree is never touched. The watch process and the stack are removed whatever
happens.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.testing.plugin import require_docker
from devstack.testing.watch import ComposeWatch, poll_until
from devstack.testing.workspace import Workspace, running_workspace

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "sample"
PREFIX = "/sample"
VERSION_FILE = "services/sample/Backend/main.py"
VERSION_LINE = 'SERVICE_VERSION = "1.0.0"'
FRONTEND_FILE = "services/sample/Frontend/index.html"
# Bounds, not speed targets (bench/edit_to_live.py measures those): a restart re-imports the opentera package,
# which takes tens of seconds on a loaded 2-core machine; a Frontend sync is a file copy.
BACKEND_SECONDS = 90
FRONTEND_SECONDS = 30


@pytest.fixture(scope="module")
def workspace(request: pytest.FixtureRequest) -> Iterator[Workspace]:
    require_docker()
    with running_workspace(ROOT, "devstack-watch", keep=request.config.getoption("--devstack-keep")) as started:
        yield started


@pytest.fixture(scope="module")
def watch(workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeWatch]:
    log_file = tmp_path_factory.mktemp("watch") / "compose-watch.log"
    with ComposeWatch(workspace.stack.compose.command(), workspace.root, [SERVICE], log_file) as running:
        yield running


def started_at(workspace: Workspace, service: str) -> str:
    """When the service's container last started (changes at every restart)."""
    container = workspace.stack.run("ps", "--quiet", service).stdout.strip()
    inspected = subprocess.run(["docker", "inspect", container], capture_output=True, text=True, check=True).stdout
    return json.loads(inspected)[0]["State"]["StartedAt"]


def test_a_backend_edit_is_answered_through_nginx(workspace: Workspace, watch: ComposeWatch) -> None:
    version_file = workspace.root / VERSION_FILE
    original = version_file.read_text(encoding="utf-8")
    assert VERSION_LINE in original, f"{VERSION_FILE} no longer has {VERSION_LINE!r}: update this test"
    marker = f"watched-{uuid.uuid4().hex[:8]}"
    before = started_at(workspace, SERVICE)
    version_file.write_text(original.replace(VERSION_LINE, f'SERVICE_VERSION = "{marker}"'), encoding="utf-8")

    def version(response: requests.Response) -> object:
        return response.json().get("version") if response.status_code == 200 else None

    with workspace.session() as session:
        try:
            _, seconds = poll_until(
                lambda: session.get(f"{PREFIX}/api/version", timeout=5),
                lambda response: version(response) == marker,
                timeout=BACKEND_SECONDS,
            )
        except TimeoutError as error:
            pytest.fail(f"{error}\n--- compose watch ---\n{watch.output()[-2000:]}", pytrace=False)
    print(f"backend edit live through NGINX after {seconds:.1f} s")
    assert started_at(workspace, SERVICE) != before, "a Backend edit should restart the service (sync+restart)"


def test_a_frontend_edit_is_served_without_a_restart(workspace: Workspace, watch: ComposeWatch) -> None:
    page = workspace.root / FRONTEND_FILE
    marker = f"watched-{uuid.uuid4().hex[:8]}"
    with workspace.session() as session:
        assert session.get(f"{PREFIX}/").status_code == 200
        before = started_at(workspace, SERVICE)
        page.write_text(page.read_text(encoding="utf-8") + f"<!-- {marker} -->\n", encoding="utf-8")
        try:
            poll_until(
                lambda: session.get(f"{PREFIX}/", timeout=5),
                lambda response: response.status_code == 200 and marker in response.text,
                timeout=FRONTEND_SECONDS,
            )
        except TimeoutError as error:
            pytest.fail(f"{error}\n--- compose watch ---\n{watch.output()[-2000:]}", pytrace=False)
    assert started_at(workspace, SERVICE) == before, "a Frontend edit must not restart the service"
