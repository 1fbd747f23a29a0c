"""A running copy of the dev stack under its own Compose project name, for tests.

Built on testcontainers' DockerCompose (which runs the `docker compose` CLI); this adds what it lacks for
us: a project name per test run, so tests never touch the developer's own stack, and env-file overrides
(host ports) layered over the repository's `.env`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis
from testcontainers.compose import DockerCompose

from devstack import envfile, paths, progress, settings
from devstack.compose import waiting_detail

HTTPS_CONTAINER_PORT = 40075
PROGRESS_LOG = logging.getLogger("devstack.testing")


class StackNotRunningError(RuntimeError):
    """A stack to reuse (`--devstack-reuse PROJECT`) is not running; the message says how to start it."""


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii").split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port(low: int = 20000) -> int:
    """A TCP port free on 127.0.0.1 right now, chosen below the kernel's ephemeral range.

    Not the OS's pick (bind to port 0): that comes from the ephemeral range, which is also where Docker
    allocates the host ports it chooses itself (a stack's DB, Redis and TeraServer ports are published that
    way), so a port probed free could be taken by one of them before the proxy binds it ("port is already
    allocated", seen in CI)."""
    ephemeral_low, _ = _ephemeral_range()
    high = max(low + 1000, ephemeral_low)
    for _ in range(200):
        port = random.randrange(low, high)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free TCP port on 127.0.0.1 between {low} and {high} after 200 tries")


def unique_project_name(prefix: str = "devstack-test") -> str:
    """A Compose project name unique to this process (and pytest-xdist worker), so runs never collide."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}-{worker}-{uuid.uuid4().hex[:8]}"


@dataclass
class ProjectCompose(DockerCompose):
    """testcontainers' DockerCompose with an explicit project name."""

    project_name: str = ""

    @property
    def compose_command_property(self) -> list[str]:
        command = super().compose_command_property
        return [*command, "--project-name", self.project_name] if self.project_name else command


def project_images(project: str) -> list[str]:
    """The images Compose built for `project`: compose.yaml and the service template tag them
    `${COMPOSE_PROJECT_NAME}/<service>:dev` (issue 17), so they are the images under the project's name."""
    listing = ["docker", "image", "ls", "--filter", f"reference={project}/*", "--format", "{{.Repository}}:{{.Tag}}"]
    return subprocess.run(listing, capture_output=True, text=True, check=False).stdout.split()


def remove_project_images(project: str) -> None:
    if images := project_images(project):
        subprocess.run(["docker", "image", "rm", *images], capture_output=True, text=True, check=False, timeout=120)


@dataclass
class Stack:
    """One project of the stack: how to reach it and how to drive it with `docker compose`."""

    root: Path
    project: str
    https_port: int
    # Env file layered over the repository's .env (the test stack's host ports); None for a reused stack,
    # which runs with the repository's .env alone, as `devstack up` started it.
    override_file: Path | None
    build: bool = True
    compose: ProjectCompose = field(init=False)

    def __post_init__(self) -> None:
        env_files = [str(paths.env_file(self.root))]
        if self.override_file is not None:
            env_files.append(str(self.override_file))
        self.compose = ProjectCompose(
            context=self.root, env_file=env_files, build=self.build, wait=True, project_name=self.project
        )

    @classmethod
    def create(
        cls,
        root: Path,
        workdir: Path,
        project: str | None = None,
        build: bool = True,
        overrides: Mapping[str, str] | None = None,
    ) -> Stack:
        """Prepare (not start) a stack: .env completed, an override file giving it free host ports (and
        `overrides`, settings of this stack only, e.g. another TERASERVER_ADMIN_PASSWORD)."""
        envfile.ensure_env_file(paths.env_file(root))
        settings.validate(envfile.effective_values(paths.env_file(root)), source=str(paths.env_file(root)))
        https_port = free_port()
        override = workdir / "devstack-test.env"
        override.write_text(
            f"DEVSTACK_HTTPS_PORT={https_port}\nDEVSTACK_BIND_ADDRESS=127.0.0.1\n"
            "DEVSTACK_DB_PORT=\nDEVSTACK_REDIS_PORT=\nDEVSTACK_TERASERVER_PORT=\n"
            # Websockets: a client that vanishes is closed and reported offline within seconds, not 40 s.
            "TERASERVER_WEBSOCKET_PING_INTERVAL=2\nTERASERVER_WEBSOCKET_PING_TIMEOUT=5\n"
            + "".join(f"{name}={value}\n" for name, value in (overrides or {}).items()),
            encoding="utf-8",
        )
        return cls(
            root=root,
            project=project or unique_project_name(),
            https_port=https_port,
            override_file=override,
            build=build,
        )

    @classmethod
    def attach(cls, root: Path, project: str) -> Stack:
        """A stack already running under Compose project `project` (started by hand); its front door's host
        port is read from `docker compose port proxy 40075`. Raises StackNotRunningError when it is not up."""
        env_path = paths.env_file(root)
        if not env_path.is_file():
            raise StackNotRunningError(f"cannot reuse project {project!r}: {env_path} does not exist")
        stack = cls(root=root, project=project, https_port=0, override_file=None, build=False)
        result = stack.run("port", "proxy", str(HTTPS_CONTAINER_PORT), check=False, timeout=60)
        address = result.stdout.strip()
        if result.returncode != 0 or ":" not in address:
            detail = (result.stderr or result.stdout).strip() or "no published port"
            raise StackNotRunningError(
                f"cannot reuse Compose project {project!r}: its proxy publishes no port {HTTPS_CONTAINER_PORT} "
                f"({detail}); start it first with `devstack up` or `docker compose -p {project} up --wait`"
            )
        stack.https_port = int(address.rsplit(":", 1)[1])
        return stack

    # --- lifecycle -------------------------------------------------------------------------------------
    def up(self, sink: progress.Sink | None = None) -> None:
        """Start (building the images unless build=False); return once every service is healthy.

        A line every few seconds names the services it still waits for: to `sink`, else to the
        `devstack.testing` logger (pytest shows it live with `--log-cli-level=INFO`, and under
        "Captured log setup" on a failure)."""
        detail = waiting_detail(self.root, self.project)
        with progress.heartbeat(f"starting project {self.project}", sink or PROGRESS_LOG.info, detail=detail):
            self.compose.start()

    def down(self, volumes: bool = True) -> None:
        """Remove the containers and network (and volumes), and the images this project built (a test stack
        would otherwise leave its `<project>/<service>:dev` tags behind)."""
        with progress.heartbeat(f"removing project {self.project}", PROGRESS_LOG.info):
            self.run("down", *(["--volumes"] if volumes else []), "--remove-orphans")
            remove_project_images(self.project)

    def service_image(self, service: str) -> str:
        """The image of a service as Compose resolves it (variables such as COMPOSE_PROJECT_NAME filled in)."""
        return str(self.config()["services"][service]["image"])

    def config(self) -> dict:
        return json.loads(self.run("config", "--format", "json").stdout)

    def run(self, *arguments: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`docker compose <arguments>` for this project; output captured as text."""
        command = [*self.compose.compose_command_property, *arguments]
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=check, timeout=timeout)

    # --- addresses -------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The front door as a browser on this machine sees it."""
        return f"https://localhost:{self.https_port}"

    def host_port(self, service: str, container_port: int) -> int:
        """The 127.0.0.1 port a service's container port is published on."""
        output = self.run("port", service, str(container_port)).stdout.strip()
        return int(output.rsplit(":", 1)[1])

    def values(self) -> dict[str, str]:
        """The configuration this stack runs with (the repository's .env under the test overrides)."""
        values = envfile.effective_values(paths.env_file(self.root), environ={})
        if self.override_file is not None:
            values.update(envfile.read_values(self.override_file))
        return values

    def copy_ca(self, destination: Path) -> Path:
        """Copy the stack's CA certificate out of the proxy so clients can verify TLS."""
        self.run("cp", "proxy:/etc/nginx/certificates/ca_cert.pem", str(destination))
        return destination

    def logs(self, *services: str, tail: int = 200) -> str:
        result = self.run("logs", "--no-color", "--tail", str(tail), *services, check=False)
        return result.stdout + result.stderr

    def redis(self, decode_responses: bool = True) -> redis.Redis:
        """A client of the stack's Redis (TeraServer's database 0) through its 127.0.0.1 port; text replies unless
        `decode_responses=False` (protobuf payloads are bytes). The caller closes it."""
        return redis.Redis(
            host="127.0.0.1",
            port=self.host_port("redis", 6379),
            password=self.values()["REDIS_PASSWORD"],
            decode_responses=decode_responses,
        )

    def psql(self, sql: str, database: str = "opentera") -> list[list[str]]:
        """Run SQL in the stack's PostgreSQL as the superuser; rows as lists of text fields."""
        result = self.run(
            "exec",
            "-T",
            "db",
            "psql",
            "-U",
            "postgres",
            "-d",
            database,
            "-X",
            "-A",
            "-t",
            "-F",
            "\t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        )
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def service_states(self) -> dict[str, dict[str, str]]:
        """Each service's container state and health, from `docker compose ps`."""
        output = self.run("ps", "--all", "--format", "json").stdout
        # Compose prints one JSON object per line (v2.21+) or a JSON array (older releases).
        rows = (
            json.loads(output)
            if output.lstrip().startswith("[")
            else [json.loads(line) for line in output.splitlines() if line]
        )
        return {
            row["Service"]: {
                "state": row["State"],
                "health": row.get("Health", ""),
                "exit_code": str(row.get("ExitCode", "")),
            }
            for row in rows
        }
