"""`devstack up` brings a stack that ran before to what the manifests say.

PostgreSQL runs its init scripts (which create the services' databases) only on an empty volume, so a service
added to a stack that already ran (`devstack new --no-start`, an interrupted `new`, a manifest pulled from git)
used to have no database: `up` waited ~200 s for its container and failed on "database ... does not exist".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import manifest, naming
from devstack.testing.plugin import require_docker
from devstack.testing.workspace import Workspace, running_workspace, unique_service_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workspace(request: pytest.FixtureRequest) -> Iterator[Workspace]:
    require_docker()
    with running_workspace(ROOT, "devstack-converge", keep=request.config.getoption("--devstack-keep")) as started:
        yield started


def database_exists(workspace: Workspace, database: str) -> bool:
    rows = workspace.stack.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{database}'", database="postgres")
    return rows == [["1"]]


def test_up_creates_the_database_of_a_service_added_while_the_stack_ran(workspace: Workspace) -> None:
    key = unique_service_key("Late")
    folder = naming.folder_for_key(key)
    written = workspace.devstack("new", key, "--no-start")
    assert written.returncode == 0, written.stdout + written.stderr
    service = manifest.load_manifest(
        workspace.root / manifest.SERVICES_DIR / folder / manifest.MANIFEST_NAME, workspace.root
    )
    assert service.database is not None
    assert not database_exists(workspace, service.database), "new --no-start must not have touched the stack"

    started = workspace.devstack("up")

    assert started.returncode == 0, (started.stdout + started.stderr)[-4000:]
    assert database_exists(workspace, service.database)
    with workspace.session() as front:
        assert front.get(f"{service.prefix}{service.health_path}").status_code == 200
