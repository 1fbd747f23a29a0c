"""`devstack deploy` on a three-node Docker Swarm made on the test machine (issue 19). Slow: several minutes.

Three Docker engines run in privileged containers (opentera-devstack/dind, Debian's docker.io) on a private
bridge network of their own, with a registry (opentera-devstack/registry, Debian's docker-registry) beside them;
both images are built by `devstack offline-images --only dind --only registry`, so no registry is pulled from.
Node 1 is the manager and holds PostgreSQL and Redis (label devstack.data=true); nodes 2 and 3 join as workers.
`devstack deploy --registry` runs against node 1's engine (DOCKER_HOST) and pushes every image of the stack to the
registry, from which each node pulls. The test logs in through NGINX on node 1 (reached at the node container's
address on the bridge), sees TeraServer's replicas on several nodes, stops a worker's container (`docker stop`),
and sees its tasks rescheduled on the other nodes while the front door still answers with the same token.

The certificates volume is local to each node: the test seeds the same certificates into it on every node before
deploying, as docs/deploy.md ("Several nodes") tells an operator to. Everything made here (containers, network,
volumes, the stack's images on this engine) is removed at the end; the dind and registry images are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import envfile
from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.workspace import copy_repository

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DIND_IMAGE = "opentera-devstack/dind:20.10"
REGISTRY_IMAGE = "opentera-devstack/registry:2.8"
BASE_IMAGE = "opentera-devstack/debian:bookworm"
NODES = 3
HTTPS_PORT = 40075  # each node has its own network namespace: no clash with anything on this machine
ENGINE_START_SECONDS = 120
DEPLOY_TIMEOUT_SECONDS = 1200
CONVERGE_TIMEOUT_SECONDS = 420
TERASERVER_REPLICAS = 3


def run(command: Sequence[str], *, timeout: float = 300, check: bool = True, **kwargs: object) -> str:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed: {result.stderr.strip()[-2000:] or result.stdout[-2000:]}")
    return result.stdout


def docker(*arguments: str, timeout: float = 300, check: bool = True) -> str:
    """The outer engine (this machine's)."""
    return run(["docker", *arguments], timeout=timeout, check=check)


def pipe(source: Sequence[str], sink: Sequence[str], timeout: float = 900) -> None:
    """`source | sink`, both checked (images and volume contents move between engines this way)."""
    producer = subprocess.Popen(list(source), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert producer.stdout is not None
    consumer = subprocess.run(list(sink), stdin=producer.stdout, capture_output=True, timeout=timeout)
    producer.stdout.close()
    assert producer.wait(timeout=60) == 0, f"{' '.join(source)} failed: {producer.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
    assert consumer.returncode == 0, f"{' '.join(sink)} failed: {consumer.stderr.decode()[-2000:]}"


@dataclass
class Node:
    container: str
    address: str

    @property
    def host(self) -> str:
        return f"tcp://{self.address}:2375"

    def docker(self, *arguments: str, timeout: float = 300, check: bool = True) -> str:
        """This node's engine, through its API on the private bridge."""
        return run(["docker", "--host", self.host, *arguments], timeout=timeout, check=check)

    def exec(self, *arguments: str, timeout: float = 300) -> str:
        """A command in the node's container (its own engine on its unix socket)."""
        return docker("exec", self.container, *arguments, timeout=timeout)


@dataclass
class Cluster:
    name: str
    network: str
    registry: str  # host:port, as the nodes reach it
    nodes: list[Node]
    root: Path  # the copy of the checkout deployed from
    stack: str
    ca_file: Path

    @property
    def manager(self) -> Node:
        return self.nodes[0]

    @property
    def base_url(self) -> str:
        return f"https://{self.manager.address}:{HTTPS_PORT}"

    def service(self, name: str) -> str:
        return f"{self.stack}_{name}"

    def node_names(self) -> dict[str, str]:
        """Node id -> hostname (the container's name)."""
        out = self.manager.docker("node", "ls", "--format", "{{.ID}} {{.Hostname}}")
        return dict(line.split() for line in out.splitlines() if line.strip())

    def running_tasks(self, name: str) -> list[str]:
        """The hostnames of the nodes running the service's tasks (one entry per running task)."""
        names = self.node_names()
        out = self.manager.docker(
            "service",
            "ps",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.ID}}",
            self.service(name),
        )
        hosts = []
        for task in out.split():
            state = json.loads(self.manager.docker("inspect", task, "--format", "{{json .}}"))
            if state["Status"]["State"] == "running":
                hosts.append(names.get(state["NodeID"], state["NodeID"]))
        return hosts

    def devstack_deploy(self, *arguments: str) -> str:
        environment = {**os.environ, "DEVSTACK_ROOT": str(self.root), "DOCKER_HOST": self.manager.host}
        result = subprocess.run(
            [sys.executable, "-m", "devstack", "deploy", "--stack", self.stack, *arguments],
            capture_output=True,
            text=True,
            timeout=DEPLOY_TIMEOUT_SECONDS + 120,
            env=environment,
            cwd=self.root,
        )
        assert result.returncode == 0, f"devstack deploy failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        return result.stdout


def build_test_images() -> None:
    """The dind and registry images, built as every offline image is (a no-op when they are up to date)."""
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "offline-images", "--only", "dind", "--only", "registry", "--no-record"],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "DEVSTACK_ROOT": str(REPO)},
        cwd=REPO,
    )
    assert result.returncode == 0, f"devstack offline-images failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def address_of(container: str, network: str) -> str:
    return docker(
        "inspect", container, "--format", f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    ).strip()


def wait_for_engine(node: Node) -> None:
    deadline = time.monotonic() + ENGINE_START_SECONDS
    while time.monotonic() < deadline:
        if node.docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=30).strip():
            return
        time.sleep(1)
    logs = docker("logs", "--tail", "30", node.container, check=False)
    raise AssertionError(f"the engine in {node.container} did not start in {ENGINE_START_SECONDS} s:\n{logs}")


def start_nodes(name: str, network: str, registry: str) -> list[Node]:
    nodes = []
    for number in range(1, NODES + 1):
        container = f"{name}-node{number}"
        docker(
            "run",
            "--detach",
            "--privileged",
            "--name",
            container,
            "--hostname",
            container,
            "--network",
            network,
            "--label",
            f"devstack.test={name}",
            "--env",
            f"DIND_INSECURE_REGISTRIES={registry}",
            "--volume",
            f"{container}:/var/lib/docker",
            DIND_IMAGE,
            # The engine's API on the private bridge only (this machine and the other nodes reach it); no TLS
            # (`--tls=false` also skips Docker 20.10's 15 s warning pause).
            "--host=tcp://0.0.0.0:2375",
            "--tls=false",
        )
        nodes.append(Node(container, address_of(container, network)))
    for node in nodes:
        wait_for_engine(node)
    return nodes


def form_swarm(nodes: list[Node]) -> None:
    manager, workers = nodes[0], nodes[1:]
    # Heartbeats every second (Docker's default: 5 s): the stopped worker is seen down, and its tasks moved, within
    # seconds rather than tens of seconds; what is tested (rescheduling, the front door answering) is the same.
    manager.docker("swarm", "init", "--advertise-addr", manager.address, "--dispatcher-heartbeat", "1s")
    token = manager.docker("swarm", "join-token", "--quiet", "worker").strip()
    for worker in workers:
        worker.exec("docker", "swarm", "join", "--advertise-addr", worker.address, "--token", token, manager.address)
    manager.docker("node", "update", "--label-add", "devstack.data=true", manager.container)
    ready = manager.docker("node", "ls", "--format", "{{.Hostname}} {{.Status}}").split("\n")
    assert sorted(line for line in ready if line) == sorted(f"{node.container} Ready" for node in nodes), ready


def seed_certificates(cluster: Cluster, hostname: str) -> None:
    """The same CA and site certificate in `<stack>_certificates` on every node (the volume is per node)."""
    volume = f"{cluster.stack}_certificates"
    manager = cluster.manager
    manager.docker(
        "run",
        "--rm",
        "--env",
        f"DEVSTACK_HOSTNAME={hostname}",
        "--env",
        "CERTIFICATES_DIR=/certificates",
        "--volume",
        f"{volume}:/certificates",
        f"{cluster.stack}/certs:dev",
    )
    for node in cluster.nodes:
        pipe(["docker", "save", BASE_IMAGE], ["docker", "--host", node.host, "load"])
    for worker in cluster.nodes[1:]:
        pipe(
            [
                "docker",
                "--host",
                manager.host,
                "run",
                "--rm",
                "-v",
                f"{volume}:/c",
                BASE_IMAGE,
                "tar",
                "-C",
                "/c",
                "-c",
                ".",
            ],
            [
                "docker",
                "--host",
                worker.host,
                "run",
                "--rm",
                "-i",
                "-v",
                f"{volume}:/c",
                BASE_IMAGE,
                "tar",
                "-C",
                "/c",
                "-x",
            ],
        )
    ca = manager.docker("run", "--rm", "-v", f"{volume}:/c", BASE_IMAGE, "cat", "/c/ca_cert.pem")
    cluster.ca_file.write_text(ca, encoding="utf-8")


def remove_everything(name: str, network: str, stack: str, containers: Sequence[str]) -> None:
    for container in containers:
        docker("rm", "--force", "--volumes", container, check=False, timeout=180)
        docker("volume", "rm", container, check=False)
    docker("network", "rm", network, check=False)
    for image in docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).split():
        if image.startswith(f"{stack}/"):
            docker("image", "rm", image, check=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if shutil.which("docker") is None:
        pytest.skip("no docker")
    build_test_images()
    name = f"dsmn-{uuid.uuid4().hex[:8]}"
    network, registry_container = f"{name}-net", f"{name}-registry"
    stack = f"{name}-stack"
    containers = [registry_container, *(f"{name}-node{number}" for number in range(1, NODES + 1))]
    workspace = tmp_path_factory.mktemp("multinode")
    try:
        docker("network", "create", "--label", f"devstack.test={name}", network)
        docker(
            "run",
            "--detach",
            "--name",
            registry_container,
            "--network",
            network,
            "--label",
            f"devstack.test={name}",
            "--volume",
            f"{registry_container}:/var/lib/docker-registry",
            REGISTRY_IMAGE,
        )
        # By address, not name: the nodes' pulls then do not hang on the bridge's embedded DNS, which was seen
        # answering "no such host" for the registry's name on the loaded test machine.
        registry = f"{address_of(registry_container, network)}:5000"
        nodes = start_nodes(name, network, registry)
        form_swarm(nodes)

        root = copy_repository(REPO, workspace / "checkout")
        env_path = root / ".env"
        if not env_path.is_file():
            shutil.copy2(root / ".env.example", env_path)
        envfile.ensure_env_file(env_path)
        # The site certificate names node 1's address: the front door is reached there.
        envfile.set_env_values(
            env_path, {"DEVSTACK_HTTPS_PORT": str(HTTPS_PORT), "DEVSTACK_HOSTNAME": nodes[0].address}
        )
        built = Cluster(name, network, registry, nodes, root, stack, workspace / "ca_cert.pem")
        # Built on this engine (its layer cache), then loaded into node 1, which pushes them to the registry.
        run(["docker", "compose", "--project-name", stack, "build"], cwd=root, timeout=1800)
        images = sorted(
            set(run(["docker", "compose", "--project-name", stack, "config", "--images"], cwd=root).split())
        )
        pipe(["docker", "save", *images], ["docker", "--host", nodes[0].host, "load"])
        seed_certificates(built, nodes[0].address)
        output = built.devstack_deploy("--no-build", "--registry", registry, "--timeout", str(DEPLOY_TIMEOUT_SECONDS))
        assert f"stack {stack} healthy" in output, output
        yield built
    finally:
        remove_everything(name, network, stack, containers)


def wait_until(what: str, check: object, timeout: float = CONVERGE_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()  # type: ignore[operator]
        if last is True:
            return
        time.sleep(2)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s (last seen: {last})")


def test_the_stack_spreads_over_the_nodes_and_survives_a_stopped_worker(cluster: Cluster) -> None:
    manager = cluster.manager
    # Every node pulled from the registry: the images the stack names are the registry's.
    image = json.loads(
        manager.docker(
            "service",
            "inspect",
            cluster.service("teraserver"),
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Image}}",
        )
    )
    assert image.startswith(f"{cluster.registry}/{cluster.stack}/teraserver:"), image

    with FrontDoorSession(cluster.base_url, cluster.ca_file) as front:
        token = login(front, "admin", "admin")
        headers = {"Authorization": f"OpenTera {token}"}
        assert front.get("/api/user/sites", headers=headers).status_code == 200

        manager.docker("service", "scale", "--detach", f"{cluster.service('teraserver')}={TERASERVER_REPLICAS}")

        def spread() -> bool | list[str]:
            hosts = cluster.running_tasks("teraserver")
            return True if len(hosts) == TERASERVER_REPLICAS and len(set(hosts)) >= 2 else hosts

        wait_until("TeraServer's replicas running on at least two nodes", spread)
        hosts = cluster.running_tasks("teraserver")
        # PostgreSQL and Redis stay on the data node.
        assert cluster.running_tasks("db") == [manager.container]
        assert cluster.running_tasks("redis") == [manager.container]

        workers = [node.container for node in cluster.nodes[1:]]
        victim = next(host for host in hosts if host in workers)
        docker("stop", "--time", "5", victim, timeout=120)

        def rescheduled() -> bool | str:
            down = manager.docker("node", "ls", "--format", "{{.Hostname}} {{.Status}}")
            teraserver, sample = cluster.running_tasks("teraserver"), cluster.running_tasks("sample")
            moved = len(teraserver) == TERASERVER_REPLICAS and victim not in teraserver
            moved = moved and len(sample) == 1 and victim not in sample
            return True if f"{victim} Down" in down and moved else f"{down!r} teraserver {teraserver} sample {sample}"

        wait_until(f"TeraServer's and the sample's tasks running off {victim}", rescheduled)

        # The front door still answers: the token taken before still works, and a new login too.
        statuses = [front.get("/api/user/sites", headers=headers).status_code for _ in range(20)]
        assert statuses == [200] * 20, statuses
        assert login(front, "admin", "admin")
        me = front.get("/sample/api/me", headers=headers)
        assert me.status_code == 200, me.text
