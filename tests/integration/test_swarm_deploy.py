"""`devstack deploy` for real, on a single-node Docker Swarm on the test machine (issue 19).

One stack, deployed once for the module from a copy of the checkout, in this order: it serves logins and the
sample through NGINX; TeraServer scaled to 3 serves from every replica with the same tokens; a rolling update of
TeraServer and of the sample under 16 clients loses no request and logs nobody out; `docker kill` of a TeraServer
task loses no idempotent request; `--down` keeps the volumes and a new deploy finds the data and the tokens.

The engine is made a swarm manager (`docker swarm init --advertise-addr 127.0.0.1`) only when it is in no swarm,
and then it leaves the swarm at the end; the stack, its secrets, volumes and images are removed. Multi-node
swarms (engines in privileged containers) are not covered here.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from devstack import envfile
from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import free_port
from devstack.testing.workspace import copy_repository

REPO = Path(__file__).resolve().parents[2]
DEPLOY_TIMEOUT_SECONDS = 600
CONVERGE_TIMEOUT_SECONDS = 300
CLIENTS = 16
# Each load client stops after this many requests even if the update is not over: the test stays bounded.
MAX_REQUESTS_PER_CLIENT = 3000
CLIENT_TIMEOUT_SECONDS = 30


def docker(*arguments: str, timeout: float = 120, check: bool = True) -> str:
    result = subprocess.run(["docker", *arguments], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(arguments)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


@dataclass
class Deployment:
    root: Path  # the copy of the checkout deployed from
    stack: str
    port: int
    ca_file: Path
    values: dict[str, str]

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    def devstack(self, *arguments: str, timeout: float = DEPLOY_TIMEOUT_SECONDS) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "DEVSTACK_ROOT": str(self.root)}
        return subprocess.run(
            [sys.executable, "-m", "devstack", "deploy", "--stack", self.stack, *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment,
            cwd=self.root,
        )

    def deploy(self, *arguments: str) -> str:
        result = self.devstack("--timeout", str(DEPLOY_TIMEOUT_SECONDS - 60), *arguments)
        assert result.returncode == 0, f"devstack deploy failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    def service(self, name: str) -> str:
        return f"{self.stack}_{name}"

    def containers(self, name: str) -> list[str]:
        label = f"label=com.docker.swarm.service.name={self.service(name)}"
        return docker("ps", "--quiet", "--filter", label).split()

    def task_addresses(self, name: str) -> set[str]:
        """The overlay addresses of the service's running tasks."""
        addresses = set()
        for task in docker("service", "ps", "--quiet", "--filter", "desired-state=running", self.service(name)).split():
            attachments = json.loads(docker("inspect", task, "--format", "{{json .NetworksAttachments}}")) or []
            for attachment in attachments:
                addresses.update(address.split("/")[0] for address in attachment.get("Addresses") or [])
        return addresses

    def wait_converged(self, name: str, replicas: int, timeout: float = CONVERGE_TIMEOUT_SECONDS) -> None:
        """Until `replicas` tasks run healthy and no update is in progress (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = docker("service", "ls", "--filter", f"name={self.service(name)}", "--format", "{{.Replicas}}")
            running, _, wanted = shown.strip().split()[0].partition("/") if shown.strip() else ("", "", "")
            update = docker(
                "service",
                "inspect",
                self.service(name),
                "--format",
                "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}",
            ).strip()
            if running == wanted == str(replicas) and update not in {"updating", "rollback_started"}:
                assert update not in {"rollback_completed", "paused"}, f"{name}'s update ended {update}"
                return
            time.sleep(1)
        raise AssertionError(f"{self.service(name)} did not converge to {replicas} healthy tasks in {timeout:.0f} s")

    def proxy_log_since(self, since: str) -> str:
        [container] = self.containers("proxy")
        result = subprocess.run(
            ["docker", "logs", "--since", since, container], capture_output=True, text=True, timeout=60
        )
        return result.stdout + result.stderr


def engine_swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip()


@pytest.fixture(scope="module")
def swarm_manager() -> Iterator[None]:
    """A swarm manager: the engine's own swarm, or one made here and left at the end."""
    if shutil.which("docker") is None:
        pytest.skip("no docker")
    initialised = False
    if engine_swarm_state() == "inactive":
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        initialised = True
    try:
        yield
    finally:
        if initialised:
            docker("swarm", "leave", "--force", check=False)


@pytest.fixture(scope="module")
def deployment(swarm_manager: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workspace = tmp_path_factory.mktemp("swarm")
    root = copy_repository(REPO, workspace / "checkout")
    env_path = root / ".env"
    if not env_path.is_file():
        shutil.copy2(root / ".env.example", env_path)
    envfile.ensure_env_file(env_path)
    port = free_port()
    envfile.set_env_values(env_path, {"DEVSTACK_HTTPS_PORT": str(port), "DEVSTACK_HOSTNAME": "localhost"})
    stack = f"dstest-{uuid.uuid4().hex[:8]}"
    node_labelled = "devstack.data" in docker("node", "inspect", "self", "--format", "{{json .Spec.Labels}}")
    deployed = Deployment(root, stack, port, workspace / "ca_cert.pem", envfile.effective_values(env_path))
    try:
        output = deployed.deploy()
        assert f"stack {stack} healthy" in output, output
        [proxy] = deployed.containers("proxy")
        docker("cp", f"{proxy}:/etc/nginx/certificates/ca_cert.pem", str(deployed.ca_file))
        yield deployed
    finally:
        down = deployed.devstack("--down", "--volumes", timeout=300)
        for image in docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).split():
            if image.startswith(f"{stack}/"):
                docker("image", "rm", image, check=False)
        if not node_labelled:
            docker("node", "update", "--label-rm", "devstack.data", "self", check=False)
        assert down.returncode == 0, f"devstack deploy --down failed: {down.stdout}\n{down.stderr}"


@pytest.fixture(scope="module")
def front(deployment: Deployment) -> Iterator[FrontDoorSession]:
    with FrontDoorSession(deployment.base_url, deployment.ca_file) as session:
        yield session


@pytest.fixture(scope="module")
def admin_token(front: FrontDoorSession) -> str:
    """Taken once, before any scaling or update: every later step checks it still works (nobody logged out)."""
    return login(front, "admin", "admin")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


@dataclass
class LoadResult:
    outcomes: collections.Counter
    failures: list[str]

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


def under_load(deployment: Deployment, token: str, paths: list[str], action: Callable[[], None]) -> LoadResult:
    """Run `action` while CLIENTS clients send GET requests (no retry of ours: NGINX's only) to `paths` in turn."""
    stop = threading.Event()
    outcomes: collections.Counter = collections.Counter()
    failures: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with requests.Session() as session:
            for count in range(MAX_REQUESTS_PER_CLIENT):
                if stop.is_set():
                    return
                path = paths[count % len(paths)]
                try:
                    response = session.get(
                        deployment.base_url + path,
                        headers=bearer(token),
                        verify=str(deployment.ca_file),
                        timeout=CLIENT_TIMEOUT_SECONDS,
                    )
                    outcome = str(response.status_code)
                except requests.RequestException as error:
                    outcome = type(error).__name__
                with lock:
                    outcomes[outcome] += 1
                    if outcome != "200" and len(failures) < 20:
                        failures.append(f"{path}: {outcome}")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)  # every client running before the change starts
        action()
        time.sleep(2)  # and a little after it ends
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT_SECONDS + 5)
    return LoadResult(outcomes, failures)


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
            docker("service", "update", "--force", "--detach", deployment.service(name))
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
