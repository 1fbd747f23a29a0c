"""`devstack new` on a running stack: services scaffolded, built, registered and reachable through NGINX
with a user token, nothing else restarted; `devstack remove` takes one away again.

Two are the extreme option combinations of the template (issue 18): AlphaService has a Frontend, the default
prefix and port and a usual name; the `extreme` one has no Frontend, the longest prefix, the highest port, the
longest valid key (lower-case start, digits, no "Service" suffix) and an accented display name, and its shipped
tests pass against this stack. (tests/unit/test_template_combinations.py renders and lints every combination;
test_manifest_change.py runs the shipped tests of a default scaffold like AlphaService.)

Runs on a stack of its own, started from a copy of the repository, since `new` writes service folders.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import cli, naming, ports
from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME, FrontDoorSession, login, start_stack
from devstack.testing.stack import Stack
from devstack.testing.workspace import copy_repository

ROOT = Path(__file__).resolve().parents[2]
EXTREME_KEY = "rehab2GaitAndBalanceTelemetry4Clinic2026"
EXTREME_FOLDER = naming.folder_for_key(EXTREME_KEY)
EXTREME_PREFIX = "/clinic-2026/rehab_v2.0~gait/balance.and.telemetry-lab_4~2026xyz"
EXTREME_PORT = ports.MAX_PORT
EXTREME_NAME = "Télémétrie — marche & équilibre n°4 (Clinique 2026, Québec)"
EXTREME_ARGUMENTS = [
    "--no-frontend",
    "--prefix",
    EXTREME_PREFIX,
    "--port",
    str(EXTREME_PORT),
    "--display-name",
    EXTREME_NAME,
]
SERVICES = {
    # key: (arguments, folder, prefix)
    "AlphaService": ([], "alpha", "/alpha"),
    "BetaService": (["--no-frontend", "--prefix", "/tools/beta"], "beta", "/tools/beta"),
}
SHIPPED_TESTS_TIMEOUT_SECONDS = 600


def containers(stack: Stack) -> dict[str, tuple[str, str]]:
    """Service -> (container id, start time) of every container of the project."""
    ids = stack.run("ps", "--all", "--quiet").stdout.split()
    if not ids:
        return {}
    inspected = json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True).stdout)
    return {
        item["Config"]["Labels"]["com.docker.compose.service"]: (item["Id"], item["State"]["StartedAt"])
        for item in inspected
    }


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    root = copy_repository(ROOT, tmp_path_factory.mktemp("scaffold") / "repo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEVSTACK_ROOT", str(root))
        stack = start_stack(tmp_path_factory.mktemp("scaffold-stack"))
        patch.setenv("COMPOSE_PROJECT_NAME", stack.project)
        try:
            yield stack
        finally:
            if not request.config.getoption("--devstack-keep"):
                stack.down()  # with the images it built, the scaffolded services' included


@pytest.fixture(scope="module")
def front_door(scaffold: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoorSession]:
    ca = scaffold.copy_ca(tmp_path_factory.mktemp("scaffold-ca") / "ca_cert.pem")
    with FrontDoorSession(scaffold.base_url, ca) as session:
        yield session


@pytest.fixture(scope="module")
def created(scaffold: Stack) -> dict[str, tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]], int]]:
    """Run `new` for each service; per key: containers before, containers after, exit status."""
    results = {}
    for key, (arguments, _, _) in SERVICES.items():
        before = containers(scaffold)
        status = cli.main(["new", key, *arguments])
        results[key] = (before, containers(scaffold), status)
    return results


def authorization(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def test_new_succeeds_and_restarts_nothing_else(created: dict, scaffold: Stack) -> None:
    for key, (before, after, status) in created.items():
        assert status == 0, f"devstack new {key} failed:\n{scaffold.logs(tail=60)}"
        folder = SERVICES[key][1]
        assert folder in after and folder not in before
        assert {service: after[service] for service in before} == before, f"`new {key}` restarted a container"


def test_each_new_service_answers_through_nginx_with_a_user_token(
    created: dict, scaffold: Stack, front_door: FrontDoorSession
) -> None:
    token = login(front_door, ADMIN_USERNAME, ADMIN_PASSWORD)
    # TeraServer's Basic login leaves its session and `OpenTera` cookies in this client, as upstream's does, and
    # the opentera package reads an `OpenTera` cookie as a token: drop them, so "no credentials" means none.
    front_door.cookies.clear()
    for key, (_, folder, prefix) in SERVICES.items():
        version = front_door.get(f"{prefix}/api/version")
        assert version.status_code == 200, (key, version.status_code, version.text[:300])
        me = front_door.get(f"{prefix}/api/me", headers=authorization(token))
        assert me.status_code == 200, (key, me.status_code, me.text[:300])
        assert me.json()["service_key"] == key
        assert front_door.get(f"{prefix}/api/me").status_code == 401
        assert scaffold.service_states()[folder]["health"] == "healthy"


def test_the_frontend_is_served_only_when_asked_for(created: dict, front_door: FrontDoorSession) -> None:
    page = front_door.get("/alpha/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert front_door.get("/tools/beta/").status_code == 404


def test_new_services_are_listed_by_teraserver(created: dict, front_door: FrontDoorSession) -> None:
    token = login(front_door, ADMIN_USERNAME, ADMIN_PASSWORD)
    listed = front_door.get("/api/user/services", headers=authorization(token))
    assert listed.status_code == 200
    by_key = {service["service_key"]: service for service in listed.json()}
    for key, (_, folder, prefix) in SERVICES.items():
        assert by_key[key]["service_clientendpoint"] == prefix
        assert by_key[key]["service_hostname"] == folder


@pytest.fixture(scope="module")
def extreme(scaffold: Stack) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]], int]:
    """`new` for the extreme combination, on its own so that its failure leaves the others' tests alone:
    containers before, containers after, exit status."""
    before = containers(scaffold)
    status = cli.main(["new", EXTREME_KEY, *EXTREME_ARGUMENTS])
    return before, containers(scaffold), status


def test_the_extreme_combination_is_scaffolded_and_restarts_nothing_else(extreme: tuple, scaffold: Stack) -> None:
    assert (len(EXTREME_KEY), len(EXTREME_PREFIX)) == (naming.KEY_MAX_LENGTH, naming.PREFIX_MAX_LENGTH)
    before, after, status = extreme
    assert status == 0, f"devstack new {EXTREME_KEY} failed:\n{scaffold.logs(tail=60)}"
    assert EXTREME_FOLDER in after
    assert {service: after[service] for service in before} == before, "`new` restarted another container"
    assert not (scaffold.root / "services" / EXTREME_FOLDER / "Frontend").exists()


def test_the_extreme_service_answers_through_nginx_as_asked(
    extreme: tuple, scaffold: Stack, front_door: FrontDoorSession
) -> None:
    assert extreme[2] == 0, f"devstack new {EXTREME_KEY} failed"
    token = login(front_door, ADMIN_USERNAME, ADMIN_PASSWORD)
    front_door.cookies.clear()  # TeraServer's login cookies would count as a token
    version = front_door.get(f"{EXTREME_PREFIX}/api/version")
    assert version.status_code == 200, (version.status_code, version.text[:300])
    assert front_door.get(f"{EXTREME_PREFIX}/").status_code == 404  # no Frontend page
    me = front_door.get(f"{EXTREME_PREFIX}/api/me", headers=authorization(token))
    assert me.status_code == 200 and me.json()["service_key"] == EXTREME_KEY, me.text[:300]
    assert scaffold.service_states()[EXTREME_FOLDER]["health"] == "healthy"
    listed = front_door.get("/api/user/services", headers=authorization(token))
    service = {item["service_key"]: item for item in listed.json()}[EXTREME_KEY]
    assert (service["service_clientendpoint"], service["service_hostname"]) == (EXTREME_PREFIX, EXTREME_FOLDER)
    assert (service["service_port"], service["service_name"]) == (EXTREME_PORT, EXTREME_NAME)


def test_the_extreme_service_ships_tests_that_pass(extreme: tuple, scaffold: Stack) -> None:
    """Its own tests/, run from its folder against this stack as its author runs them (docs/testing.md)."""
    assert extreme[2] == 0, f"devstack new {EXTREME_KEY} failed"
    folder = scaffold.root / "services" / EXTREME_FOLDER
    overrides = {name: value for name, value in scaffold.values().items() if name.startswith("DEVSTACK_")}
    environment = {
        **os.environ,
        **overrides,
        "DEVSTACK_ROOT": str(scaffold.root),
        "COMPOSE_PROJECT_NAME": scaffold.project,
        "PYTHONPATH": str(scaffold.root / "scripts"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--devstack-reuse", scaffold.project],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SHIPPED_TESTS_TIMEOUT_SECONDS,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the tests of services/{EXTREME_FOLDER} failed:\n{output[-5000:]}"
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"skipped|xfail|xpass|deselected", summary), summary


def test_remove_takes_away_location_registration_and_container(
    created: dict, scaffold: Stack, front_door: FrontDoorSession, capsys: pytest.CaptureFixture[str]
) -> None:
    before = containers(scaffold)
    capsys.readouterr()
    assert cli.main(["remove", "BetaService"]) == 0, capsys.readouterr().err
    after = containers(scaffold)
    assert "beta" not in after
    assert {service: before[service] for service in after} == after, "`remove` restarted another container"
    assert not (scaffold.root / "nginx/services.d/beta.conf").exists()
    assert (scaffold.root / "services/beta/service.yaml.removed").is_file()
    # No location any more: the request falls through to TeraServer, which has no such page.
    assert front_door.get("/tools/beta/api/version").status_code == 404
    token = login(front_door, ADMIN_USERNAME, ADMIN_PASSWORD)
    keys = {
        service["service_key"] for service in front_door.get("/api/user/services", headers=authorization(token)).json()
    }
    assert "BetaService" not in keys and "AlphaService" in keys
    client = scaffold.redis(decode_responses=False)
    try:
        assert client.get("service.BetaService") is None
        assert client.get("service.AlphaService") is not None
    finally:
        client.close()
    assert front_door.get("/alpha/api/version").status_code == 200
