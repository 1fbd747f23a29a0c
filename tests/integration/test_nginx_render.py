"""Generated NGINX locations pass `nginx -t` in the real proxy image; a refused result never lands on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from devstack import cli, manifest, nginx, render, status
from devstack.testing.stack import Stack
from devstack.testing.workspace import copy_repository

ROOT = Path(__file__).resolve().parents[2]

EXTRA_MANIFESTS = {
    "chat": "key: ChatService\nname: Chat\nport: 6001\nprefix: /tools/chat\nhealth_path: /health\n"
    "frontend: false\ndatabase: null\nnginx:\n  client_max_body_size: 1m\n  websocket: true\n",
    "files2": "key: Files2Service\nname: Files 2\nport: 6002\nprefix: /files2\nhealth_path: /api/version\n"
    "frontend: true\ndatabase: openterafiles2\n",
}


def snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository with two more services, and a Compose project no stack runs under."""
    root = copy_repository(ROOT, tmp_path / "repo")
    for folder, text in EXTRA_MANIFESTS.items():
        (root / "services" / folder).mkdir()
        (root / "services" / folder / "service.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", f"devstack-nginx-check-{tmp_path.name.lower()[-20:]}")
    return root


def test_generated_locations_pass_nginx_t_in_the_proxy_image(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["render"]) == 0
    output = capsys.readouterr().out
    assert "nginx -t passed in a throwaway NGINX container" in output
    for folder in ("sample", "chat", "files2"):
        assert (repository / "nginx/services.d" / f"{folder}.conf").is_file()
    assert "proxy_read_timeout 3600s;" in (repository / "nginx/services.d/chat.conf").read_text(encoding="utf-8")


def test_a_refused_configuration_leaves_the_previous_files(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["render"]) == 0
    before = snapshot(repository)
    chat = repository / "services/chat/service.yaml"
    chat.write_text(chat.read_text(encoding="utf-8").replace("1m", "99999999999999999999999G"), encoding="utf-8")
    before["services/chat/service.yaml"] = chat.read_bytes()
    capsys.readouterr()
    assert cli.main(["render"]) != 0
    error = capsys.readouterr().err
    assert "nginx -t refused the new configuration" in error
    assert "service chat (nginx/services.d/chat.conf line 10)" in error, error
    assert snapshot(repository) == before


def extra_location(folder: str, port: int, body_size: str = "1m") -> dict[str, str]:
    service = manifest.Manifest(
        folder=folder,
        key=f"{folder.capitalize()}Service",
        name=folder,
        port=port,
        prefix=f"/{folder}",
        health_path="/health",
        frontend=False,
        database=None,
        nginx=manifest.NginxSettings(client_max_body_size=body_size),
    )
    [conf] = [f for f in render.render_files(ROOT, [service]) if f.path.startswith(render.NGINX_SERVICES_DIR)]
    return {f"{folder}.conf": conf.text}


def test_check_and_graceful_reload_inside_the_running_proxy(
    devstack: Stack, https: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", devstack.project)
    monkeypatch.delenv("DEVSTACK_ROOT", raising=False)
    live_files = nginx.candidate_services(devstack.root, {}, [])
    assert nginx.check(devstack.root, live_files | extra_location("zeta", 6010)) == "the running proxy container"
    with pytest.raises(nginx.NginxCheckError, match=r"service zeta \(nginx/services.d/zeta.conf line 10\)"):
        nginx.check(devstack.root, live_files | extra_location("zeta", 6010, body_size="99999999999999999999999G"))
    leftovers = devstack.run("exec", "-T", "proxy", "ls", "/tmp").stdout
    assert "devstack-nginx-check" not in leftovers
    assert nginx.reload(devstack.root) is True
    assert https.get("/health").status_code == 200
    assert devstack.service_states()["proxy"]["state"] == "running"


def test_a_hand_broken_service_file_fails_render_and_render_check(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing for render to change: only the whole-tree check can see the file (issue 17).
    assert cli.main(["render"]) == 0
    broken = repository / "nginx/services.d/handmade.conf"
    broken.write_text("location /handmade/ {\n    bogus_directive on;\n}\n", encoding="utf-8")
    before = snapshot(repository)
    capsys.readouterr()

    assert cli.main(["render", "--check"]) != 0
    error = capsys.readouterr().err
    assert "service handmade (nginx/services.d/handmade.conf line 2)" in error, error

    assert cli.main(["render"]) != 0
    assert 'unknown directive "bogus_directive"' in capsys.readouterr().err
    assert snapshot(repository) == before

    broken.unlink()
    assert cli.main(["render", "--check"]) == 0
    assert "nginx -t passed in a throwaway NGINX container" in capsys.readouterr().out


def test_a_proxy_restart_leaves_out_a_broken_service_file_and_serves_the_rest(
    devstack: Stack, https: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 17: one hand-broken services.d file used to keep the front door down after a restart.
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", devstack.project)
    monkeypatch.delenv("DEVSTACK_ROOT", raising=False)
    broken = devstack.root / "nginx/services.d/zz-devstack-test-broken.conf"
    broken.write_text("location /broken/ {\n    bogus_directive on;\n}\n", encoding="utf-8")
    try:
        devstack.run("restart", "proxy")
        devstack.run("up", "--detach", "--wait", "proxy")
        assert https.get("/health").status_code == 200
        assert https.get("/api/user/login", auth=("admin", "admin")).status_code == 200
        assert https.get("/sample/").status_code == 200  # a service location from the same folder still served
        logs = devstack.logs("proxy", tail=20)
        assert "left out services.d/zz-devstack-test-broken.conf" in logs, logs
        assert 'unknown directive "bogus_directive"' in logs, logs
        report = status.collect_report(devstack.compose, devstack.values(), log_lines=0)
        assert "nginx/services.d/zz-devstack-test-broken.conf line 2" in (report.nginx_refused or ""), report
    finally:
        broken.unlink()
    assert nginx.reload(devstack.root) is True  # links follow the folder again: nothing left out
    assert (
        "1 service location file(s) loaded, 0 left out"
        in devstack.run("exec", "-T", "proxy", "sh", nginx.SERVICES_SYNC).stderr
    )
    assert https.get("/sample/").status_code == 200
