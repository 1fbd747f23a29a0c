"""`devstack seed` and `GET /api/test/database/reset` on a stack of their own (both replace all of its data).

The CLI runs as a developer runs it (`python -m devstack seed --project-name <test project>`, the test stack's ports
in the environment). What the seed must load is derived, not written down: the test set is created once by the
package's models in an in-memory SQLite database inside the TeraServer image (upstream's own test mode), and
the stack must then hold the same rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis

from devstack import envfile
from devstack.testing import tokens
from devstack.testing.plugin import FrontDoorSession, login, stack_until_teardown
from devstack.testing.stack import Stack

MARKER_SITE = "Seed marker"
SAMPLE_KEY = "SampleService"
# Tables the `register` job never writes (it adds a service, its roles, links and the "DevStack Project").
UNTOUCHED_BY_REGISTER = (
    "t_users",
    "t_users_groups",
    "t_sites",
    "t_participants",
    "t_participants_groups",
    "t_devices",
    "t_sessions",
    "t_sessions_types",
    "t_sessions_events",
    "t_assets",
    "t_tests",
    "t_tests_types",
)
# Upstream's test set, as the package's models create it in upstream's order, in an empty in-memory database.
REFERENCE_SCRIPT = """
import contextlib, json, sys, warnings
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
import opentera.db.models
from opentera.db.Base import BaseModel
from teraserver import database
warnings.simplefilter("ignore")
app = Flask("reference")
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
db = SQLAlchemy()
db.init_app(app)
BaseModel.set_db(db)
with contextlib.redirect_stdout(sys.stderr), app.app_context():
    BaseModel.metadata.create_all(db.engine)
    database.create_defaults(test=True)
    counts = {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
              for t in BaseModel.metadata.sorted_tables}
print(json.dumps(counts))
"""


@pytest.fixture(scope="module")
def seed_stack(
    devstack: Stack, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    # Built for this project (from the layer cache, quick): images are tagged per Compose project.
    yield from stack_until_teardown(request, tmp_path_factory.mktemp("seed"), build=True)


@pytest.fixture(scope="module")
def reference_counts(seed_stack: Stack) -> dict[str, int]:
    result = seed_stack.run("run", "--rm", "--no-deps", "-T", "teraserver", "python", "-c", REFERENCE_SCRIPT)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def front_door(seed_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoorSession]:
    ca_file = seed_stack.copy_ca(tmp_path_factory.mktemp("seed-ca") / "ca_cert.pem")
    with FrontDoorSession(seed_stack.base_url, ca_file) as session:
        yield session


@pytest.fixture
def stack_redis(seed_stack: Stack) -> Iterator[redis.Redis]:
    client = seed_stack.redis()
    yield client
    client.close()


def devstack_seed(stack: Stack, *arguments: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    """`python -m devstack seed <arguments> --project-name <test project>`, the test stack's settings in the env."""
    assert stack.override_file is not None
    return subprocess.run(
        [sys.executable, "-m", "devstack", "seed", *arguments, "--project-name", stack.project],
        capture_output=True,
        text=True,
        env={**os.environ, **envfile.read_values(stack.override_file)},
        cwd=stack.root,
        stdin=subprocess.DEVNULL,  # no terminal: without --yes it must refuse
        timeout=timeout,
    )


def add_marker_site(stack: Stack) -> None:
    stack.psql(
        "INSERT INTO t_sites (id_site, site_name, site_2fa_required, version_id) "
        f"SELECT max(id_site) + 1, '{MARKER_SITE}', false, 1 FROM t_sites"
    )


def marker_rows(stack: Stack) -> list[list[str]]:
    return stack.psql(f"SELECT site_name FROM t_sites WHERE site_name = '{MARKER_SITE}'")


def table_counts(stack: Stack) -> dict[str, int]:
    tables = [row[0] for row in stack.psql("SELECT tablename FROM pg_tables WHERE tablename LIKE 't\\_%'")]
    union = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM {name}" for name in tables)
    return {name: int(count) for name, count in stack.psql(union)}


def service_rows(stack: Stack) -> dict[str, str]:
    """service_key -> service_uuid of every enabled, not deleted service except TeraServer itself."""
    rows = stack.psql(
        "SELECT service_key, service_uuid FROM t_services WHERE service_enabled AND deleted_at IS NULL "
        "AND service_key <> 'OpenTeraServer'"
    )
    return dict((key, uuid) for key, uuid in rows)


def service_entries(client: redis.Redis) -> dict[str, str]:
    """service_key -> service_uuid of every `service.<key>` registry entry in Redis."""
    entries = {}
    for name in client.scan_iter(match="service.*"):
        if client.type(name) == "string":
            document = json.loads(client.get(name))
            entries[name.removeprefix("service.")] = document["service_uuid"]
    return entries


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def test_test_reset_endpoint_does_not_exist_without_test_mode(https: FrontDoorSession) -> None:
    assert https.get("/api/test/database/reset").status_code == 404
    assert "/test/database/reset" not in https.get("/api/swagger.json").json()["paths"]


def test_seed_refuses_without_a_terminal_or_yes_and_changes_nothing(seed_stack: Stack) -> None:
    add_marker_site(seed_stack)
    before = table_counts(seed_stack)
    result = devstack_seed(seed_stack)
    assert result.returncode == 2
    assert "refusing to replace the data" in result.stderr and "--yes" in result.stderr
    assert marker_rows(seed_stack) == [[MARKER_SITE]]
    assert table_counts(seed_stack) == before


def test_seed_loads_upstreams_test_set_and_the_stack_keeps_working(
    seed_stack: Stack, front_door: FrontDoorSession, stack_redis: redis.Redis, reference_counts: dict[str, int]
) -> None:
    if not marker_rows(seed_stack):  # when run alone
        add_marker_site(seed_stack)
    sample_uuid_before = tokens.service_uuid(stack_redis, SAMPLE_KEY)

    result = devstack_seed(seed_stack, "--yes")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "siteadmin / siteadmin" in result.stdout and "user / user" in result.stdout

    # The rows are upstream's test set: same counts as the models create in an empty database.
    assert marker_rows(seed_stack) == []
    counts = table_counts(seed_stack)
    for table in UNTOUCHED_BY_REGISTER:
        assert counts[table] == reference_counts[table], table
    assert counts["t_participants"] > 0 and counts["t_sessions"] > 0
    assert f"t_sessions {reference_counts['t_sessions']}" in " ".join(result.stdout.split())

    # Its accounts log in; its projects exist, next to the project the `register` job creates.
    for username in ("siteadmin", "user"):
        login(front_door, username, username)
    admin = login(front_door, "admin", "admin")
    projects = front_door.get("/api/user/projects", headers=bearer(admin)).json()
    names = {project["project_name"] for project in projects}
    assert {"Default Project #1", "Secret Project #1", "DevStack Project"} <= names

    # The sample was registered again (a new row, so a new uuid) and restarted with it.
    sample_uuid = tokens.service_uuid(stack_redis, SAMPLE_KEY)
    assert sample_uuid != sample_uuid_before
    assert service_rows(seed_stack)[SAMPLE_KEY] == sample_uuid
    assert seed_stack.service_states()["sample"]["health"] == "healthy"
    me = front_door.get("/sample/api/me", headers=bearer(admin))
    assert me.status_code == 200, me.text
    service_token = tokens.service_token_from_redis(stack_redis, SAMPLE_KEY)
    own = front_door.get("/api/service/services", params={"uuid_service": sample_uuid}, headers=bearer(service_token))
    assert own.status_code == 200, own.text

    # Redis lists exactly the services of the new rows (BureauActif etc. of the test set, the sample).
    assert service_entries(stack_redis) == service_rows(seed_stack)


def test_seeding_twice_gives_the_same_rows(seed_stack: Stack) -> None:
    first = table_counts(seed_stack)
    result = devstack_seed(seed_stack, "--yes")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert table_counts(seed_stack) == first


def test_seed_refuses_a_stopped_stack_naming_what_is_down(seed_stack: Stack) -> None:
    seed_stack.run("stop", "teraserver")
    try:
        before = table_counts(seed_stack)
        result = devstack_seed(seed_stack, "--yes")
        assert result.returncode == 2
        assert "is not running healthy (teraserver: exited" in result.stderr
        assert "devstack up" in result.stderr and "Nothing was changed" in result.stderr
        assert table_counts(seed_stack) == before
    finally:
        seed_stack.run("up", "--detach", "--wait", "--no-deps", "teraserver")


def test_test_mode_reset_endpoint_restores_the_test_set(
    seed_stack: Stack, front_door: FrontDoorSession, stack_redis: redis.Redis, reference_counts: dict[str, int]
) -> None:
    # Test mode on: TERASERVER_TEST_DATA=true plays upstream's --enable_tests (the container is recreated).
    assert seed_stack.override_file is not None
    with seed_stack.override_file.open("a", encoding="utf-8") as override:
        override.write("TERASERVER_TEST_DATA=true\n")
    # --build: the image tag is shared with other checkouts on this machine; recreate from this tree.
    seed_stack.run("up", "--detach", "--wait", "--no-deps", "--build", "teraserver")
    add_marker_site(seed_stack)

    # No credentials, as upstream. A few seconds on an idle machine; far more on a loaded 2-core one.
    response = front_door.get("/api/test/database/reset", timeout=120)
    assert response.status_code == 200, response.text
    assert response.json() == 200

    assert marker_rows(seed_stack) == []
    counts = table_counts(seed_stack)
    # t_server_settings is kept on purpose (token keys, ServerUUID; plus ServerVersions, written at each boot).
    data_tables = [table for table in reference_counts if table != "t_server_settings"]
    assert {table: counts[table] for table in data_tables} == {table: reference_counts[table] for table in data_tables}
    login(front_door, "siteadmin", "siteadmin")
    # As upstream: only the test set's services remain, and Redis says so (the sample's entry is gone).
    assert SAMPLE_KEY not in service_rows(seed_stack)
    assert service_entries(stack_redis) == service_rows(seed_stack)
