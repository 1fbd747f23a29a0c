"""Restarts keep data; TeraServer's dynamic token keys rotate on each start; bad configuration stops early.

These tests stop and restart containers, so they get a stack of their own instead of the session's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME, FrontDoorSession, login, stack_until_teardown
from devstack.testing.stack import Stack
from devstack.testing.websockets import WebsocketClient

DYNAMIC_KEYS = ("UserTokenAPIKey", "ParticipantTokenAPIKey", "ServiceTokenAPIKey")
STATIC_KEYS = ("DeviceTokenAPIKey", "DeviceStaticTokenAPIKey", "ParticipantStaticTokenAPIKey")


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    # No forced rebuild: Compose builds this project's images once, from the layer cache the session's stack filled.
    yield from stack_until_teardown(request, tmp_path_factory.mktemp("lifecycle"), build=False)


def redis_of(stack: Stack) -> redis.Redis:
    return stack.redis()


def snapshot(stack: Stack) -> dict[str, object]:
    client = redis_of(stack)
    try:
        return {
            "keys": {name: client.get(name) for name in (*DYNAMIC_KEYS, *STATIC_KEYS)},
            "services": sorted(client.scan_iter("service.*")),
            "server_uuid": stack.psql(
                "SELECT server_settings_value FROM t_server_settings WHERE server_settings_name='ServerUUID'"
            ),
            "admin_uuid": stack.psql("SELECT user_uuid FROM t_users WHERE user_username='admin'"),
            "marker": stack.psql("SELECT site_name FROM t_sites ORDER BY id_site"),
        }
    finally:
        client.close()


def session_for(stack: Stack, tmp_path: Path) -> FrontDoorSession:
    return FrontDoorSession(stack.base_url, stack.copy_ca(tmp_path / "ca.pem"))


def test_restarting_teraserver_rotates_dynamic_keys_and_keeps_data(own_stack: Stack, tmp_path: Path) -> None:
    # A row of our own, to see it survive (the models give id_site no server default: pick the next id).
    own_stack.psql(
        "INSERT INTO t_sites (id_site, site_name, site_2fa_required, version_id) "
        "SELECT max(id_site) + 1, 'Lab A', false, 1 FROM t_sites"
    )
    https = session_for(own_stack, tmp_path)
    old_token = login(https, ADMIN_USERNAME, ADMIN_PASSWORD)
    before = snapshot(own_stack)

    own_stack.run("restart", "teraserver")
    own_stack.run("up", "--wait", "teraserver")
    after = snapshot(own_stack)

    for name in DYNAMIC_KEYS:
        assert after["keys"][name] != before["keys"][name], f"{name} must be new at each start"
    for name in STATIC_KEYS:
        assert after["keys"][name] == before["keys"][name], f"{name} comes from the kept server settings"
    for part in ("services", "server_uuid", "admin_uuid", "marker"):
        assert after[part] == before[part], part
    # Tokens signed with the previous UserTokenAPIKey die with the restart, as upstream.
    assert https.get("/api/user/services", headers={"Authorization": f"OpenTera {old_token}"}).status_code == 401
    new_token = login(https, ADMIN_USERNAME, ADMIN_PASSWORD)
    assert https.get("/api/user/services", headers={"Authorization": f"OpenTera {new_token}"}).status_code == 200


# The websocket process checks Redis every 5 s; a wiped Redis is whole again within one period (plus slack).
RESTORE_BOUND = 5.0 + 5.0


def test_a_wiped_redis_is_restored_and_logins_work_again(own_stack: Stack, tmp_path: Path) -> None:
    https = session_for(own_stack, tmp_path)
    before = snapshot(own_stack)
    assert before["services"], "the stack registers its services at start"
    client = redis_of(own_stack)
    with WebsocketClient.user(https, ADMIN_USERNAME, ADMIN_PASSWORD) as socket:
        socket.wait_for("USER_CONNECTED")
        client.flushall()
        try:
            # Right after the wipe: no token key, so health says so (unless the upkeep already ran).
            health = https.get("/health")
            assert health.status_code == 200 or "token keys missing" in health.json()["problems"]["redis"]
            deadline = time.monotonic() + RESTORE_BOUND
            while https.get("/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD)).status_code != 200:
                assert time.monotonic() < deadline, f"logins still refused {RESTORE_BOUND:.0f} s after the wipe"
                time.sleep(0.5)
            token = login(https, ADMIN_USERNAME, ADMIN_PASSWORD)
        finally:
            client.close()
        after = snapshot(own_stack)
        assert after["services"] == before["services"], "service.* entries are written back"
        for name in STATIC_KEYS:
            assert after["keys"][name] == before["keys"][name], f"{name} comes from the server settings"
        for name in DYNAMIC_KEYS:
            assert after["keys"][name], f"{name} is written back"
        assert https.get("/health").json() == {"status": "ok"}
        # The socket opened before the wipe is online again (its presence record was wiped too).
        online = https.get("/api/user/users/online", headers={"Authorization": f"OpenTera {token}"}).json()
        assert [(user["user_uuid"], user["user_online"]) for user in online] == [(before["admin_uuid"][0][0], True)]


def test_with_postgresql_down_the_apis_answer_503_and_recover(own_stack: Stack, tmp_path: Path) -> None:
    https = session_for(own_stack, tmp_path)
    token = login(https, ADMIN_USERNAME, ADMIN_PASSWORD)
    # Pooled connections exist before the database goes: they break, and new ones cannot be made.
    assert https.get("/api/user/services", headers={"Authorization": f"OpenTera {token}"}).status_code == 200
    own_stack.run("stop", "db")
    try:
        for path in ("/api/user/services", "/api/user/projects?list=true"):
            answer = https.get(path, headers={"Authorization": f"OpenTera {token}"})
            assert answer.status_code == 503, (path, answer.status_code, answer.text)
            assert answer.json() == {"message": "Database unavailable, try again later"}
            assert answer.headers["Retry-After"] == "5"
        refused = https.get("/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD))
        assert refused.status_code == 503 and "Database unavailable" in refused.text
        assert https.get("/health").status_code == 503
    finally:
        own_stack.run("up", "--detach", "--wait", "db")
    deadline = time.monotonic() + 30
    while https.get("/api/user/services", headers={"Authorization": f"OpenTera {token}"}).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover within 30 s of PostgreSQL's return"
        time.sleep(0.5)


def test_test_mode_over_existing_data_serves_it_and_says_what_to_do(own_stack: Stack) -> None:
    # Upstream's test set only fits an empty database; over existing rows TeraServer used to crash-loop.
    assert own_stack.override_file is not None
    original = own_stack.override_file.read_text(encoding="utf-8")
    users_before = own_stack.psql("SELECT user_username FROM t_users ORDER BY id_user")
    own_stack.override_file.write_text(original + "TERASERVER_TEST_DATA=true\n", encoding="utf-8")
    try:
        own_stack.run("up", "--detach", "--wait", "teraserver")  # fails if TeraServer does not get healthy
        logs = own_stack.logs("teraserver", tail=200)
        assert "loads upstream's test data into an empty database only" in logs
        assert "devstack seed" in logs and "devstack reset" in logs
        assert own_stack.psql("SELECT user_username FROM t_users ORDER BY id_user") == users_before
    finally:
        own_stack.override_file.write_text(original, encoding="utf-8")
        own_stack.run("up", "--detach", "--wait", "teraserver")


def test_stopping_teraserver_is_a_clean_exit(own_stack: Stack) -> None:
    # granian's main process stops its workers and returns on SIGTERM; 137 would mean Docker had to SIGKILL it.
    own_stack.run("stop", "teraserver")
    container = own_stack.run("ps", "--all", "--quiet", "teraserver").stdout.strip()
    inspected = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.ExitCode}}", container], capture_output=True, text=True, check=True
    )
    assert inspected.stdout.strip() == "0", own_stack.logs("teraserver", tail=30)
    own_stack.run("up", "--wait", "teraserver")


def test_down_then_up_keeps_data_and_certificates(own_stack: Stack, tmp_path: Path) -> None:
    before = snapshot(own_stack)
    ca_before = own_stack.copy_ca(tmp_path / "before.pem").read_bytes()

    own_stack.run("down")
    # Back up with the README's own command, pointed at this test project and its ports.
    overrides = {key: value for key, value in own_stack.values().items() if key.startswith("DEVSTACK_")}
    result = devstack_command("up", "--no-build", COMPOSE_PROJECT_NAME=own_stack.project, **overrides)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "stack healthy in" in result.stdout

    after = snapshot(own_stack)
    for part in ("services", "server_uuid", "admin_uuid", "marker"):
        assert after[part] == before[part], part
    assert "Lab A" in str(after["marker"])
    assert own_stack.copy_ca(tmp_path / "after.pem").read_bytes() == ca_before
    logs = own_stack.run("logs", "--no-color", "certs").stdout
    assert "keeping the existing local CA" in logs
    https = session_for(own_stack, tmp_path)
    assert https.get("/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD)).status_code == 200


def devstack_command(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **environment}
    return subprocess.run(
        [sys.executable, "-m", "devstack", *arguments], capture_output=True, text=True, env=env, timeout=120
    )


def test_bad_env_value_stops_up_with_its_name_and_starts_nothing(own_stack: Stack) -> None:
    project = own_stack.project + "-bad"
    result = devstack_command("up", DEVSTACK_HTTPS_PORT="not-a-port", COMPOSE_PROJECT_NAME=project)
    assert result.returncode == 2
    assert "DEVSTACK_HTTPS_PORT='not-a-port' is not a port number" in result.stderr
    listed = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label=com.docker.compose.project={project}", "--format", "{{.ID}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.strip() == ""


def test_plain_compose_names_an_empty_password(own_stack: Stack) -> None:
    result = subprocess.run(
        own_stack.compose.command("config", "--quiet"),
        capture_output=True,
        text=True,
        env={**os.environ, "REDIS_PASSWORD": ""},
        cwd=own_stack.root,
    )
    assert result.returncode != 0
    assert "REDIS_PASSWORD is empty" in result.stderr
