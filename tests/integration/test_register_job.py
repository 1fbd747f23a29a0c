"""The one-shot `register` job registers every manifest's service with TeraServer on a fresh stack."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import redis

from devstack import cli, manifest
from devstack.testing.stack import Stack

MISSING_ENDPOINT = "TeraServer has no "


def manifests(stack: Stack) -> list[manifest.Manifest]:
    found = manifest.load_all(stack.root)
    if not found:
        pytest.skip("no services/*/service.yaml in this checkout: nothing for the job to register")
    return found


def register_log(stack: Stack) -> str:
    return stack.logs("register", tail=200)


def skip_if_endpoint_missing(stack: Stack, endpoint: str) -> None:
    """The job reports TeraServer endpoints that are not implemented yet; then their effect cannot be seen."""
    for line in register_log(stack).splitlines():
        if MISSING_ENDPOINT in line and endpoint in line:
            pytest.skip(f"this TeraServer lacks an endpoint the job needs: {line.split('|', 1)[-1].strip()}")


def finished_job_state(stack: Stack, timeout: float = 120) -> dict[str, str]:
    """The job's state once it has exited: `up --wait` only waits for it when a service depends on it."""
    deadline = time.monotonic() + timeout
    state = stack.service_states()["register"]
    while state["state"] in {"created", "running"} and time.monotonic() < deadline:
        time.sleep(1)
        state = stack.service_states()["register"]
    return state


@pytest.fixture(autouse=True)
def register_job_done(devstack: Stack) -> None:
    finished_job_state(devstack)


def test_register_job_ran_once_and_succeeded(devstack: Stack) -> None:
    state = finished_job_state(devstack)
    assert state["state"] == "exited", state
    assert state["exit_code"] == "0", register_log(devstack)


def test_every_manifest_is_published_in_redis(devstack: Stack, redis_client: redis.Redis) -> None:
    skip_if_endpoint_missing(devstack, "/api/user/services ")
    for service in manifests(devstack):
        raw = redis_client.get(f"service.{service.key}")
        assert raw is not None, f"service.{service.key} missing from Redis:\n{register_log(devstack)}"
        entry = json.loads(raw)
        assert entry["service_key"] == service.key
        assert entry["service_name"] == service.name
        assert entry["service_hostname"] == service.folder
        assert entry["service_port"] == service.port
        assert entry["service_endpoint"] == "/"
        assert entry["service_clientendpoint"] == service.prefix
        assert entry["service_enabled"] is True
        assert {role["service_role_name"] for role in entry["service_roles"]} >= {"admin", "user"}


def test_every_manifest_is_linked_to_the_default_site_and_the_dev_project(devstack: Stack) -> None:
    for endpoint in ("/api/user/services ", "/api/user/sites", "/api/user/projects", "/api/user/services/"):
        skip_if_endpoint_missing(devstack, endpoint)
    for service in manifests(devstack):
        sites = devstack.psql(
            "SELECT s.site_name FROM t_services_sites ss JOIN t_sites s ON s.id_site = ss.id_site "
            f"JOIN t_services sv ON sv.id_service = ss.id_service WHERE sv.service_key = '{service.key}'"
        )
        assert sites == [["Default Site"]], sites
        projects = devstack.psql(
            "SELECT p.project_name FROM t_services_projects sp JOIN t_projects p ON p.id_project = sp.id_project "
            f"JOIN t_services sv ON sv.id_service = sp.id_service WHERE sv.service_key = '{service.key}'"
        )
        assert projects == [["DevStack Project"]], projects


def run_register(stack: Stack, ca_file: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", stack.project)
    monkeypatch.setenv("DEVSTACK_ROOT", str(stack.root))
    return cli.main(["register", "--url", stack.base_url, "--ca-file", str(ca_file), "--wait", "10", *extra])


def test_register_from_the_host_again_changes_nothing(
    devstack: Stack, devstack_ca: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_if_endpoint_missing(devstack, "/api/user/")
    keys = [service.key for service in manifests(devstack)]
    key_list = ", ".join(f"'{key}'" for key in keys)
    query = (
        "SELECT sv.service_key, sv.service_uuid, "
        "(SELECT count(*) FROM t_services_sites ss WHERE ss.id_service = sv.id_service), "
        "(SELECT count(*) FROM t_services_projects sp WHERE sp.id_service = sv.id_service), "
        "(SELECT count(*) FROM t_services_roles sr WHERE sr.id_service = sv.id_service) "
        f"FROM t_services sv WHERE sv.service_key IN ({key_list}) ORDER BY 1"
    )
    before = devstack.psql(query)
    assert run_register(devstack, devstack_ca, monkeypatch) == 0
    assert devstack.psql(query) == before
    assert len(devstack.psql("SELECT 1 FROM t_projects WHERE project_name = 'DevStack Project'")) == 1


def test_bad_admin_password_fails_clearly(
    devstack: Stack, devstack_ca: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    manifests(devstack)
    monkeypatch.setenv("TERASERVER_ADMIN_PASSWORD", "not-the-password")
    assert run_register(devstack, devstack_ca, monkeypatch) != 0
    error = capsys.readouterr().err
    assert "HTTP 401" in error and "TERASERVER_ADMIN_PASSWORD" in error
