"""A scaffolded service follows its manifest, and ships tests that pass out of the box (issue 18).

On a stack of its own, started from a copy of the repository: `devstack new` makes a service; the tests it ships
(services/<folder>/tests/, run from its folder with the devstack plugin against that stack) pass, as do those of
a service without a Frontend and the sample's. Then the service's `key` and `port` change in service.yaml, as
its author would change them: `devstack render`, `devstack register` and an `up` of that service, and it builds,
starts, registers and answers through NGINX under its new key and port, its shipped tests pass again unchanged,
and its debug variant runs under debugpy on the new port.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import manifest, ports, render
from devstack.testing import dap
from devstack.testing.frontdoor import login
from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME, require_docker
from devstack.testing.stack import free_port
from devstack.testing.workspace import ScaffoldedService, Workspace, running_workspace, unique_service_key

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_TESTS_TIMEOUT_SECONDS = 600
SHIPPED_TEST_COUNT = 4  # services/sample/tests/test_service.py, and so every scaffolded service's


@dataclass
class Changed:
    """The scaffolded service after its manifest changed: old and new key and port, and each step's output."""

    service: ScaffoldedService
    old_key: str
    new_key: str
    old_port: int
    new_port: int
    render_output: str


@pytest.fixture(scope="module")
def workspace(request: pytest.FixtureRequest) -> Iterator[Workspace]:
    require_docker()
    with running_workspace(ROOT, "devstack-manifest", keep=request.config.getoption("--devstack-keep")) as started:
        yield started


@pytest.fixture(scope="module")
def scaffolded(workspace: Workspace) -> ScaffoldedService:
    return workspace.scaffold()


def run_shipped_tests(workspace: Workspace, folder: Path) -> subprocess.CompletedProcess[str]:
    """`pytest --devstack-reuse PROJECT` from the service's folder, as its author runs it (docs/testing.md), with
    the copy's devstack package and root, so the plugin attaches to the workspace's stack."""
    environment = {**workspace.environment(), "PYTHONPATH": str(workspace.root / "scripts")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--devstack-reuse", workspace.stack.project],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SHIPPED_TESTS_TIMEOUT_SECONDS,
    )


def assert_all_passed(result: subprocess.CompletedProcess[str], where: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the tests of {where} failed:\n{output[-5000:]}"
    assert f"{SHIPPED_TEST_COUNT} passed" in result.stdout, output[-3000:]


def devstack_ok(workspace: Workspace, *arguments: str) -> str:
    result = workspace.devstack(*arguments)
    assert result.returncode == 0, (
        f"`devstack {' '.join(arguments)}` failed:\n{(result.stdout + result.stderr)[-4000:]}"
    )
    return result.stdout


def unused_port(taken: list[int]) -> int:
    """A port no manifest has and nothing on this host listens on, so the debug variant can publish it as is."""
    for _ in range(50):
        candidate = free_port()
        try:
            return ports.check_port(candidate, taken)
        except ports.PortError:
            continue
    raise AssertionError("no free port for the changed manifest")


def test_a_new_service_ships_tests_that_pass_out_of_the_box(
    workspace: Workspace, scaffolded: ScaffoldedService
) -> None:
    assert (scaffolded.path / "tests" / "test_service.py").is_file()
    assert_all_passed(run_shipped_tests(workspace, scaffolded.path), scaffolded.path)


def test_a_service_without_frontend_ships_tests_that_pass_too(workspace: Workspace) -> None:
    api_only = workspace.scaffold(unique_service_key("Api"), "--no-frontend")
    assert not (api_only.path / "Frontend").exists()
    assert_all_passed(run_shipped_tests(workspace, api_only.path), api_only.path)


def test_the_sample_ships_tests_that_pass(workspace: Workspace) -> None:
    sample = workspace.root / manifest.SERVICES_DIR / "sample"
    assert_all_passed(run_shipped_tests(workspace, sample), sample)


@pytest.fixture(scope="module")
def changed(workspace: Workspace, scaffolded: ScaffoldedService) -> Changed:
    """Change key and port in the service's manifest as its author would, then render, register and start it."""
    path = scaffolded.path / manifest.MANIFEST_NAME
    before = manifest.load_manifest(path, workspace.root)
    new_key = unique_service_key("Moved")
    new_port = unused_port([item.port for item in manifest.load_all(workspace.root)])
    text = path.read_text(encoding="utf-8")
    assert f"key: {before.key}\n" in text and f"port: {before.port}\n" in text
    path.write_text(
        text.replace(f"key: {before.key}\n", f"key: {new_key}\n").replace(
            f"port: {before.port}\n", f"port: {new_port}\n"
        ),
        encoding="utf-8",
    )
    stale = workspace.devstack("render", "--check", "--skip-nginx-check")
    assert stale.returncode == 1 and render.SERVICES_COMPOSE in stale.stdout, stale.stdout + stale.stderr
    rendered = devstack_ok(workspace, "render")
    assert not workspace.devstack("render", "--check", "--skip-nginx-check").returncode
    devstack_ok(workspace, "register")
    up = workspace.stack.run(
        "up", "--detach", "--build", "--no-deps", "--wait", scaffolded.folder, check=False, timeout=900
    )
    assert up.returncode == 0, (
        f"{up.stdout}{up.stderr}\n--- logs ---\n{workspace.stack.logs(scaffolded.folder, tail=60)}"
    )
    return Changed(scaffolded, before.key, new_key, before.port, new_port, rendered)


def test_render_rewrites_the_wiring_and_the_config_for_the_new_key(changed: Changed) -> None:
    folder = changed.service.folder
    for derived in (render.SERVICES_COMPOSE, f"services/{folder}/config/{changed.new_key}.json"):
        assert f"write   {derived}" in changed.render_output, changed.render_output
    assert f"delete  services/{folder}/config/{changed.old_key}.json" in changed.render_output
    config = json.loads((changed.service.path / "config" / f"{changed.new_key}.json").read_text(encoding="utf-8"))
    assert (config["Service"]["name"], config["Service"]["port"]) == (changed.new_key, changed.new_port)


def test_the_service_answers_through_nginx_under_its_new_key_and_port(workspace: Workspace, changed: Changed) -> None:
    service = changed.service
    assert workspace.stack.service_states()[service.folder]["health"] == "healthy"
    running = workspace.stack.run("exec", "-T", service.folder, "printenv", "OPENTERA_SERVICE_CONFIG")
    assert running.stdout.strip() == f"/app/config/{changed.new_key}.json"
    with workspace.session() as session:
        token = login(session, ADMIN_USERNAME, ADMIN_PASSWORD)
        session.cookies.clear()  # TeraServer's login cookies would count as a token
        assert session.get(service.url("api/me")).status_code == 401
        me = session.get(service.url("api/me"), headers={"Authorization": f"OpenTera {token}"})
        listed = session.get("/api/user/services", headers={"Authorization": f"OpenTera {token}"})
    assert me.status_code == 200, me.text[:300]
    assert me.json()["service_key"] == changed.new_key
    by_key = {item["service_key"]: item for item in listed.json()}
    assert by_key[changed.new_key]["service_port"] == changed.new_port
    assert by_key[changed.new_key]["service_hostname"] == service.folder


def test_its_shipped_tests_follow_the_new_manifest(workspace: Workspace, changed: Changed) -> None:
    assert_all_passed(run_shipped_tests(workspace, changed.service.path), changed.service.path)


def test_the_debug_variant_runs_on_the_new_port(workspace: Workspace, changed: Changed) -> None:
    folder, debug = changed.service.folder, render.debug_service_name(changed.service.folder)
    config = json.loads(workspace.stack.run("--profile", "debug", "config", "--format", "json").stdout)
    variant = config["services"][debug]
    assert [(item["host_ip"], item["published"], item["target"]) for item in variant["ports"]] == [
        ("127.0.0.1", str(changed.new_port), 5678)
    ]
    assert variant["environment"]["OPENTERA_SERVICE_CONFIG"] == f"/app/config/{changed.new_key}.json"
    # Started as docs/debugging.md says: one instance at a time.
    workspace.stack.run("stop", folder)
    try:
        started = workspace.stack.run("--profile", "debug", "up", "--detach", "--wait", debug, check=False, timeout=600)
        assert started.returncode == 0, f"{started.stderr}\n--- logs ---\n{workspace.stack.logs(debug, tail=60)}"
        answer = dap.initialize("127.0.0.1", changed.new_port)
        assert answer["command"] == "initialize" and answer["success"] is True, answer
        with workspace.session() as session:
            token = login(session, ADMIN_USERNAME, ADMIN_PASSWORD)
            me = session.get(changed.service.url("api/me"), headers={"Authorization": f"OpenTera {token}"})
        assert me.status_code == 200 and me.json()["service_key"] == changed.new_key, me.text[:300]
    finally:
        workspace.stack.run("--profile", "debug", "stop", debug, check=False)
        workspace.stack.run("start", folder, check=False)


# --- `devstack upgrade` on the running stack: the author's edit kept, the kit's and the template's changes in -----
def bump_patch(version: str) -> str:
    major, minor, patch = version.split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


def test_upgrade_keeps_the_edits_brings_the_template_and_kit_changes_and_rebuilds(workspace: Workspace) -> None:
    service = workspace.scaffold(unique_service_key("Kept"), "--no-frontend")
    main = service.path / "Backend" / "main.py"
    assert 'SERVICE_VERSION = "1.0.0"\n' in main.read_text(encoding="utf-8")
    main.write_text(main.read_text(encoding="utf-8").replace('"1.0.0"', '"7.7.7"', 1), encoding="utf-8")
    # A plumbing fix in the kit (a new patch version) and a change of the template's Dockerfile.
    kit_project = workspace.root / "services" / "kit" / "pyproject.toml"
    kit_text = kit_project.read_text(encoding="utf-8")
    old_kit = next(line.split('"')[1] for line in kit_text.splitlines() if line.startswith("version = "))
    new_kit = bump_patch(old_kit)
    kit_project.write_text(kit_text.replace(f'version = "{old_kit}"', f'version = "{new_kit}"', 1), encoding="utf-8")
    dockerfile_template = workspace.root / render.TEMPLATES_DIR / "service" / "Dockerfile.j2"
    label = 'LABEL org.opencontainers.image.title="{{ key }}"\n'
    dockerfile_template.write_text(dockerfile_template.read_text(encoding="utf-8") + label, encoding="utf-8")

    output = devstack_ok(workspace, "upgrade", service.key)

    assert "write         Dockerfile" in output and f"{service.folder} rebuilt and healthy" in output, output
    assert main.read_text(encoding="utf-8").count('SERVICE_VERSION = "7.7.7"') == 1
    dockerfile = (service.path / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.endswith(f'LABEL org.opencontainers.image.title="{service.key}"\n')
    with workspace.session() as session:
        version = session.get(service.url("api/version"))
    assert version.status_code == 200, version.text[:300]
    assert (version.json()["version"], version.json()["service_kit"]) == ("7.7.7", new_kit)
    again = devstack_ok(workspace, "upgrade", service.key, "--dry-run")
    assert "unchanged" in again and "would" not in again
