"""`devstack status` and `devstack reset` against a stack of their own (they stop services and delete volumes).

The commands run as a developer runs them (`python -m devstack ...`), pointed at the test project with
--project-name and at its ports with DEVSTACK_* variables in the environment, which override .env as for Compose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import options, status
from devstack.testing.plugin import FrontDoorSession, login, stack_until_teardown
from devstack.testing.stack import Stack

MARKER_SITE = "Reset marker"
CHOSEN_ADMIN = {"TERASERVER_ADMIN_USERNAME": "root", "TERASERVER_ADMIN_PASSWORD": "Chosen-Passw0rd-1"}


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    # No forced rebuild: Compose builds this project's images once, from the layer cache the session's stack filled.
    # Another superadmin than upstream's admin / admin (issue 16): TeraServer creates it on the empty database,
    # the register job logs in with it (or the stack would not be healthy), status and reset name it.
    yield from stack_until_teardown(
        request, tmp_path_factory.mktemp("status-reset"), build=False, overrides=CHOSEN_ADMIN
    )


def devstack_command(stack: Stack, *arguments: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    """`python -m devstack <arguments> --project-name <test project>`, the test stack's ports in the environment."""
    overrides = {
        key: value for key, value in stack.values().items() if key.startswith(("DEVSTACK_", "TERASERVER_ADMIN_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "devstack", *arguments, "--project-name", stack.project],
        capture_output=True,
        text=True,
        env={**os.environ, **overrides},
        cwd=stack.root,
        stdin=subprocess.DEVNULL,  # no terminal: reset must not be able to ask
        timeout=timeout,
    )


def marker_rows(stack: Stack) -> list[list[str]]:
    return stack.psql(f"SELECT site_name FROM t_sites WHERE site_name = '{MARKER_SITE}'")


def test_status_json_with_redis_stopped_on_purpose(own_stack: Stack) -> None:
    own_stack.run("stop", "redis")
    result = devstack_command(own_stack, "status", "--json")
    assert result.returncode == 1, result.stderr  # not healthy: one service is down
    document = json.loads(result.stdout)

    assert list(document) == list(status.JSON_KEYS)
    assert document["schema_version"] == 1
    assert document["project"] == own_stack.project
    assert document["healthy"] is False
    assert document["front_door"] == own_stack.base_url + "/"
    services = {service["service"]: service for service in document["services"]}
    assert {"db", "redis", "teraserver", "proxy", "certs"} <= set(services)
    for service in services.values():
        assert list(service) == list(status.SERVICE_KEYS)

    redis = services["redis"]
    assert (redis["state"], redis["ok"], redis["uptime_seconds"]) == ("exited", False, None)
    assert redis["status"].startswith("exited")
    assert redis["logs"], "a stopped service shows its last log lines"
    assert not any("\x1b" in line for line in redis["logs"]), "log lines carry no terminal control codes"

    db = services["db"]
    assert (db["state"], db["health"], db["ok"]) == ("running", "healthy", True)
    assert db["internal_ports"] == [5432]
    assert db["published"] == [{"address": "127.0.0.1", "port": own_stack.host_port("db", 5432), "target": 5432}]
    assert isinstance(db["uptime_seconds"], int) and db["uptime_seconds"] >= 0
    assert db["logs"] == []

    proxy = services["proxy"]
    assert (proxy["health"], proxy["url"]) == ("healthy", own_stack.base_url + "/")
    assert proxy["published"][0]["port"] == own_stack.https_port
    assert services["certs"]["status"] == "completed" and services["certs"]["ok"] is True
    assert services["teraserver"]["url"] == own_stack.base_url + "/"
    assert services["teraserver"]["image"] == f"{own_stack.project}/teraserver:dev"  # tagged per project

    access = document["access"]
    assert access["api_login"] == own_stack.base_url + "/api/user/login"
    assert access["ca_certificate_command"].startswith(f"docker compose -p {own_stack.project} cp proxy:")
    # Every port of the running test stack is its own: no conflict reported.
    assert document["port_conflicts"] == []
    assert document["nginx_refused"] is None  # the checkout's NGINX files pass nginx -t in the running proxy

    table = devstack_command(own_stack, "status")
    assert table.returncode == 1
    assert f"project {own_stack.project}: NOT healthy" in table.stdout
    assert "redis is exited" in table.stdout and "log lines:" in table.stdout
    own_stack.run("start", "redis")


def test_services_json_is_the_status_envelope(own_stack: Stack) -> None:
    result = devstack_command(own_stack, "services", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert tuple(document) == options.ENVELOPE_KEYS
    assert (document["schema_version"], document["project"]) == (1, own_stack.project)
    assert document["front_door"] == own_stack.base_url + "/"
    sample = {row["service"]: row for row in document["services"]}["sample"]
    assert (sample["state"], sample["health"], sample["ok"]) == ("running", "healthy", True)
    assert sample["url"] == f"{own_stack.base_url}{sample['prefix']}/"


def test_reset_refuses_without_terminal_or_yes_and_keeps_the_data(own_stack: Stack) -> None:
    own_stack.run("up", "--wait", "redis")
    own_stack.psql(
        "INSERT INTO t_sites (id_site, site_name, site_2fa_required, version_id) "
        f"SELECT max(id_site) + 1, '{MARKER_SITE}', false, 1 FROM t_sites"
    )
    result = devstack_command(own_stack, "reset")
    assert result.returncode == 2
    assert "refusing to delete" in result.stderr and "--yes" in result.stderr
    assert marker_rows(own_stack) == [[MARKER_SITE]]


def test_reset_yes_leaves_an_empty_healthy_stack(own_stack: Stack, tmp_path: Path) -> None:
    if not marker_rows(own_stack):  # when run alone
        own_stack.psql(
            "INSERT INTO t_sites (id_site, site_name, site_2fa_required, version_id) "
            f"SELECT max(id_site) + 1, '{MARKER_SITE}', false, 1 FROM t_sites"
        )
    result = devstack_command(own_stack, "reset", "--yes", "--no-build")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "reset and healthy in" in result.stdout

    assert marker_rows(own_stack) == []
    states = own_stack.service_states()
    for service in ("db", "redis", "teraserver", "proxy"):
        assert states[service]["health"] == "healthy", states
    # Fresh volumes mean a fresh CA too: fetch it again.
    https = FrontDoorSession(own_stack.base_url, own_stack.copy_ca(tmp_path / "ca.pem"))
    assert login(https, "root", "Chosen-Passw0rd-1")  # the empty database got .env's superadmin again
    assert https.get("/api/user/login", auth=("admin", "admin")).status_code == 401
    assert "login root / (TERASERVER_ADMIN_PASSWORD in .env)" in result.stdout
    status = json.loads(devstack_command(own_stack, "status", "--json").stdout)
    assert status["healthy"] is True, status
    assert status["access"]["teraserver_admin"] == {"username": "root", "password": None}
