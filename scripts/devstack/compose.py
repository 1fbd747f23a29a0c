"""The one gateway to Docker Compose (issue 16): every `docker compose` the CLI, the test kit and the benches run
goes through a `ComposeProject`.

A ComposeProject is a checkout (the project directory), a project name resolved as Compose resolves it, and
optionally env files layered over the checkout's `.env` (a test stack's host ports). It owns the calls
(config, ps, port, exec, cp, logs, up, down, and `run` for anything else), reads `ps` into `Container`s in one
place, knows the front door's URL, and says clearly when Docker itself is the problem.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devstack import envfile, paths, progress, settings

PROXY_SERVICE = "proxy"
# The proxy's TLS port inside its container; DEVSTACK_HTTPS_PORT is the host port published for it.
PROXY_CONTAINER_PORT = 40075
CA_PATH_IN_PROXY = "/etc/nginx/certificates/ca_cert.pem"
# The state of a service of the compose model that has no container.
NOT_CREATED = "not created"
DEFAULT_TIMEOUT_SECONDS = 60.0
# Steps that wait for health: while Compose is quiet, progress lines name the services still awaited.
WAITING_STEPS = {"up", "start", "restart"}


class DockerUnavailableError(RuntimeError):
    """No docker client, no Compose v2 plugin, or no engine answering."""


class ComposeError(RuntimeError):
    """A `docker compose` step failed; the message names the step and carries Compose's own words."""


class PullFailedError(settings.ConfigError):
    """Images the stack needs are not on this machine and cannot be pulled (no registry reachable)."""


def ensure_docker() -> None:
    """Raise DockerUnavailableError with what to do when docker or its engine cannot be used."""
    if shutil.which("docker") is None:
        raise DockerUnavailableError("the `docker` command is not installed: install Docker Engine with Compose v2")
    info = run_docker("info", "--format", "{{.ServerVersion}}")
    if info.returncode != 0:
        detail = (info.stderr or info.stdout).strip().splitlines()
        raise DockerUnavailableError(
            "the Docker engine does not answer (`docker info` failed"
            + (f": {detail[-1]}" if detail else "")
            + "): start it, or check that your user may use it"
        )
    if run_docker("compose", "version", "--short").returncode != 0:
        raise DockerUnavailableError("`docker compose` (Compose v2) is not available: install the compose plugin")


def docker_available() -> bool:
    try:
        ensure_docker()
    except DockerUnavailableError:
        return False
    return True


def run_docker(*arguments: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> subprocess.CompletedProcess[str]:
    """`docker <arguments>` (not Compose: inspect, ps, image, pull), output captured as text."""
    return subprocess.run(["docker", *arguments], capture_output=True, text=True, timeout=timeout)


# --- the project name, resolved as Compose does ----------------------------------------------------------------

_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def checked_project_name(name: str, source: str) -> str:
    """`name` when Compose accepts it as a project name; else ConfigError naming where it came from (Compose
    refuses it too, but later and without saying where the name came from)."""
    if not _PROJECT_NAME.fullmatch(name):
        raise settings.ConfigError(
            f"{source}={name!r} is not a Compose project name "
            "(lowercase letters, digits, '-' and '_', starting with a letter or digit)"
        )
    return name


def resolve_project(root: Path, explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The Compose project name, resolved as Compose does: --project-name, COMPOSE_PROJECT_NAME (shell, then
    .env), the compose file's `name:`, the folder name. Raise ConfigError naming a given name Compose would refuse."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return checked_project_name(explicit, "--project-name")
    if environ.get("COMPOSE_PROJECT_NAME"):
        return checked_project_name(environ["COMPOSE_PROJECT_NAME"], "COMPOSE_PROJECT_NAME")
    from_env_file = envfile.read_values(paths.env_file(root)).get("COMPOSE_PROJECT_NAME")
    if from_env_file:
        return checked_project_name(from_env_file, f"{paths.env_file(root)}: COMPOSE_PROJECT_NAME")
    try:
        document = yaml.safe_load((root / paths.COMPOSE_FILE_NAME).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        document = {}
    name = document.get("name") if isinstance(document, dict) else None
    if name:
        return checked_project_name(str(name), f"{root / paths.COMPOSE_FILE_NAME}: name")
    # The folder name, made a valid project name as Compose does: lowercase, other characters dropped.
    return re.sub(r"[^a-z0-9_-]", "", root.name.lower())


# --- what `docker compose ps` says, read once ------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedPort:
    address: str
    port: int
    target: int


@dataclass(frozen=True)
class Container:
    """One row of `docker compose ps --all --format json`."""

    service: str
    id: str
    name: str
    state: str  # running, exited, restarting, paused, created, dead
    health: str  # healthy, unhealthy, starting, or "" (no healthcheck)
    exit_code: int | None  # set when exited or dead
    image: str
    published: tuple[PublishedPort, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        """ "running (healthy)", "running", "exited (0)"...: state with its health or exit code."""
        detail = self.health or (str(self.exit_code) if self.state == "exited" else "")
        return f"{self.state} ({detail})" if detail else self.state

    def host_port(self, target: int) -> int | None:
        return next((entry.port for entry in self.published if entry.target == target), None)


def _published_ports(publishers: Iterable[Mapping[str, Any]] | None) -> tuple[PublishedPort, ...]:
    seen: dict[tuple[int, int], PublishedPort] = {}
    for publisher in publishers or []:
        port = int(publisher.get("PublishedPort") or 0)
        if port:
            # Docker lists 0.0.0.0 and :: separately for one mapping; keep the first.
            key = (port, int(publisher.get("TargetPort") or 0))
            seen.setdefault(key, PublishedPort(publisher.get("URL") or "", port, key[1]))
    return tuple(seen.values())


def parse_ps(text: str) -> list[Container]:
    """`docker compose ps --format json`: one object per line (Compose >= 2.21) or one JSON array (older)."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.startswith("["):
        rows = json.loads(stripped)
    else:
        rows = [json.loads(line) for line in stripped.splitlines() if line.strip()]
    containers = []
    for row in rows:
        state = str(row.get("State", ""))
        containers.append(
            Container(
                service=str(row.get("Service", "")),
                id=str(row.get("ID", "")),
                name=str(row.get("Name", "")),
                state=state,
                health=str(row.get("Health") or ""),
                exit_code=int(row.get("ExitCode") or 0) if state in ("exited", "dead") else None,
                image=str(row.get("Image") or ""),
                published=_published_ports(row.get("Publishers")),
            )
        )
    return containers


def inspect_containers(container_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`docker inspect` of the containers, by the ID prefix `ps` gave; {} when one vanished in between."""
    ids = [container_id for container_id in container_ids if container_id]
    if not ids:
        return {}
    result = run_docker("inspect", *ids)
    if result.returncode != 0:
        return {}
    inspected = json.loads(result.stdout)
    return {short: full for full in inspected for short in ids if full.get("Id", "").startswith(short)}


def front_door_url(values: Mapping[str, str], port: int | str | None = None) -> str:
    """`https://<DEVSTACK_HOSTNAME>:<port>` (no trailing slash): `port` when the proxy publishes one, else
    DEVSTACK_HTTPS_PORT. The one place the front door's address is made."""
    hostname = values.get("DEVSTACK_HOSTNAME") or "localhost"
    return f"https://{hostname}:{port or values.get('DEVSTACK_HTTPS_PORT') or PROXY_CONTAINER_PORT}"


def front_door_of(values: Mapping[str, str], containers: Iterable[Container]) -> str:
    """The front door as this machine reaches it, from a `ps` already read (trailing slash, as `--json` gives it):
    the proxy's published port when it runs, else the configured one."""
    proxy = next((container for container in containers if container.service == PROXY_SERVICE), None)
    return front_door_url(values, proxy.host_port(PROXY_CONTAINER_PORT) if proxy else None) + "/"


def describe_waiting(states: Mapping[str, str]) -> str:
    """What `up --wait` still waits for: every service neither healthy, nor running without a healthcheck,
    nor a one-shot job that exited 0."""
    waiting = [
        f"{service} {state}"
        for service, state in sorted(states.items())
        if state not in {"running", "running (healthy)", "exited (0)"}
    ]
    if not states:
        return "no container yet (building or creating)"
    return "waiting for " + ", ".join(waiting) if waiting else "every service is up"


# --- pulling: say so when nothing can be pulled (issue 16) -----------------------------------------------------

# What Docker prints when no registry can be reached or the name is unknown there.
_UNREACHABLE = re.compile(
    r"no such host|name resolution|server misbehaving|dial tcp|i/o timeout|network is unreachable|"
    r"connection refused|TLS handshake timeout|pull access denied|not found|manifest unknown|"
    r"Client\.Timeout exceeded",
    re.IGNORECASE,
)


def pull_failure_message(image: str, output: str) -> str:
    """The one line `devstack up` says when `image` is not here and cannot be pulled."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    reason = next((line for line in reversed(lines) if _UNREACHABLE.search(line)), lines[-1] if lines else "")
    why = "no registry reachable" if _UNREACHABLE.search(output) else "the pull failed"
    return (
        f"the image {image} is not on this machine and cannot be pulled ({why}: {reason or 'no output'}); "
        "without a registry, `devstack offline-images` builds drop-in images from Debian packages and records "
        "them in .env"
    )


# --- the gateway ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComposeProject:
    """One Compose project of a checkout: every `docker compose` call of the tooling is made here."""

    root: Path
    name: str
    # Env files given to Compose instead of the checkout's .env alone (the first is that .env); () = Compose's own.
    env_files: tuple[Path, ...] = ()
    # Compose files layered over compose.yaml (`-f compose.yaml -f <each>`), e.g. a test's override; () = none.
    extra_files: tuple[Path, ...] = ()

    @classmethod
    def of_checkout(
        cls, root: Path, explicit: str | None = None, environ: Mapping[str, str] | None = None
    ) -> ComposeProject:
        """The checkout's project: `explicit` (--project-name), else COMPOSE_PROJECT_NAME, compose.yaml's name..."""
        return cls(root, resolve_project(root, explicit, environ))

    # --- running Compose -----------------------------------------------------------------------------------
    def command(self, *arguments: str) -> list[str]:
        """`docker compose ...` for this project, e.g. for a process of one's own (`docker compose watch`)."""
        command = ["docker", "compose", "--project-directory", str(self.root)]
        for env_file in self.env_files:
            command += ["--env-file", str(env_file)]
        if self.extra_files:
            for compose_file in (self.root / "compose.yaml", *self.extra_files):
                command += ["--file", str(compose_file)]
        return [*command, "--project-name", self.name, *arguments]

    def run(
        self,
        *arguments: str,
        check: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT_SECONDS,
        environment: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`docker compose <arguments>`, output captured as text; CalledProcessError on failure when `check`.
        `environment` adds variables to Compose's own environment: a secret given as `run -e NAME` (no value) is
        read from there, so it never appears on a command line."""
        return subprocess.run(
            self.command(*arguments),
            cwd=self.root,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            env={**os.environ, **environment} if environment else None,
        )

    def stream(self, arguments: Sequence[str]) -> int:
        """Run docker compose with its output on our stdout; the exit status.

        On a terminal Compose draws its own live progress (a timer per container), so its output goes straight
        through. Piped (CI, logs), Compose prints plain lines and can stay silent for long while it waits for
        health checks: its lines are passed on, and every few quiet seconds a line says which services it still
        waits for.
        """
        command = self.command(*arguments)
        if progress.stream_is_terminal():
            return subprocess.run(command, cwd=self.root).returncode
        what = f"docker compose {arguments[0]}" if arguments else "docker compose"
        waits = bool(arguments) and arguments[0] in WAITING_STEPS
        result = progress.run_command(
            command, what, echo=True, cwd=self.root, detail=self.waiting_detail() if waits else (lambda: "")
        )
        return result.returncode

    def run_with_progress(
        self,
        arguments: Sequence[str],
        what: str,
        sink: progress.Sink = progress.print_line,
        timeout: float | None = 900,
        detail: progress.Detail | None = None,
    ) -> progress.CommandResult:
        """Run docker compose with its output kept (for an error message) and a progress line while it is quiet,
        carrying `detail()` (e.g. `waiting_detail()`), else Compose's latest output line."""
        return progress.run_command(self.command(*arguments), what, sink, cwd=self.root, timeout=timeout, detail=detail)

    # --- the model and what runs ------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The compose model as Compose resolves it (includes, env files and shell overrides applied)."""
        result = self.run("config", "--format", "json")
        if result.returncode != 0:
            raise ComposeError(f"`docker compose config` failed: {(result.stderr or result.stdout).strip()}")
        return json.loads(result.stdout)

    def services(self) -> dict[str, dict[str, Any]]:
        return self.config().get("services") or {}

    def ps(self, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> list[Container]:
        """Every container of the project, stopped ones too."""
        result = self.run("ps", "--all", "--format", "json", timeout=timeout)
        if result.returncode != 0:
            raise ComposeError(f"`docker compose ps` failed: {(result.stderr or result.stdout).strip()}")
        return parse_ps(result.stdout)

    def states(self, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> dict[str, str]:
        """Compose service -> "running (healthy)", "exited (0)"...; {} when Docker or Compose cannot tell."""
        if shutil.which("docker") is None:
            return {}
        try:
            return {container.service: container.summary for container in self.ps(timeout=timeout)}
        except (OSError, ValueError, subprocess.TimeoutExpired, ComposeError):
            return {}

    def is_running(self, service: str) -> bool:
        """Whether `service` has a running container (False without Docker)."""
        return self.states().get(service, "").startswith("running")

    def waiting_detail(self) -> progress.Detail:
        """A heartbeat detail naming the services Compose still waits for (a quick `ps`)."""
        return lambda: describe_waiting(self.states(timeout=10))

    def port(self, service: str, target: int) -> int | None:
        """The host port `service` publishes its container port `target` on; None when it publishes none."""
        if shutil.which("docker") is None:
            return None
        result = self.run("port", service, str(target))
        address = result.stdout.strip().splitlines()[0] if result.returncode == 0 and result.stdout.strip() else ""
        return int(address.rsplit(":", 1)[1]) if ":" in address else None

    def front_door_url(self, values: Mapping[str, str]) -> str:
        """The front door as this machine reaches it: the proxy's published port when it runs, else the configured."""
        return front_door_url(values, self.port(PROXY_SERVICE, PROXY_CONTAINER_PORT))

    def exec(
        self,
        service: str,
        *command: str,
        user: str | None = None,
        environment: Mapping[str, str] | None = None,
        detach: bool = False,
        check: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT_SECONDS,
    ) -> subprocess.CompletedProcess[str]:
        """`docker compose exec -T` (no terminal: output captured)."""
        options = ["-d"] if detach else ["-T"]
        if user:
            options += ["-u", user]
        for name, value in (environment or {}).items():
            options += ["-e", f"{name}={value}"]
        return self.run("exec", *options, service, *command, check=check, timeout=timeout)

    def cp(self, source: str, destination: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """`docker compose cp` (`service:/path` on either side)."""
        return self.run("cp", source, destination, check=check)

    def copy_ca(self, destination: Path) -> subprocess.CompletedProcess[str]:
        """Copy the stack's CA certificate out of the proxy (the host has no other copy)."""
        return self.cp(f"{PROXY_SERVICE}:{CA_PATH_IN_PROXY}", str(destination))

    def logs(self, *services: str, tail: int = 200, prefix: bool = True) -> str:
        """The services' last `tail` log lines (all services when none is named), stdout and stderr together."""
        options = ["--no-color", "--tail", str(tail)] + ([] if prefix else ["--no-log-prefix"])
        result = self.run("logs", *options, *services)
        return result.stdout + result.stderr

    # --- lifecycle ----------------------------------------------------------------------------------------------
    def up_arguments(self, services: Sequence[str] = (), build: bool = False, no_deps: bool = False) -> list[str]:
        return [
            "up", "--detach", "--wait", *(["--build"] if build else []), *(["--no-deps"] if no_deps else []),
            *services,
        ]  # fmt: skip

    def up(self, services: Sequence[str] = (), build: bool = False, no_deps: bool = False) -> int:
        """`up --detach --wait` with Compose's output on our stdout; the exit status (0: every service healthy)."""
        return self.stream(self.up_arguments(services, build, no_deps))

    def down(
        self, volumes: bool = False, timeout: float | None = 300, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Remove the project's containers and network (and volumes), orphans included."""
        return self.run("down", *(["--volumes"] if volumes else []), "--remove-orphans", check=check, timeout=timeout)

    # --- images: what must come from a registry ---------------------------------------------------------------
    def images_to_pull(self, services: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
        """Images the stack needs from a registry: those of services without a build, and the `*_IMAGE` build
        arguments (the base every Dockerfile starts FROM)."""
        services = self.services() if services is None else services
        images: set[str] = set()
        for service in services.values():
            build = service.get("build")
            if build:
                arguments = build.get("args") or {}
                images.update(str(value) for name, value in arguments.items() if name.endswith("_IMAGE"))
            elif service.get("image"):
                images.add(str(service["image"]))
        return sorted(images)

    def ensure_images(self, sink: progress.Sink = progress.print_line) -> None:
        """Pull the images the stack needs that this machine lacks; PullFailedError naming `devstack offline-images`
        when one cannot be pulled. Done before `up`, whose own error would be Docker's raw name-resolution line."""
        for image in self.images_to_pull():
            if run_docker("image", "inspect", "--format", "{{.Id}}", image).returncode == 0:
                continue
            pulled = progress.run_command(["docker", "pull", image], f"pulling {image}", sink, timeout=1800)
            if pulled.returncode != 0:
                raise PullFailedError(pull_failure_message(image, pulled.output))


def checkout(root: Path | None = None, project: str | None = None) -> ComposeProject:
    """The project of the checkout at `root` (default: the one we run in), named by `project` when given."""
    return ComposeProject.of_checkout(root or paths.repo_root(), project)
