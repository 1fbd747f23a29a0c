"""A throwaway `devstack deploy` on a single-node Docker Swarm, for the Swarm tests and bench (issue 19).

Shared by tests/integration/test_swarm_deploy.py and bench/swarm.py, so both set up and clean up alike:

* `single_node_swarm()`: the engine is made a swarm manager (`docker swarm init --advertise-addr 127.0.0.1`)
  only when it is in no swarm, and then it leaves the swarm at the end, unless other containers run: leaving
  would break their name resolution (moby issue 45144), so the swarm is kept and that is said;
* `throwaway_deployment()`: a copy of the checkout with its own front-door port, deployed under its own stack
  name; at the end the stack, its secrets, configs and volumes (`devstack deploy --down --volumes`), the images
  tagged for it and the node label the deploy added are removed;
* `under_load()`: 16 clients sending GET requests through the front door while something happens.

A failed step raises AssertionError with what Docker or devstack said (a test failure under pytest).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from devstack import envfile
from devstack.testing.stack import free_port
from devstack.testing.workspace import copy_repository

DEPLOY_TIMEOUT_SECONDS = 600
CONVERGE_TIMEOUT_SECONDS = 300
CLIENTS = 16
# Each load client stops after this many requests even if the update is not over: the load stays bounded.
MAX_REQUESTS_PER_CLIENT = 3000
CLIENT_TIMEOUT_SECONDS = 30
# By default each load client waits this long after every answer: 16 clients then send at most ~160 requests a
# second, which still puts hundreds of requests on every draining or killed task, while a closed loop kept both
# cores of a 2-core test machine busy for the whole update and slowed everything running beside it (issue 16).
# The bench passes 0 for a closed loop.
PAUSE_SECONDS = 0.1


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
    first_deploy_output: str = ""  # what the first `devstack deploy` printed
    first_deploy_seconds: float = 0.0  # and how long it took, build included

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

    def copy_ca(self) -> None:
        """The front door's CA certificate (made by the stack's certs job) to `ca_file`."""
        [proxy] = self.containers("proxy")
        docker("cp", f"{proxy}:/etc/nginx/certificates/ca_cert.pem", str(self.ca_file))


def engine_swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip()


# Leaving a swarm breaks the embedded DNS of every container running on the engine at that moment (moby
# issue 45144, seen with Docker 26.1): Compose services no longer resolve each other until restarted. A
# developer's own stack, another test's stack or CI's shared stack would break, so the swarm made here is
# left only when no container other than swarm tasks runs.
LEAVE_BREAKS_DNS = "https://github.com/moby/moby/issues/45144"


def containers_leaving_would_break() -> list[str]:
    """Names of the running containers that are not swarm tasks: those whose name resolution a
    `docker swarm leave` would break."""
    names = []
    for line in docker("ps", "--format", '{{.Names}}\t{{.Label "com.docker.swarm.task.id"}}').splitlines():
        name, _, task = line.partition("\t")
        if name and not task:
            names.append(name)
    return names


def leave_swarm_made_here(say: Callable[[str], None] = print) -> bool:
    """Leave the single-node swarm made here, unless other containers run (then say so and keep it).
    Returns whether it left."""
    others = containers_leaving_would_break()
    if others:
        say(
            f"kept the single-node swarm made for this run: leaving it now would break the name resolution of "
            f"{len(others)} running container(s) ({', '.join(sorted(others)[:5])}{', ...' if len(others) > 5 else ''}; "
            f"{LEAVE_BREAKS_DNS}). Run `docker swarm leave --force` once they are stopped."
        )
        return False
    docker("swarm", "leave", "--force", check=False)
    return True


@contextlib.contextmanager
def single_node_swarm(say: Callable[[str], None] = print) -> Iterator[bool]:
    """A swarm manager: the engine's own swarm, or one made here and left at the end when that breaks nothing
    (see `leave_swarm_made_here`). Yields whether it was made here."""
    initialised = False
    if engine_swarm_state() == "inactive":
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        initialised = True
    try:
        yield initialised
    finally:
        if initialised:
            leave_swarm_made_here(say)


@contextlib.contextmanager
def throwaway_deployment(repository: Path, workspace: Path, stack: str) -> Iterator[Deployment]:
    """`repository` copied under `workspace`, given a free front-door port and deployed as `stack` (healthy,
    its CA copied); at the end everything made for it is removed (the engine must be a swarm manager)."""
    root = copy_repository(repository, workspace / "checkout")
    env_path = root / ".env"
    if not env_path.is_file():
        shutil.copy2(root / ".env.example", env_path)
    envfile.ensure_env_file(env_path)
    port = free_port()
    envfile.set_env_values(env_path, {"DEVSTACK_HTTPS_PORT": str(port), "DEVSTACK_HOSTNAME": "localhost"})
    node_labelled = "devstack.data" in docker("node", "inspect", "self", "--format", "{{json .Spec.Labels}}")
    deployed = Deployment(root, stack, port, workspace / "ca_cert.pem", envfile.effective_values(env_path))
    try:
        started = time.monotonic()
        output = deployed.deploy()
        deployed.first_deploy_seconds = time.monotonic() - started
        deployed.first_deploy_output = output
        assert f"stack {stack} healthy" in output, output
        deployed.copy_ca()
        yield deployed
    finally:
        down = deployed.devstack("--down", "--volumes", timeout=300)
        for image in docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).split():
            if image.startswith(f"{stack}/"):
                docker("image", "rm", image, check=False)
        if not node_labelled:
            docker("node", "update", "--label-rm", "devstack.data", "self", check=False)
        assert down.returncode == 0, f"devstack deploy --down failed: {down.stdout}\n{down.stderr}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


@dataclass
class LoadResult:
    outcomes: collections.Counter
    failures: list[str]

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return self.total - self.outcomes["200"]


def under_load(
    deployment: Deployment,
    token: str,
    paths: list[str],
    action: Callable[[], None],
    pause: float = PAUSE_SECONDS,
) -> LoadResult:
    """Run `action` while CLIENTS clients send GET requests (no retry of ours: NGINX's only) to `paths` in turn,
    each waiting `pause` seconds after every answer."""
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
                if pause:
                    stop.wait(pause)

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
