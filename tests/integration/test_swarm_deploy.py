"""`devstack deploy` for real, on a single-node Docker Swarm on the test machine (issue 19).

One stack, deployed once for the module from a copy of the checkout, in this order: it serves logins and the
sample through NGINX; TeraServer scaled to 3 serves from every replica with the same tokens; a rolling update of
TeraServer and of the sample under 16 clients loses no request and logs nobody out; `docker kill` of a TeraServer
task loses no idempotent request; `--down` keeps the volumes and a new deploy finds the data and the tokens.

The engine is made a swarm manager (`docker swarm init --advertise-addr 127.0.0.1`) only when it is in no swarm, and
then it leaves the swarm at the end (only when no other container runs: moby issue 45144); the stack, its secrets,
volumes and images are removed. Multi-node swarms (engines in privileged containers) are not covered here."""

from __future__ import annotations

import collections
import json
import shutil
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.swarm import (
    CLIENTS,
    Deployment,
    bearer,
    docker,
    single_node_swarm,
    throwaway_deployment,
    under_load,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MONITOR = "3s"


@pytest.fixture(scope="module")
def swarm_manager() -> Iterator[None]:
    """A swarm manager: the engine's own swarm, or one made here and left at the end when that breaks no running
    container (otherwise a warning in pytest's summary says it was kept, and how to leave it)."""
    if shutil.which("docker") is None:
        pytest.skip("no docker")
    with single_node_swarm(say=lambda message: warnings.warn(message, stacklevel=1)):
        yield


@pytest.fixture(scope="module")
def deployment(swarm_manager: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workspace = tmp_path_factory.mktemp("swarm")
    with throwaway_deployment(REPO, workspace, f"dstest-{uuid.uuid4().hex[:8]}") as deployed:
        yield deployed


@pytest.fixture(scope="module")
def front(deployment: Deployment) -> Iterator[FrontDoorSession]:
    with FrontDoorSession(deployment.base_url, deployment.ca_file) as session:
        yield session


@pytest.fixture(scope="module")
def admin_token(front: FrontDoorSession) -> str:
    """Taken once, before any scaling or update: every later step checks it still works (nobody logged out)."""
    return login(front, "admin", "admin")


def test_deployed_stack_serves_login_and_the_sample_through_nginx(
    deployment: Deployment, front: FrontDoorSession, admin_token: str
) -> None:
    me = front.get("/sample/api/me", headers=bearer(admin_token))
    assert me.status_code == 200, me.text
    assert me.json()["service_key"] == "SampleService"
    # Passwords are Swarm secrets: no service of the stack has one in its definition.
    passwords = [deployment.values[name] for name in ("POSTGRES_PASSWORD", "TERASERVER_DB_PASSWORD", "REDIS_PASSWORD")]
    services = docker("service", "ls", "--quiet", "--filter", f"label=com.docker.stack.namespace={deployment.stack}")
    specs = docker("service", "inspect", *services.split())
    assert not [password for password in passwords if password in specs]
    assert "TERASERVER_DB_PASSWORD_FILE=/run/secrets/db_password" in specs
    # The register job ran once and is complete.
    register = docker(
        "service", "ls", "--filter", f"name={deployment.service('register')}", "--format", "{{.Replicas}}"
    )
    assert "(1/1 completed)" in register


def test_three_teraserver_replicas_each_serve_requests_with_the_same_token(
    deployment: Deployment, front: FrontDoorSession, admin_token: str
) -> None:
    docker("service", "scale", "--detach", f"{deployment.service('teraserver')}=3")
    deployment.wait_converged("teraserver", 3)
    addresses = deployment.task_addresses("teraserver")
    assert len(addresses) == 3, addresses
    since = docker("info", "--format", "{{json .SystemTime}}").strip().strip('"')
    statuses = collections.Counter(
        front.get("/api/user/sites", headers=bearer(admin_token)).status_code for _ in range(60)
    )
    assert statuses == {200: 60}, statuses  # one token, valid on every replica: the keys are shared
    # NGINX's access log names the upstream address of each request: every replica served some.
    served = collections.Counter()
    for line in deployment.proxy_log_since(since).splitlines():
        if '"request":"GET /api/user/sites' in line:
            upstream = json.loads(line[line.index("{") :])["upstream"]
            served[upstream.rsplit(":", 1)[0]] += 1
    assert set(served) == addresses, f"served by {dict(served)}, replicas {addresses}"


def test_rolling_updates_under_load_fail_no_request_and_log_nobody_out(
    deployment: Deployment, admin_token: str
) -> None:
    def update_teraserver_then_sample() -> None:
        for name, replicas in (("teraserver", 3), ("sample", 1)):
            # A short monitor window: the update is the same rolling start-first replacement, and a rollback is
            # still seen (wait_converged fails on one); the deployment's 30 s window would only make the
            # test wait, under load, for a minute more.
            docker("service", "update", "--force", "--detach", "--update-monitor", MONITOR, deployment.service(name))
            time.sleep(2)
            deployment.wait_converged(name, replicas)

    result = under_load(deployment, admin_token, ["/api/user/sites", "/sample/api/me"], update_teraserver_then_sample)
    assert result.total > CLIENTS * 10, result.outcomes
    # No error and no 401: the updated replicas kept the deployment's token keys.
    assert result.outcomes == {"200": result.total}, (dict(result.outcomes), result.failures)


def test_killing_a_teraserver_task_fails_no_idempotent_request(deployment: Deployment, admin_token: str) -> None:
    victim = deployment.containers("teraserver")[0]

    def kill_and_wait_for_the_replacement() -> None:
        docker("kill", victim)
        time.sleep(3)
        deployment.wait_converged("teraserver", 3)

    result = under_load(deployment, admin_token, ["/api/user/sites"], kill_and_wait_for_the_replacement)
    assert victim not in deployment.containers("teraserver")
    assert result.total > CLIENTS * 5, result.outcomes
    assert result.outcomes == {"200": result.total}, (dict(result.outcomes), result.failures)


def test_down_keeps_the_volumes_and_a_redeploy_finds_data_and_tokens(
    deployment: Deployment, front: FrontDoorSession, admin_token: str
) -> None:
    name = f"swarm-test-{uuid.uuid4().hex[:8]}"
    body = {"user_group": {"id_user_group": 0, "user_group_name": name}}
    created = front.post("/api/user/usergroups", json=body, headers=bearer(admin_token))
    assert created.status_code == 200, created.text

    down = deployment.devstack("--down", timeout=300)
    assert down.returncode == 0, down.stderr
    label = f"label=com.docker.stack.namespace={deployment.stack}"
    assert not docker("service", "ls", "--quiet", "--filter", label).split()
    assert not docker("secret", "ls", "--quiet", "--filter", f"label=devstack.stack={deployment.stack}").split()
    assert {f"{deployment.stack}_db-data", f"{deployment.stack}_redis-data"} <= set(
        docker("volume", "ls", "--quiet", "--filter", label).split()
    )

    deployment.deploy("--no-build")
    [proxy] = deployment.containers("proxy")
    docker("cp", f"{proxy}:/etc/nginx/certificates/ca_cert.pem", str(deployment.ca_file))
    groups = front.get("/api/user/usergroups", headers=bearer(admin_token))
    # The token from the first deployment still works: same stack, same deployment id, same keys.
    assert groups.status_code == 200, groups.text
    assert name in [group["user_group_name"] for group in groups.json()]
