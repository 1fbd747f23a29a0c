"""A running copy of the dev stack under its own Compose project name, for tests.

Every `docker compose` call goes through the Compose gateway (`devstack.compose.ComposeProject`, issue 16); this
adds what tests need: a project name per test run, so tests never touch the developer's own stack, and env-file
overrides (host ports) layered over the repository's `.env`.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from devstack import compose, envfile, paths, progress, settings

HTTPS_CONTAINER_PORT = compose.PROXY_CONTAINER_PORT
PROGRESS_LOG = logging.getLogger("devstack.testing")


class StackStartError(RuntimeError):
    """A stack did not come up healthy; `output` is what Compose said."""

    def __init__(self, project: str, output: str) -> None:
        super().__init__(f"project {project} did not come up healthy:\n{output[-3000:]}")
        self.output = output


class PsqlError(RuntimeError):
    """SQL sent with `Stack.psql` failed; the message names the database and says what PostgreSQL said."""


class StackNotRunningError(RuntimeError):
    """A stack to reuse (`--devstack-reuse PROJECT`) is not running; the message says how to start it."""


# What a test stack runs with apart from .env, for the tests' speed (each a variable of devstack.settings).
TEST_SETTINGS = {
    # Websockets: a client that vanishes is closed and reported offline within seconds, not 40 s.
    "TERASERVER_WEBSOCKET_PING_INTERVAL": "2",
    "TERASERVER_WEBSOCKET_PING_TIMEOUT": "5",
    # Passwords hashed at bcrypt's lowest cost: the suites log in and make accounts by the hundred, each a quarter
    # second of the server's CPU at the default cost (issue 16).
    "TERASERVER_BCRYPT_ROUNDS": "4",
    # Health probes every 5 minutes once healthy (still every second while starting): each probe is a process in
    # the container and an exec in the engine, and with a dozen stacks up at once they were most of an idle
    # stack's CPU (issue 16).
    "DEVSTACK_HEALTHCHECK_INTERVAL": "300",
}


def as_configured_by_default() -> dict[str, str]:
    """Overrides that put TEST_SETTINGS back to their defaults (upstream's values): for a bench that times the
    stack as people run it."""
    return {name: settings.BY_NAME[name].default for name in TEST_SETTINGS}


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


def project_images(project: str) -> list[str]:
    """The images Compose built for `project`: compose.yaml and the service template tag them
    `${COMPOSE_PROJECT_NAME}/<service>:dev` (issue 17), so they are the images under the project's name."""
    listing = ("image", "ls", "--filter", f"reference={project}/*", "--format", "{{.Repository}}:{{.Tag}}")
    return compose.run_docker(*listing).stdout.split()


def remove_project_images(project: str) -> None:
    if images := project_images(project):
        compose.run_docker("image", "rm", *images, timeout=120)


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
    # Compose files layered over compose.yaml for this stack only (e.g. secrets from files); () = none.
    compose_files: tuple[Path, ...] = ()
    # The gateway every call of this stack goes through (`stack.compose.command(...)` for a process of one's own).
    compose: compose.ComposeProject = field(init=False)
    _db_port: int | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        overrides = () if self.override_file is None else (self.override_file,)
        env_files = (paths.env_file(self.root), *overrides)
        self.compose = compose.ComposeProject(self.root, self.project, env_files, tuple(self.compose_files))

    @classmethod
    def create(
        cls,
        root: Path,
        workdir: Path,
        project: str | None = None,
        build: bool = True,
        overrides: Mapping[str, str] | None = None,
        compose_files: Sequence[Path] = (),
    ) -> Stack:
        """Prepare (not start) a stack: .env completed, an override file giving it free host ports (and
        `overrides`, settings of this stack only, e.g. another TERASERVER_ADMIN_PASSWORD), and `compose_files`
        layered over compose.yaml."""
        envfile.ensure_env_file(paths.env_file(root))
        settings.validate(envfile.effective_values(paths.env_file(root)), source=str(paths.env_file(root)))
        https_port = free_port()
        override = workdir / "devstack-test.env"
        values = {
            "DEVSTACK_HTTPS_PORT": str(https_port),
            "DEVSTACK_BIND_ADDRESS": "127.0.0.1",
            "DEVSTACK_DB_PORT": "",
            "DEVSTACK_REDIS_PORT": "",
            "DEVSTACK_TERASERVER_PORT": "",
            **TEST_SETTINGS,
            **(overrides or {}),
        }
        override.write_text("".join(f"{name}={value}\n" for name, value in values.items()), encoding="utf-8")
        return cls(
            root=root,
            project=project or unique_project_name(),
            https_port=https_port,
            override_file=override,
            build=build,
            compose_files=tuple(compose_files),
        )

    @classmethod
    def attach(cls, root: Path, project: str) -> Stack:
        """A stack already running under Compose project `project` (started by hand); its front door's host
        port is read from `docker compose port proxy 40075`. Raises StackNotRunningError when it is not up."""
        env_path = paths.env_file(root)
        if not env_path.is_file():
            raise StackNotRunningError(f"cannot reuse project {project!r}: {env_path} does not exist")
        stack = cls(root=root, project=project, https_port=0, override_file=None, build=False)
        port = stack.compose.port(compose.PROXY_SERVICE, HTTPS_CONTAINER_PORT)
        if port is None:
            raise StackNotRunningError(
                f"cannot reuse Compose project {project!r}: its proxy publishes no port {HTTPS_CONTAINER_PORT}; "
                f"start it first with `devstack up` or `docker compose -p {project} up --wait`"
            )
        stack.https_port = port
        return stack

    # --- lifecycle -------------------------------------------------------------------------------------
    def up(self, sink: progress.Sink | None = None) -> None:
        """Start (building the images unless build=False); return once every service is healthy.

        A line every few seconds names the services it still waits for: to `sink`, else to the
        `devstack.testing` logger (pytest shows it live with `--log-cli-level=INFO`, and under
        "Captured log setup" on a failure). Raises StackStartError with Compose's output when a service does
        not become healthy."""
        arguments = self.compose.up_arguments(build=self.build)
        result = self.compose.run_with_progress(
            arguments,
            f"starting project {self.project}",
            sink or PROGRESS_LOG.info,
            timeout=None,
            detail=self.compose.waiting_detail(),
        )
        if result.returncode != 0:
            raise StackStartError(self.project, result.output)

    def down(self, volumes: bool = True) -> None:
        """Remove the containers and network (and volumes), and the images this project built (a test stack
        would otherwise leave its `<project>/<service>:dev` tags behind)."""
        with progress.heartbeat(f"removing project {self.project}", PROGRESS_LOG.info):
            self.compose.down(volumes=volumes, timeout=600, check=True)
            remove_project_images(self.project)

    def service_image(self, service: str) -> str:
        """The image of a service as Compose resolves it (variables such as COMPOSE_PROJECT_NAME filled in)."""
        return str(self.config()["services"][service]["image"])

    def config(self) -> dict:
        return self.compose.config()

    def run(self, *arguments: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`docker compose <arguments>` for this project; output captured as text."""
        return self.compose.run(*arguments, check=check, timeout=timeout)

    # --- addresses -------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The front door as a browser on this machine sees it."""
        return compose.front_door_url({"DEVSTACK_HOSTNAME": "localhost"}, self.https_port)

    def host_port(self, service: str, container_port: int) -> int:
        """The 127.0.0.1 port a service's container port is published on."""
        port = self.compose.port(service, container_port)
        if port is None:
            raise RuntimeError(f"{service} of project {self.project} publishes no port {container_port}")
        return port

    def values(self) -> dict[str, str]:
        """The configuration this stack runs with (the repository's .env under the test overrides)."""
        values = envfile.effective_values(paths.env_file(self.root), environ={})
        if self.override_file is not None:
            values.update(envfile.read_values(self.override_file))
        return values

    def copy_ca(self, destination: Path) -> Path:
        """Copy the stack's CA certificate out of the proxy so clients can verify TLS."""
        copied = self.compose.copy_ca(destination)
        if copied.returncode != 0:
            raise RuntimeError(f"cannot copy the CA out of the proxy of {self.project}: {copied.stderr.strip()}")
        return destination

    def logs(self, *services: str, tail: int = 200) -> str:
        return self.compose.logs(*services, tail=tail)

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
        """Run SQL in the stack's PostgreSQL as the superuser; the rows of every statement that returns rows, as
        lists of text fields (PostgreSQL's own text form: `t`/`f`, NULL as ""), as `psql -A -t` prints them.

        Straight to the db service's 127.0.0.1 port (no `docker compose exec` and psql process per statement,
        which cost ~0.2 s each; the suites send over a thousand). One connection per call, in autocommit: several
        statements in `sql` run as one implicit transaction, and a failing one rolls back the others.
        Raises PsqlError naming the database and PostgreSQL's message."""
        try:
            with self._postgres(database) as connection, connection.cursor() as cursor:
                cursor.execute(sql.encode())
                rows: list[list[str]] = []
                while True:
                    result = cursor.pgresult
                    if result is not None and result.status == psycopg.pq.ExecStatus.TUPLES_OK:
                        rows += [
                            [(result.get_value(row, column) or b"").decode() for column in range(result.nfields)]
                            for row in range(result.ntuples)
                        ]
                    if not cursor.nextset():
                        return rows
        except psycopg.Error as error:
            raise PsqlError(f"SQL in database {database!r} of project {self.project} failed: {error}") from error

    def _postgres(self, database: str) -> psycopg.Connection:
        """A new superuser connection to `database` through the db service's published port, read once and read
        again when connecting fails (a recreated db container is published on a new port)."""
        try:
            return self._connect(database)
        except psycopg.OperationalError:
            self._db_port = None
            return self._connect(database)

    def _connect(self, database: str) -> psycopg.Connection:
        if self._db_port is None:
            self._db_port = self.host_port("db", 5432)
        return psycopg.connect(
            host="127.0.0.1",
            port=self._db_port,
            user="postgres",
            password=self.values()["POSTGRES_PASSWORD"],
            dbname=database,
            autocommit=True,
            connect_timeout=30,
        )

    def service_states(self) -> dict[str, dict[str, str]]:
        """Each service's container state and health, from `docker compose ps`."""
        return {
            container.service: {
                "state": container.state,
                "health": container.health,
                "exit_code": "" if container.exit_code is None else str(container.exit_code),
            }
            for container in self.compose.ps()
        }
