"""`devstack status`: the table and the JSON built from recorded `docker compose ps` output, and the
detection of host ports something else holds (with a real listening socket)."""

# The recorded `docker compose ps` lines are kept verbatim, one JSON object per line as Compose prints them.
# ruff: noqa: E501

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from devstack import compose, manifest, nginx, options, settings, status

# Recorded from `docker compose ps --all --format json` (Compose 2.26) on a test stack with `redis` stopped on
# purpose and TeraServer failing its healthcheck; Labels/Command/Mounts trimmed, nothing else changed.
PS_LINES = """\
{"CreatedAt":"2026-11-28 04:25:47 +0000 UTC","ExitCode":0,"Health":"","ID":"f7c548f14f9e","Image":"sha256:48ab61b8e6a3","Name":"t1-certs-1","Names":"t1-certs-1","Networks":"t1_default","Ports":"","Project":"t1","Publishers":null,"RunningFor":"5 minutes ago","Service":"certs","Size":"0B","State":"exited","Status":"Exited (0) 5 minutes ago"}
{"CreatedAt":"2026-11-28 04:25:47 +0000 UTC","ExitCode":0,"Health":"healthy","ID":"0adcb8fabe44","Image":"opentera-devstack/postgres:15","Name":"t1-db-1","Names":"t1-db-1","Networks":"t1_default","Ports":"127.0.0.1:32788->5432/tcp","Project":"t1","Publishers":[{"URL":"127.0.0.1","TargetPort":5432,"PublishedPort":32788,"Protocol":"tcp"}],"RunningFor":"5 minutes ago","Service":"db","Size":"0B","State":"running","Status":"Up 5 minutes (healthy)"}
{"CreatedAt":"2026-11-28 04:25:47 +0000 UTC","ExitCode":0,"Health":"healthy","ID":"4f388557b511","Image":"opentera-devstack/nginx:1.22","Name":"t1-proxy-1","Names":"t1-proxy-1","Networks":"t1_default","Ports":"127.0.0.1:57799->40075/tcp","Project":"t1","Publishers":[{"URL":"127.0.0.1","TargetPort":40075,"PublishedPort":57799,"Protocol":"tcp"}],"RunningFor":"5 minutes ago","Service":"proxy","Size":"0B","State":"running","Status":"Up 5 minutes (healthy)"}
{"CreatedAt":"2026-11-28 04:25:47 +0000 UTC","ExitCode":0,"Health":"","ID":"9b1f0c2d3e4a","Image":"opentera-devstack/redis:7","Name":"t1-redis-1","Names":"t1-redis-1","Networks":"t1_default","Ports":"","Project":"t1","Publishers":null,"RunningFor":"5 minutes ago","Service":"redis","Size":"0B","State":"exited","Status":"Exited (0) 12 seconds ago"}
{"CreatedAt":"2026-11-28 04:25:47 +0000 UTC","ExitCode":0,"Health":"unhealthy","ID":"77aa88bb99cc","Image":"opentera-devstack/teraserver:dev","Name":"t1-teraserver-1","Names":"t1-teraserver-1","Networks":"t1_default","Ports":"127.0.0.1:32801->4040/tcp","Project":"t1","Publishers":[{"URL":"127.0.0.1","TargetPort":4040,"PublishedPort":32801,"Protocol":"tcp"}],"RunningFor":"5 minutes ago","Service":"teraserver","Size":"0B","State":"running","Status":"Up 2 minutes (unhealthy)"}
"""

# The matching parts of `docker inspect` (what status reads from it: start time, image name, restart policy).
INSPECT = {
    "f7c548f14f9e": {
        "Id": "f7c548f14f9e" + "0" * 52,
        "State": {"Status": "exited", "StartedAt": "2026-11-28T04:25:47.9Z", "ExitCode": 0},
        "Config": {"Image": "opentera-devstack/certs:dev"},
        "HostConfig": {"RestartPolicy": {"Name": "no"}},
    },
    "0adcb8fabe44": {
        "Id": "0adcb8fabe44" + "0" * 52,
        "State": {"Status": "running", "StartedAt": "2026-11-28T04:25:48.083858687Z"},
        "Config": {"Image": "opentera-devstack/postgres:15"},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    },
    "4f388557b511": {
        "Id": "4f388557b511" + "0" * 52,
        "State": {"Status": "running", "StartedAt": "2026-11-28T04:25:50.5Z"},
        "Config": {"Image": "opentera-devstack/nginx:1.22"},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    },
    "9b1f0c2d3e4a": {
        "Id": "9b1f0c2d3e4a" + "0" * 52,
        "State": {"Status": "exited", "StartedAt": "2026-11-28T04:25:48Z", "FinishedAt": "2026-11-28T04:30:36Z"},
        "Config": {"Image": "opentera-devstack/redis:7"},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    },
    "77aa88bb99cc": {
        "Id": "77aa88bb99cc" + "0" * 52,
        "State": {"Status": "running", "StartedAt": "2026-11-28T04:28:48Z"},
        "Config": {"Image": "opentera-devstack/teraserver:dev"},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    },
}

# Trimmed `docker compose config --format json` services, plus a scaffolded service that was never started.
CONFIG = {
    "certs": {"image": "opentera-devstack/certs:dev", "restart": "no"},
    "db": {"image": "opentera-devstack/postgres:15", "ports": [{"target": 5432, "host_ip": "127.0.0.1"}]},
    "proxy": {"image": "opentera-devstack/nginx:1.22", "ports": [{"target": 40075, "published": "40075"}]},
    "redis": {"image": "opentera-devstack/redis:7", "ports": [{"target": 6379}], "restart": "unless-stopped"},
    "teraserver": {"image": "opentera-devstack/teraserver:dev", "ports": [{"target": 4040}]},
    "sample": {"image": "opentera-devstack/sample:dev", "restart": "unless-stopped"},
}

SAMPLE_MANIFEST = manifest.Manifest(
    folder="sample",
    key="SampleService",
    name="Sample Service",
    port=5020,
    prefix="/sample",
    health_path="/api/version",
    frontend=True,
    database="openterasample",
)

NOW = datetime(2026, 11, 28, 4, 30, 48, 500000, tzinfo=timezone.utc)
VALUES = {**settings.with_defaults({}), "DEVSTACK_HTTPS_PORT": "40075", "DEVSTACK_HOSTNAME": "localhost"}


def sample_report() -> status.StatusReport:
    containers = compose.parse_ps(PS_LINES)
    front_door = compose.front_door_of(VALUES, containers)
    services = status.build_services(CONFIG, containers, INSPECT, {"sample": SAMPLE_MANIFEST}, front_door, NOW)
    for service in services:
        if not service.ok and service.state != compose.NOT_CREATED:
            service.logs = [f"{service.service}: last words"]
    return status.StatusReport(
        project="t1",
        healthy=all(service.ok for service in services),
        front_door=front_door,
        services=services,
        port_conflicts=[],
        nginx_refused=None,
        access=status.access_info("t1", front_door, Path("/repo/.env"), services, VALUES),
    )


def by_name(report: status.StatusReport) -> dict[str, status.ServiceStatus]:
    return {service.service: service for service in report.services}


def test_ps_output_as_lines_and_as_array_read_the_same() -> None:
    lines = compose.parse_ps(PS_LINES)
    array = compose.parse_ps(json.dumps([json.loads(line) for line in PS_LINES.splitlines()]))
    assert [container.service for container in lines] == ["certs", "db", "proxy", "redis", "teraserver"]
    assert array == lines
    assert compose.parse_ps("\n") == []
    by_service = {container.service: container for container in lines}
    assert by_service["certs"].summary == "exited (0)"
    assert by_service["db"].summary == "running (healthy)"
    assert by_service["db"].exit_code is None
    assert by_service["proxy"].host_port(40075) == 57799


def test_each_service_gets_its_state_url_ports_image_and_uptime() -> None:
    services = by_name(sample_report())
    assert list(services) == ["certs", "db", "proxy", "redis", "sample", "teraserver"]

    # A one-shot job that exited 0 did its work; a stopped long-running service did not.
    assert (services["certs"].status, services["certs"].ok) == ("completed", True)
    assert (services["redis"].status, services["redis"].ok, services["redis"].exit_code) == ("exited (0)", False, 0)
    assert (services["teraserver"].status, services["teraserver"].ok) == ("unhealthy", False)
    assert (services["sample"].state, services["sample"].ok) == ("not created", False)

    # The front door uses the port the proxy is really published on, not the configured one.
    assert services["proxy"].url == "https://localhost:57799/"
    assert services["teraserver"].url == "https://localhost:57799/"
    assert services["sample"].url == "https://localhost:57799/sample/"
    assert services["db"].url is None

    assert services["db"].internal_ports == [5432]
    assert services["sample"].internal_ports == [5020]  # from its manifest, as it publishes nothing
    assert [(p.address, p.port, p.target) for p in services["db"].published] == [("127.0.0.1", 32788, 5432)]
    # The image name comes from inspect, not the bare image ID `ps` shows after a rebuild.
    assert services["certs"].image == "opentera-devstack/certs:dev"

    assert services["db"].uptime_seconds == 300
    assert services["db"].started_at == "2026-11-28T04:25:48Z"
    assert services["teraserver"].uptime_seconds == 120
    assert services["redis"].uptime_seconds is None


def test_table_shows_every_service_the_logs_of_failing_ones_and_the_credentials() -> None:
    table = status.render_table(sample_report())
    lines = table.splitlines()
    assert lines[0] == "project t1: NOT healthy"
    header = next(line for line in lines if line.startswith("SERVICE"))
    assert header.split() == ["SERVICE", "STATUS", "URL", "PORT", "PUBLISHED", "IMAGE", "UPTIME"]
    db_row = next(line for line in lines if line.startswith("db "))
    assert db_row.split() == ["db", "healthy", "-", "5432", "127.0.0.1:32788", "opentera-devstack/postgres:15", "5m00s"]
    redis_row = next(line for line in lines if line.startswith("redis "))
    assert redis_row.split()[:3] == ["redis", "exited", "(0)"]
    # Columns line up: every row's IMAGE starts where the header's does.
    image_column = header.index("IMAGE")
    assert db_row[image_column:].startswith("opentera-devstack/postgres:15")

    assert "redis is exited (0); its last 1 log lines:" in table
    assert "  | teraserver: last words" in table
    assert "certs: last words" not in table  # a completed job is fine: no logs
    assert "login admin / admin" in table
    assert "in /repo/.env:" in table and "REDIS_PASSWORD" in table
    assert "docker compose -p t1 cp proxy:/etc/nginx/certificates/ca_cert.pem ." in table
    assert "psql -h 127.0.0.1 -p 32788 -U teraagent opentera" in table
    assert "redis-cli" not in table  # redis publishes no port while stopped


def assert_schema(document: dict[str, Any]) -> None:
    """The schema documented in devstack.status, checked key by key and type by type."""
    assert list(document) == list(status.JSON_KEYS)
    assert document["schema_version"] == 1
    assert isinstance(document["healthy"], bool)
    optional_int = (int, type(None))
    for service in document["services"]:
        assert list(service) == list(status.SERVICE_KEYS)
        assert isinstance(service["ok"], bool)
        assert service["health"] in {"", "healthy", "unhealthy", "starting"}
        assert isinstance(service["url"], (str, type(None)))
        assert all(isinstance(port, int) for port in service["internal_ports"])
        for published in service["published"]:
            assert set(published) == {"address", "port", "target"}
        assert isinstance(service["uptime_seconds"], optional_int)
        assert isinstance(service["exit_code"], optional_int)
        assert all(isinstance(line, str) for line in service["logs"])
    for conflict in document["port_conflicts"]:
        assert set(conflict) == {"variable", "address", "port", "holder"}
    assert {"front_door", "api_login", "swagger_ui", "teraserver_admin", "env_file", "passwords"} <= set(
        document["access"]
    )


def test_json_follows_the_documented_schema_and_carries_the_same_facts() -> None:
    document = json.loads(status.render_json(sample_report()))
    assert_schema(document)
    assert document["project"] == "t1"
    assert document["healthy"] is False
    services = {service["service"]: service for service in document["services"]}
    assert services["redis"]["status"] == "exited (0)"
    assert services["redis"]["logs"] == ["redis: last words"]
    assert services["db"]["published"] == [{"address": "127.0.0.1", "port": 32788, "target": 5432}]
    assert document["access"]["api_login"] == "https://localhost:57799/api/user/login"
    assert document["access"]["teraserver_admin"] == {"username": "admin", "password": "admin"}
    # Names of the passwords only: their values stay in .env.
    assert set(document["access"]["passwords"]) == {"POSTGRES_PASSWORD", "TERASERVER_DB_PASSWORD", "REDIS_PASSWORD"}


def test_the_json_starts_with_the_shared_envelope_and_every_key_is_documented() -> None:
    assert status.JSON_KEYS[: len(options.ENVELOPE_KEYS)] == options.ENVELOPE_KEYS
    assert len(set(status.JSON_KEYS)) == len(status.JSON_KEYS)
    documented = status.__doc__ or ""
    for key in (*status.JSON_KEYS, *status.SERVICE_KEYS):
        assert f'"{key}":' in documented, key


def test_the_admin_account_comes_from_the_env_file_and_a_chosen_password_is_not_shown() -> None:
    assert status.admin_account(VALUES) == {"username": "admin", "password": "admin"}
    chosen = {**VALUES, "TERASERVER_ADMIN_USERNAME": "root", "TERASERVER_ADMIN_PASSWORD": "S3cret-Passw0rd"}
    assert status.admin_account(chosen) == {"username": "root", "password": None}
    assert settings.admin_login_text(chosen) == "root / (TERASERVER_ADMIN_PASSWORD in .env)"
    assert settings.admin_login_text(VALUES) == "admin / admin"
    report = sample_report()
    report.access = status.access_info("t1", report.front_door, Path("/repo/.env"), report.services, chosen)
    table = status.render_table(report)
    assert "login root / (TERASERVER_ADMIN_PASSWORD in the env file)" in table
    assert "S3cret" not in table and "S3cret" not in status.render_json(report)


def test_log_lines_are_the_last_ones_without_terminal_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    # As `docker compose logs --no-color` prints them when its output is not a terminal.
    output = "".join(f"\x1b[2K1:M * line {number}\n" for number in range(1, 6))
    seen: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: Any) -> Any:
        seen.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=output, stderr="")

    monkeypatch.setattr(compose.subprocess, "run", fake_run)
    project = compose.ComposeProject(Path("/repo"), "t1")
    assert status.service_logs(project, "redis", 3) == ["1:M * line 3", "1:M * line 4", "1:M * line 5"]
    assert seen[0][-4:] == ["--tail", "3", "--no-log-prefix", "redis"]
    assert seen[0][seen[0].index("--project-name") + 1] == "t1"


def test_docker_times_and_uptimes() -> None:
    parsed = status.parse_docker_time("2026-11-28T04:25:48.083858687Z")
    assert parsed == datetime(2026, 11, 28, 4, 25, 48, 83858, tzinfo=timezone.utc)
    assert status.parse_docker_time("0001-01-01T00:00:00Z") is None
    assert status.parse_docker_time("") is None
    assert [status.format_uptime(s) for s in (None, 7, 65, 3700, 90000)] == ["-", "7s", "1m05s", "1h01m", "1d01h"]


def test_nginx_files_the_proxy_would_refuse_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    report = sample_report()
    proxy = by_name(report)["proxy"]
    assert proxy.state == "running"
    checked: list[dict[str, str]] = []

    def refusing(root: Path, services: dict[str, str]) -> str:
        checked.append(services)
        raise nginx.NginxCheckError("nginx -t refused the new configuration:\n[emerg] unknown directive in handmade")

    monkeypatch.setattr(nginx, "check", refusing)
    monkeypatch.setattr(nginx, "candidate_services", lambda root, writes, deletions: {"handmade.conf": "x"})
    refused = status.nginx_refusal(Path("/repo"), report.services)
    assert refused is not None and "unknown directive in handmade" in refused
    assert checked == [{"handmade.conf": "x"}]

    report.nginx_refused = refused
    table = status.render_table(report)
    assert "NGINX files the proxy refuses (left out at its next start" in table
    assert "  [emerg] unknown directive in handmade" in table

    proxy.state = "exited"
    checked.clear()
    assert status.nginx_refusal(Path("/repo"), report.services) is None
    assert checked == [], "no proxy running: nothing to ask"
