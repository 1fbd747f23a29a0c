"""TeraServer replicas (issue 19, docs/deploy.md "TeraServer replicas"): three replicas share one PostgreSQL and
one Redis, as under Swarm, here with `docker compose up --scale teraserver=3`.

* Booting together on an empty database, they create its schema and defaults once (database.boot_lock).
* With TERASERVER_DEPLOYMENT_ID set, the dynamic token keys rotate once per deployment id, not per start: a
  token minted by one replica works on every replica and survives a replica's restart; a new id rotates once;
  going back to an id already seen (a rollback) keeps the keys.
* The UserManager module, run by every replica's websocket process, answers an RPC once.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from test_user_api_rpc import SECOND_REPLY_WINDOW, encode_rpc

from devstack import paths
from devstack.testing.plugin import ADMIN_PASSWORD, ADMIN_USERNAME, FrontDoorSession, login, require_docker
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

REPLICAS = 3
DYNAMIC_KEYS = ("UserTokenAPIKey", "ParticipantTokenAPIKey", "ServiceTokenAPIKey")
DEPLOYMENTS_KEY = "TeraServer.deployments"
# Passes the deployment id from the (test) env file to TeraServer, as the Swarm stack file does.
DEPLOYMENT_OVERRIDE = """\
services:
  teraserver:
    environment:
      TERASERVER_DEPLOYMENT_ID: ${TERASERVER_DEPLOYMENT_ID:-}
"""


class Replicated:
    """A stack of its own whose TeraServer runs REPLICAS replicas under a deployment id the test changes."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.base_env = stack.override_file.read_text(encoding="utf-8")

    def deploy(self, deployment_id: str) -> None:
        """Set the deployment id and converge: containers whose environment changed are recreated."""
        assert self.stack.override_file is not None
        self.stack.override_file.write_text(
            self.base_env + f"TERASERVER_DEPLOYMENT_ID={deployment_id}\n", encoding="utf-8"
        )
        self.stack.run("up", "--detach", "--wait", "--scale", f"teraserver={REPLICAS}", timeout=900)

    def replica_urls(self) -> list[str]:
        """Each replica's own port (plain HTTP, NGINX bypassed), so a test knows which replica answers."""
        urls = []
        for index in range(1, REPLICAS + 1):
            address = self.stack.run("port", "--index", str(index), "teraserver", "4040").stdout.strip()
            urls.append(f"http://127.0.0.1:{address.rsplit(':', 1)[1]}")
        return urls

    def dynamic_keys(self) -> dict[str, str]:
        client = self.stack.redis()
        try:
            return dict(zip(DYNAMIC_KEYS, client.mget(DYNAMIC_KEYS), strict=True))
        finally:
            client.close()

    def boot_lines(self) -> list[dict]:
        """The `boot complete` line of every current TeraServer container."""
        output = self.stack.run("logs", "--no-color", "--no-log-prefix", "teraserver").stdout
        return [
            json.loads(line[line.index("{") :])
            for line in output.splitlines()
            if '"boot complete"' in line and "{" in line
        ]

    def wait_accepted_everywhere(self, token: str) -> None:
        for url in self.replica_urls():
            assert status_with(url, token) == 200, f"{url} refuses a token the others issued"


def status_with(base_url: str, token: str) -> int:
    return requests.get(
        base_url + "/api/user/services", headers={"Authorization": f"OpenTera {token}"}, timeout=15
    ).status_code


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Replicated]:
    require_docker()
    workdir = tmp_path_factory.mktemp("replicas")
    override = workdir / "deployment.override.yaml"
    override.write_text(DEPLOYMENT_OVERRIDE, encoding="utf-8")
    stack = Stack.create(paths.repo_root(Path(__file__).parent), workdir, compose_files=[override])
    replicated = Replicated(stack)
    try:
        # Empty volumes, three replicas started at once: their boots race for the empty database.
        replicated.stack.run("build", timeout=900)
        replicated.deploy("deployment-a")
        yield replicated
    finally:
        if not request.config.getoption("--devstack-keep"):
            stack.down()


def test_replicas_booting_together_on_an_empty_database_create_it_once_and_rotate_once(
    replicated: Replicated,
) -> None:
    states = replicated.stack.run("ps", "--format", "json", "teraserver").stdout
    rows = [json.loads(line) for line in states.splitlines() if line.strip()]
    assert [row["Health"] for row in rows] == ["healthy"] * REPLICAS, rows

    psql = replicated.stack.psql
    assert psql("SELECT count(*) FROM t_users") == [["1"]], "one superadmin, created once"
    assert psql("SELECT count(*) FROM t_sites") == [["1"]]
    # OpenTeraServer and upstream's four system services once each, and the sample the register job added.
    assert psql("SELECT service_key FROM t_services ORDER BY 1") == [
        ["EmailService"],
        ["FileTransferService"],
        ["LoggingService"],
        ["OpenTeraServer"],
        ["SampleService"],
        ["VideoRehabService"],
    ]
    assert psql("SELECT count(*) FROM alembic_version") == [["1"]]
    assert psql("SELECT server_settings_name FROM t_server_settings GROUP BY 1 HAVING count(*) > 1") == []

    lines = replicated.boot_lines()
    assert len(lines) == REPLICAS
    assert sorted(line["token_keys_rotated"] for line in lines) == [False] * (REPLICAS - 1) + [True]
    assert {line["deployment_id"] for line in lines} == {"deployment-a"}
    client = replicated.stack.redis()
    try:
        assert client.smembers(DEPLOYMENTS_KEY) == {"deployment-a"}
    finally:
        client.close()


def test_a_token_works_on_every_replica_and_survives_a_replica_restart(replicated: Replicated, tmp_path: Path) -> None:
    stack = replicated.stack
    https = FrontDoorSession(stack.base_url, stack.copy_ca(tmp_path / "ca.pem"))
    token = login(https, ADMIN_USERNAME, ADMIN_PASSWORD)
    replicated.wait_accepted_everywhere(token)
    # Through NGINX too, which spreads requests over the replicas.
    assert {
        https.get("/api/user/services", headers={"Authorization": f"OpenTera {token}"}).status_code
        for _ in range(3 * REPLICAS)
    } == {200}
    keys = replicated.dynamic_keys()

    # Restarted replicas (a crash, a node reboot) boot again under the same deployment id: they keep the keys.
    stack.run("restart", "teraserver", timeout=300)
    stack.run("up", "--detach", "--wait", "--scale", f"teraserver={REPLICAS}", timeout=600)
    assert replicated.dynamic_keys() == keys
    replicated.wait_accepted_everywhere(token)


def test_a_new_deployment_rotates_once_and_a_rollback_keeps_the_keys(replicated: Replicated) -> None:
    urls = replicated.replica_urls()
    old_token = requests.get(urls[0] + "/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD), timeout=15).json()[
        "user_token"
    ]
    old_keys = replicated.dynamic_keys()

    replicated.deploy("deployment-b")
    new_keys = replicated.dynamic_keys()
    for name in DYNAMIC_KEYS:
        assert new_keys[name] != old_keys[name], f"{name} rotates with a new deployment id"
    lines = replicated.boot_lines()
    assert sorted(line["token_keys_rotated"] for line in lines) == [False] * (REPLICAS - 1) + [True]
    urls = replicated.replica_urls()
    assert {status_with(url, old_token) for url in urls} == {401}, "the previous deployment's tokens are void"
    token = requests.get(urls[1] + "/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD), timeout=15).json()[
        "user_token"
    ]
    replicated.wait_accepted_everywhere(token)

    # Back to an id already seen (Swarm's rollback restores the previous environment): no rotation.
    replicated.deploy("deployment-a")
    assert replicated.dynamic_keys() == new_keys
    assert [line["token_keys_rotated"] for line in replicated.boot_lines()] == [False] * REPLICAS
    replicated.wait_accepted_everywhere(token)


def test_the_user_manager_answers_an_rpc_once_whatever_the_replica_count(replicated: Replicated) -> None:
    raw = replicated.stack.redis(decode_responses=False)
    try:
        reply_to = f"RedisRPCClient.{uuid.uuid4()}"
        with Subscription(raw, reply_to) as answers:
            receivers = raw.publish("module.TeraServer.UserManagerModule.rpc", encode_rpc("online_users", reply_to, 9))
            assert receivers >= REPLICAS, "every replica's websocket process listens to the module's topic"
            assert answers.first(lambda data: data) is not None, "no reply"
            time.sleep(SECOND_REPLY_WINDOW)
            replies = [json.loads(data) for data in answers.messages]
    finally:
        raw.close()
    assert len(replies) == 1, replies
    assert (replies[0]["status"], replies[0]["id"], replies[0]["return_value"]) == ("OK", 9, [])


# Last in the module: it leaves the superadmin locked out for LOGIN_ATTEMPTS_TTL seconds.
def test_revoked_tokens_and_login_throttling_are_shared_by_the_replicas(replicated: Replicated) -> None:
    urls = replicated.replica_urls()
    token = requests.get(urls[0] + "/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD), timeout=15).json()[
        "user_token"
    ]
    replicated.wait_accepted_everywhere(token)
    # Revoked on one replica (logout puts it in Redis's user_disabled_tokens): refused by all of them.
    logout = requests.get(urls[1] + "/api/user/logout", headers={"Authorization": f"OpenTera {token}"}, timeout=15)
    assert logout.status_code == 200, logout.text
    assert {status_with(url, token) for url in urls} == {401}

    # Five failed passwords spread over the replicas use up the account's attempts (counted in Redis): the right
    # password is then refused by any replica, as it would be by a single server.
    for attempt in range(5):
        wrong = requests.get(urls[attempt % REPLICAS] + "/api/user/login", auth=(ADMIN_USERNAME, "wrong"), timeout=15)
        assert wrong.status_code == 401
    for url in urls:
        assert (
            requests.get(url + "/api/user/login", auth=(ADMIN_USERNAME, ADMIN_PASSWORD), timeout=15).status_code == 401
        )
