"""Registration against a fake TeraServer on loopback: upstream's payloads, idempotency, and the exit
policy (missing endpoints warn and exit 0, bad credentials fail)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from devstack import cli, manifest, registration

SAMPLE = manifest.Manifest(
    folder="sample",
    key="SampleService",
    name="Sample Service",
    port=5020,
    prefix="/sample",
    health_path="/api/version",
    frontend=True,
    database="openterasample",
)


class FakeTeraServer:
    """Just enough of TeraServer's user API, with switches to drop endpoints."""

    def __init__(self, missing: set[str] | None = None) -> None:
        self.missing = missing or set()
        self.services: dict[int, dict[str, Any]] = {}
        self.site_links: list[tuple[int, int]] = []
        self.project_links: list[tuple[int, int]] = []
        self.projects = [{"id_project": 1, "id_site": 1, "project_name": "Default Project #1"}]
        self.posts: list[tuple[str, Any]] = []

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, auth: str) -> tuple[int, Any]:
        if path == "/api/user/login":
            if auth != "Basic " + base64.b64encode(b"admin:admin").decode():
                return 401, "Unauthorized"
            return 200, {"user_token": "token"}
        if auth != "OpenTera token":
            return 401, "Unauthorized"
        if f"{method} {path}" in self.missing:
            return (405 if method == "POST" else 404), "Not Found"
        if method == "POST":
            self.posts.append((path, body))
        if path == "/api/user/sites":
            return 200, [{"id_site": 1, "site_name": "Default Site"}]
        if path == "/api/user/projects" and method == "GET":
            return 200, [p for p in self.projects if p["id_site"] == int(query["id_site"])]
        if path == "/api/user/projects":
            project = body["project"] | {"id_project": len(self.projects) + 1}
            self.projects.append(project)
            return 200, [project]
        if path == "/api/user/services" and method == "GET":
            return 200, [s for s in self.services.values() if s["service_key"] == query.get("key")]
        if path == "/api/user/services" and method == "POST":
            service = dict(body["service"])
            roles = service.pop("roles")
            if service["id_service"] == 0:
                service["id_service"] = len(self.services) + 10
            service["service_roles"] = [
                {
                    "id_service_role": role["id_service_role"] or 100 + index,
                    "service_role_name": role["service_role_name"],
                }
                for index, role in enumerate(roles)
            ]
            self.services[service["id_service"]] = service
            return 200, [service]
        if path == "/api/user/services" and method == "DELETE":
            self.services.pop(int(query["id"]))
            return 200, ""
        if path == "/api/user/services/sites" and method == "GET":
            return 200, [{"id_service": s, "id_site": t} for s, t in self.site_links if s == int(query["id_service"])]
        if path == "/api/user/services/sites":
            link = body["service_site"]
            self.site_links.append((link["id_service"], link["id_site"]))
            return 200, [link]
        if path == "/api/user/services/projects" and method == "GET":
            return 200, [
                {"id_service": s, "id_project": p} for s, p in self.project_links if s == int(query["id_service"])
            ]
        if path == "/api/user/services/projects":
            link = body["service_project"]
            self.project_links.append((link["id_service"], link["id_project"]))
            return 200, [link]
        return 404, "Not Found"


@pytest.fixture
def fake() -> Iterator[tuple[FakeTeraServer, str]]:
    server_state = FakeTeraServer()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, payload = server_state.handle(
                self.command, parts.path, query, body, self.headers.get("Authorization", "")
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server_state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(url: str) -> registration.TeraServerClient:
    return registration.TeraServerClient.login(url, "admin", "admin", verify=False)


def test_registers_with_upstream_payload_roles_and_links(fake: tuple[FakeTeraServer, str]) -> None:
    state, url = fake
    result = registration.register_all(client(url), [SAMPLE], log=lambda _: None)
    assert result.registered == ["SampleService"] and result.warnings == []
    [service] = state.services.values()
    assert {k: service[k] for k in ("service_key", "service_hostname", "service_port", "service_endpoint")} == {
        "service_key": "SampleService",
        "service_hostname": "sample",
        "service_port": 5020,
        "service_endpoint": "/",
    }
    assert service["service_clientendpoint"] == "/sample" and service["service_enabled"] is True
    assert sorted(role["service_role_name"] for role in service["service_roles"]) == ["admin", "user"]
    dev_project = next(p for p in state.projects if p["project_name"] == "DevStack Project")
    assert state.site_links == [(service["id_service"], 1)]
    assert state.project_links == [(service["id_service"], dev_project["id_project"])]


def test_a_second_run_updates_in_place_and_keeps_roles_and_links(fake: tuple[FakeTeraServer, str]) -> None:
    state, url = fake
    registration.register_all(client(url), [SAMPLE], log=lambda _: None)
    first = json.loads(json.dumps(state.services))
    registration.register_all(client(url), [SAMPLE], log=lambda _: None)
    assert json.loads(json.dumps(state.services)) == first
    assert len(state.site_links) == 1 and len(state.project_links) == 1
    assert [p["project_name"] for p in state.projects].count("DevStack Project") == 1
    _, update = [post for post in state.posts if post[0] == "/api/user/services"][-1]
    assert update["service"]["id_service"] != 0
    assert all(role["id_service_role"] != 0 for role in update["service"]["roles"])


def test_missing_endpoints_become_warnings_naming_them(fake: tuple[FakeTeraServer, str]) -> None:
    state, url = fake
    state.missing = {"POST /api/user/services/projects", "GET /api/user/services/projects"}
    result = registration.register_all(client(url), [SAMPLE], log=lambda _: None)
    assert result.registered == ["SampleService"]
    assert result.warnings == [
        "TeraServer has no GET /api/user/services/projects (HTTP 404): SampleService is registered but not linked"
    ]
    state.missing = {"POST /api/user/services"}
    result = registration.register_all(client(url), [SAMPLE], log=lambda _: None)
    assert result.warnings == ["TeraServer has no POST /api/user/services (HTTP 405): SampleService is not registered"]


def test_bad_credentials_raise(fake: tuple[FakeTeraServer, str]) -> None:
    _, url = fake
    with pytest.raises(registration.RegistrationError, match="HTTP 401.*TERASERVER_ADMIN_PASSWORD"):
        registration.TeraServerClient.login(url, "admin", "wrong", verify=False)


def test_delete_removes_the_row(fake: tuple[FakeTeraServer, str]) -> None:
    state, url = fake
    api = client(url)
    registration.register_all(api, [SAMPLE], log=lambda _: None)
    assert api.delete_service("SampleService") is True
    assert state.services == {}
    assert api.delete_service("SampleService") is False


def repository_with_sample(root: Path) -> Path:
    (root / "compose.yaml").write_text("name: t\n", encoding="utf-8")
    folder = root / "services" / "sample"
    folder.mkdir(parents=True)
    (folder / "service.yaml").write_text(manifest.dump_manifest(SAMPLE, ""), encoding="utf-8")
    return root


def run_cli(url: str, root: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    return cli.main(["register", "--url", url, "--ca-file", "/nonexistent", "--wait", "0", *extra])


def test_command_exits_0_with_warnings_when_endpoints_are_missing(
    fake: tuple[FakeTeraServer, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state, url = fake
    state.missing = {"POST /api/user/services"}
    assert run_cli(url, repository_with_sample(tmp_path), monkeypatch) == 0
    captured = capsys.readouterr()
    assert "warning: TeraServer has no POST /api/user/services (HTTP 405)" in captured.err
    assert "0 of 1 service(s) registered" in captured.out


def test_command_fails_on_bad_credentials(
    fake: tuple[FakeTeraServer, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, url = fake
    monkeypatch.setenv("TERASERVER_ADMIN_PASSWORD", "wrong")
    assert run_cli(url, repository_with_sample(tmp_path), monkeypatch) == 2
    assert "HTTP 401" in capsys.readouterr().err


def test_the_password_is_asked_for_never_taken_as_an_argument(
    fake: tuple[FakeTeraServer, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, url = fake
    root = repository_with_sample(tmp_path)
    monkeypatch.setenv("TERASERVER_ADMIN_PASSWORD", "wrong")
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or "admin")
    assert run_cli(url, root, monkeypatch, "--ask-password") == 0  # the typed password wins over the variable
    assert prompts == ["password of admin: "]
    with pytest.raises(SystemExit) as refused:
        run_cli(url, root, monkeypatch, "--password", "admin")
    assert refused.value.code == 2
    assert "unrecognized arguments: --password" in capsys.readouterr().err


def test_command_exits_0_without_any_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "compose.yaml").write_text("name: t\n", encoding="utf-8")
    monkeypatch.setenv("DEVSTACK_ROOT", str(tmp_path))
    assert cli.main(["register", "--url", "https://unreachable.invalid"]) == 0
    assert "nothing to register" in capsys.readouterr().out
