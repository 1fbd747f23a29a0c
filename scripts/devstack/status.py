"""`devstack status`: every service of the stack in one table, plus what a developer needs to reach it.

For each Compose service: health, public URL through the front door, internal port(s), host port(s), image
and uptime; for a service that is unhealthy, exited or missing, its last log lines. Then the credentials and
addresses (TeraServer admin, where the passwords are, the CA command), and any host port the stack needs that
something else already holds (the same check `devstack up` runs before starting: `ensure_host_ports_free`).

Exit status: 0 when every service is fine (running, healthy if it has a healthcheck, or a one-shot job that
completed), 1 otherwise (including a stack that is not started), 2 when the command itself cannot run.

`devstack status --json` prints one object (schema_version 1):

    {
      "schema_version": 1,
      "project": "opentera-devstack",          Compose project name
      "healthy": true,                         every service "ok"
      "front_door": "https://localhost:40075/",
      "services": [                            every Compose service, sorted by name
        {
          "service": "db",
          "state": "running",                  Docker state: running, exited, restarting, paused, created,
                                               dead, or "not created" (no container)
          "health": "healthy",                 healthy, unhealthy, starting, or "" (no healthcheck / not running)
          "status": "healthy",                 one word for people: healthy, running, starting, unhealthy,
                                               completed (one-shot job exited 0), exited (<code>), not created...
          "ok": true,
          "url": null,                         public URL through the front door, or null
          "internal_ports": [5432],            container ports
          "published": [{"address": "127.0.0.1", "port": 32788, "target": 5432}],
          "image": "postgres:15-bookworm",
          "started_at": "2026-11-28T04:25:48Z",   null when not running
          "uptime_seconds": 312,               null when not running
          "exit_code": null,                   set when the container has exited
          "logs": []                           last log lines when not ok, else []
        }
      ],
      "port_conflicts": [                      host ports the stack needs that something else holds
        {"variable": "DEVSTACK_HTTPS_PORT", "address": "127.0.0.1", "port": 40075,
         "holder": "container other-proxy-1 (Compose project other)"}
      ],
      "nginx_refused": null,                   with the proxy running: nginx -t's message when it refuses the
                                               checkout's NGINX files (left out at its next start), else null
      "access": {
        "front_door": "https://localhost:40075/",
        "api_login": "https://localhost:40075/api/user/login",
        "swagger_ui": "https://localhost:40075/doc",
        "teraserver_admin": {"username": "admin", "password": "admin"},   .env's TERASERVER_ADMIN_*; a password
                                               other than upstream's default is null (read it in the env file)
        "env_file": "/path/to/.env",
        "passwords": {"POSTGRES_PASSWORD": "...what it is for...", ...},   names only, never values
        "ca_certificate_command": "docker compose -p opentera-devstack cp proxy:/etc/... .",
        "postgres_command": "psql -h 127.0.0.1 -p 32788 -U teraagent opentera",   null when not published
        "redis_command": "redis-cli -h 127.0.0.1 -p 32789 --askpass"              null when not published
      }
    }
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from devstack import compose, envfile, errors, manifest, nginx, paths, settings

SCHEMA_VERSION = 1
CA_PATH_IN_PROXY = "/etc/nginx/certificates/ca_cert.pem"
PROXY_SERVICE = "proxy"
PROXY_CONTAINER_PORT = 40075
# Services answering at the front door's root: NGINX itself, and TeraServer behind `location /`.
ROOT_SERVED_SERVICES = (PROXY_SERVICE, "teraserver")
DEFAULT_LOG_LINES = 15
NOT_CREATED = "not created"

PASSWORD_PURPOSES = {
    "POSTGRES_PASSWORD": "PostgreSQL superuser `postgres`",
    "TERASERVER_DB_PASSWORD": "PostgreSQL role `teraagent` (owns TeraServer's and the services' databases)",
    "REDIS_PASSWORD": "Redis",
}

# The host ports the stack publishes, by the variable that sets each one (empty = random, never in conflict).
HOST_PORT_VARIABLES: tuple[tuple[str, str | None], ...] = (
    ("DEVSTACK_HTTPS_PORT", "DEVSTACK_BIND_ADDRESS"),
    ("DEVSTACK_DB_PORT", None),
    ("DEVSTACK_REDIS_PORT", None),
    ("DEVSTACK_TERASERVER_PORT", None),
)
LOOPBACK = "127.0.0.1"


class StatusError(RuntimeError):
    """Compose could not describe the stack (bad compose file, bad .env...)."""


class PortConflictError(settings.ConfigError):
    """A host port the stack needs is taken; the message names the variable, the port and who holds it."""


# --- what the stack should be: project name, services, manifests ---------------------------------------------


_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _checked_project(name: str, source: str) -> str:
    # Compose refuses such names too, but later and without saying where the name came from.
    if not _PROJECT_NAME.fullmatch(name):
        raise settings.ConfigError(
            f"{source}={name!r} is not a Compose project name "
            "(lowercase letters, digits, '-' and '_', starting with a letter or digit)"
        )
    return name


def resolve_project(root: Path, explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The Compose project name, resolved as Compose does: --project, COMPOSE_PROJECT_NAME (shell, then .env),
    the compose file's `name:`, the folder name. Raise ConfigError naming a given name Compose would refuse."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return _checked_project(explicit, "--project")
    if environ.get("COMPOSE_PROJECT_NAME"):
        return _checked_project(environ["COMPOSE_PROJECT_NAME"], "COMPOSE_PROJECT_NAME")
    from_env_file = envfile.read_values(paths.env_file(root)).get("COMPOSE_PROJECT_NAME")
    if from_env_file:
        return _checked_project(from_env_file, f"{paths.env_file(root)}: COMPOSE_PROJECT_NAME")
    try:
        document = yaml.safe_load((root / paths.COMPOSE_FILE_NAME).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        document = {}
    name = document.get("name") if isinstance(document, dict) else None
    if name:
        return _checked_project(str(name), f"{root / paths.COMPOSE_FILE_NAME}: name")
    # The folder name, made a valid project name as Compose does: lowercase, other characters dropped.
    return re.sub(r"[^a-z0-9_-]", "", root.name.lower())


def _run(command: list[str], cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def compose_services(root: Path, project: str) -> dict[str, dict[str, Any]]:
    """The services of the compose model as Compose resolves it (includes, .env and shell overrides applied)."""
    result = _run(compose.compose_command(root, "config", "--format", "json", project=project), cwd=root)
    if result.returncode != 0:
        raise StatusError(f"`docker compose config` failed: {result.stderr.strip() or result.stdout.strip()}")
    return json.loads(result.stdout).get("services") or {}


def read_manifests(root: Path, warn: Callable[[str], None] | None = None) -> dict[str, manifest.Manifest]:
    """The services' manifests by Compose service name (a manifest's folder); a broken one is skipped with a
    warning, so that status still shows everything else."""
    found: dict[str, manifest.Manifest] = {}
    for path in manifest.manifest_paths(root):
        try:
            loaded = manifest.load_manifest(path, root)
        except manifest.ManifestError as error:
            if warn:
                warn(f"ignoring a broken manifest: {error}")
            continue
        found[loaded.folder] = loaded
    return found


# --- what runs: docker compose ps, docker inspect, logs -----------------------------------------------------


def parse_ps_output(text: str) -> list[dict[str, Any]]:
    """Rows of `docker compose ps --format json`: one object per line (Compose >= 2.21) or one JSON array."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.startswith("["):
        return list(json.loads(stripped))
    return [json.loads(line) for line in stripped.splitlines() if line.strip()]


def compose_ps(root: Path, project: str) -> list[dict[str, Any]]:
    result = _run(compose.compose_command(root, "ps", "--all", "--format", "json", project=project), cwd=root)
    if result.returncode != 0:
        raise StatusError(f"`docker compose ps` failed: {result.stderr.strip()}")
    return parse_ps_output(result.stdout)


def inspect_containers(container_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`docker inspect` of the containers, by the ID prefix `compose ps` printed."""
    ids = list(container_ids)
    if not ids:
        return {}
    result = _run(["docker", "inspect", *ids])
    if result.returncode != 0:
        # A container removed between `ps` and `inspect`: report what ps said, without uptime.
        return {}
    inspected = json.loads(result.stdout)
    return {short: full for full in inspected for short in ids if full.get("Id", "").startswith(short)}


_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def service_logs(root: Path, project: str, service: str, lines: int) -> list[str]:
    command = compose.compose_command(
        root, "logs", "--no-color", "--no-log-prefix", "--tail", str(lines), service, project=project
    )
    result = _run(command, cwd=root)
    # Compose writes terminal control codes (erase-line) even with --no-color: keep the text only.
    text = _TERMINAL_CODES.sub("", result.stdout + result.stderr)
    return text.splitlines()[-lines:]


# --- the report -----------------------------------------------------------------------------------------------


@dataclass
class PublishedPort:
    address: str
    port: int
    target: int


@dataclass
class ServiceStatus:
    service: str
    state: str
    health: str
    status: str
    ok: bool
    url: str | None
    internal_ports: list[int]
    published: list[PublishedPort]
    image: str
    started_at: str | None
    uptime_seconds: int | None
    exit_code: int | None
    logs: list[str] = field(default_factory=list)


@dataclass
class PortConflict:
    variable: str
    address: str
    port: int
    holder: str

    def message(self) -> str:
        return (
            f"{self.variable}={self.port}: {self.address}:{self.port} is already in use by {self.holder}; "
            f"stop it, or set another port for {self.variable} in .env"
        )


@dataclass
class StatusReport:
    project: str
    healthy: bool
    front_door: str
    services: list[ServiceStatus]
    port_conflicts: list[PortConflict]
    nginx_refused: str | None
    access: dict[str, Any]
    schema_version: int = SCHEMA_VERSION

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # schema_version first, for whoever reads the JSON by eye.
        return {"schema_version": data.pop("schema_version"), **data}


_DOCKER_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def parse_docker_time(text: str) -> datetime | None:
    """Docker's RFC 3339 time with nanoseconds (Python before 3.11 reads at most microseconds); None for unset."""
    match = _DOCKER_TIME.match(text or "")
    if not match or match.group(1).startswith("0001-"):
        return None
    fraction = (match.group(2) or "0")[:6].ljust(6, "0")
    offset = match.group(3) or "Z"
    return datetime.fromisoformat(f"{match.group(1)}.{fraction}{'+00:00' if offset == 'Z' else offset}")


def format_uptime(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _published_ports(row: Mapping[str, Any] | None) -> list[PublishedPort]:
    seen: dict[tuple[int, int], PublishedPort] = {}
    for publisher in (row or {}).get("Publishers") or []:
        port = int(publisher.get("PublishedPort") or 0)
        if port:
            # Docker lists 0.0.0.0 and :: separately for one mapping; keep the first.
            key = (port, int(publisher.get("TargetPort") or 0))
            seen.setdefault(key, PublishedPort(publisher.get("URL") or "", port, key[1]))
    return list(seen.values())


def _internal_ports(
    config: Mapping[str, Any], published: list[PublishedPort], service_manifest: manifest.Manifest | None
) -> list[int]:
    ports: set[int] = {entry.target for entry in published}
    for entry in config.get("ports") or []:
        if isinstance(entry, dict) and entry.get("target"):
            ports.add(int(entry["target"]))
    for entry in config.get("expose") or []:
        text = str(entry).split("/")[0]
        if text.isdigit():
            ports.add(int(text))
    if not ports and service_manifest:
        ports.add(service_manifest.port)
    return sorted(ports)


def _restart_policy(config: Mapping[str, Any], inspected: Mapping[str, Any] | None) -> str:
    from_container = ((inspected or {}).get("HostConfig") or {}).get("RestartPolicy", {}).get("Name")
    return str(from_container or config.get("restart") or "no")


def _judge(state: str, health: str, exit_code: int | None, restart: str) -> tuple[str, bool]:
    """The one-word status and whether it is fine."""
    if state == "running":
        if health in ("", "healthy"):
            return (health or "running"), True
        return health, False
    if state == "exited":
        # A one-shot job (restart "no") that finished cleanly did its work; a long-running service must run.
        if exit_code == 0 and restart in ("no", ""):
            return "completed", True
        return f"exited ({exit_code})", False
    return state, False


def front_door_url(values: Mapping[str, str], ps_rows: Iterable[Mapping[str, Any]]) -> str:
    """The front door as this machine reaches it: the proxy's actual host port when it runs, else the configured."""
    port = values.get("DEVSTACK_HTTPS_PORT", "40075")
    for row in ps_rows:
        if row.get("Service") == PROXY_SERVICE:
            for published in _published_ports(row):
                if published.target == PROXY_CONTAINER_PORT:
                    port = str(published.port)
    return f"https://{values.get('DEVSTACK_HOSTNAME', 'localhost')}:{port}/"


def build_services(
    config_services: Mapping[str, Mapping[str, Any]],
    ps_rows: Iterable[Mapping[str, Any]],
    inspected: Mapping[str, Mapping[str, Any]],
    manifests: Mapping[str, manifest.Manifest],
    front_door: str,
    now: datetime,
) -> list[ServiceStatus]:
    """One status per service of the compose model, plus any container of the project outside it (an orphan,
    or a service of a profile that is not active here)."""
    rows = {str(row.get("Service")): row for row in ps_rows}
    statuses: list[ServiceStatus] = []
    for name in sorted(set(config_services) | set(rows)):
        config = config_services.get(name, {})
        row = rows.get(name)
        details = inspected.get(str(row.get("ID"))) if row else None
        service_manifest = manifests.get(name)
        published = _published_ports(row)
        state = str(row.get("State", "")) if row else NOT_CREATED
        health = str(row.get("Health") or "") if row else ""
        exit_code = int(row.get("ExitCode", 0)) if row and state in ("exited", "dead") else None
        status, ok = _judge(state, health, exit_code, _restart_policy(config, details))
        started = parse_docker_time(((details or {}).get("State") or {}).get("StartedAt", "")) if details else None
        running = state == "running" and started is not None
        if name in ROOT_SERVED_SERVICES:
            url: str | None = front_door
        elif service_manifest:
            url = front_door.rstrip("/") + "/" + service_manifest.prefix.strip("/") + "/"
        else:
            url = None
        image = ((details or {}).get("Config") or {}).get("Image") or config.get("image") or (row or {}).get("Image")
        statuses.append(
            ServiceStatus(
                service=name,
                state=state,
                health=health,
                status=status,
                ok=ok,
                url=url,
                internal_ports=_internal_ports(config, published, service_manifest),
                published=published,
                image=str(image or ""),
                started_at=started.strftime("%Y-%m-%dT%H:%M:%SZ") if running and started else None,
                uptime_seconds=max(0, int((now - started).total_seconds())) if running and started else None,
                exit_code=exit_code,
            )
        )
    return statuses


def admin_account(values: Mapping[str, str]) -> dict[str, str | None]:
    """The superadmin to log in as; its password only while it is upstream's well-known default."""
    username, password = settings.admin_credentials(values)
    return {"username": username, "password": password if password == "admin" else None}


def access_info(
    project: str, front_door: str, env_file: Path, services: Iterable[ServiceStatus], values: Mapping[str, str]
) -> dict[str, Any]:
    """Credentials and addresses a developer needs (password names and where they are, never their values)."""
    by_name = {status.service: status for status in services}

    def host_port(service: str, target: int) -> int | None:
        status = by_name.get(service)
        for published in status.published if status else []:
            if published.target == target:
                return published.port
        return None

    db_port, redis_port = host_port("db", 5432), host_port("redis", 6379)
    return {
        "front_door": front_door,
        "api_login": front_door + "api/user/login",
        "swagger_ui": front_door + "doc",
        "teraserver_admin": admin_account(values),
        "env_file": str(env_file),
        "passwords": dict(PASSWORD_PURPOSES),
        "ca_certificate_command": f"docker compose -p {project} cp {PROXY_SERVICE}:{CA_PATH_IN_PROXY} .",
        "postgres_command": f"psql -h {LOOPBACK} -p {db_port} -U teraagent opentera" if db_port else None,
        "redis_command": f"redis-cli -h {LOOPBACK} -p {redis_port} --askpass" if redis_port else None,
    }


# --- host ports: is what the stack wants to publish free? -----------------------------------------------------


@dataclass(frozen=True)
class WantedPort:
    variable: str
    address: str
    port: int


def wanted_host_ports(values: Mapping[str, str]) -> list[WantedPort]:
    """The fixed host ports the configuration asks for (empty variables mean a random port: nothing to check)."""
    wanted: list[WantedPort] = []
    for variable, address_variable in HOST_PORT_VARIABLES:
        value = values.get(variable, "")
        if value.isdigit():
            address = values.get(address_variable, LOOPBACK) if address_variable else LOOPBACK
            wanted.append(WantedPort(variable, address or LOOPBACK, int(value)))
    return wanted


def port_is_free(address: str, port: int) -> bool:
    """Whether we could listen on address:port now (SO_REUSEADDR: a port in TIME_WAIT counts as free)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


_PORT_MAPPING = re.compile(r"(\d+)(?:-(\d+))?->")


def parse_docker_ports(text: str) -> list[int]:
    """Host ports in `docker ps`'s Ports column, e.g. "127.0.0.1:8000-8001->80-81/tcp, :::5432->5432/tcp"."""
    ports: list[int] = []
    for first, last in _PORT_MAPPING.findall(text or ""):
        ports.extend(range(int(first), int(last or first) + 1))
    return ports


@dataclass(frozen=True)
class PortHolder:
    container: str
    project: str

    def describe(self) -> str:
        return f"container {self.container}" + (f" (Compose project {self.project})" if self.project else "")


def docker_port_holders() -> dict[int, list[PortHolder]]:
    """Running containers by the host ports they publish ({} when Docker cannot be asked)."""
    try:
        result = _run(
            ["docker", "ps", "--format", '{{.Names}}\t{{.Label "com.docker.compose.project"}}\t{{.Ports}}'],
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    holders: dict[int, list[PortHolder]] = {}
    for line in result.stdout.splitlines() if result.returncode == 0 else []:
        name, project, ports = (line.split("\t") + ["", ""])[:3]
        for port in parse_docker_ports(ports):
            holders.setdefault(port, []).append(PortHolder(name, project))
    return holders


def find_port_conflicts(
    wanted: Iterable[WantedPort],
    own_project: str,
    holders: Mapping[int, list[PortHolder]],
    is_free: Callable[[str, int], bool] = port_is_free,
) -> list[PortConflict]:
    """The wanted ports something other than our own project holds, each with who holds it."""
    conflicts: list[PortConflict] = []
    for port in wanted:
        owners = holders.get(port.port, [])
        if any(owner.project == own_project for owner in owners):
            continue  # our own running stack publishes it: that is no conflict
        if owners:
            holder = ", ".join(owner.describe() for owner in owners)
        elif not is_free(port.address, port.port):
            holder = "another program on this machine (`ss -ltnp` shows which)"
        else:
            continue
        conflicts.append(PortConflict(port.variable, port.address, port.port, holder))
    return conflicts


def ensure_host_ports_free(values: Mapping[str, str], project: str | None = None) -> None:
    """Raise PortConflictError naming each fixed host port of the configuration that something else holds.

    For `devstack up` and `devstack reset`, before starting: Compose's own error comes late and does not say
    which variable to change. Ports our own project already publishes are fine (an `up` of a running stack).
    """
    project = project or resolve_project(paths.repo_root())
    conflicts = find_port_conflicts(wanted_host_ports(values), project, docker_port_holders())
    if conflicts:
        raise PortConflictError("\n".join(conflict.message() for conflict in conflicts))


# --- collecting and rendering ---------------------------------------------------------------------------------


def collect_report(root: Path, project: str, values: Mapping[str, str], log_lines: int) -> StatusReport:
    config_services = compose_services(root, project)
    ps_rows = compose_ps(root, project)
    inspected = inspect_containers(str(row["ID"]) for row in ps_rows if row.get("ID"))
    front_door = front_door_url(values, ps_rows)
    manifests = read_manifests(
        root, warn=lambda message: print(f"devstack status: warning: {message}", file=sys.stderr)
    )
    services = build_services(config_services, ps_rows, inspected, manifests, front_door, datetime.now(timezone.utc))
    for status in services:
        if not status.ok and status.state != NOT_CREATED and log_lines > 0:
            status.logs = service_logs(root, project, status.service, log_lines)
    conflicts = find_port_conflicts(wanted_host_ports(values), project, docker_port_holders())
    refused = nginx_refusal(root, services)
    return StatusReport(
        project=project,
        healthy=bool(services) and all(status.ok for status in services) and refused is None,
        front_door=front_door,
        services=services,
        port_conflicts=conflicts,
        nginx_refused=refused,
        access=access_info(project, front_door, paths.env_file(root), services, values),
    )


def nginx_refusal(root: Path, services: list[ServiceStatus]) -> str | None:
    """With the proxy running, nginx -t on the checkout's NGINX files there: a reload keeps the old
    configuration when they are broken (a hand edit), but the proxy's next start would fail (issue 17)."""
    if not any(status.service == nginx.PROXY_SERVICE and status.state == "running" for status in services):
        return None
    try:
        nginx.check(root, nginx.candidate_services(root, {}, []))
    except nginx.NginxCheckError as error:
        return str(error)
    return None


def render_json(report: StatusReport) -> str:
    return json.dumps(report.as_dict(), indent=2)


TABLE_HEADER = ("SERVICE", "STATUS", "URL", "PORT", "PUBLISHED", "IMAGE", "UPTIME")


def _table_row(status: ServiceStatus) -> tuple[str, ...]:
    return (
        status.service,
        status.status,
        status.url or "-",
        ",".join(str(port) for port in status.internal_ports) or "-",
        ",".join(f"{entry.address}:{entry.port}" for entry in status.published) or "-",
        status.image or "-",
        format_uptime(status.uptime_seconds),
    )


def render_table(report: StatusReport) -> str:
    rows = [TABLE_HEADER, *(_table_row(status) for status in report.services)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(TABLE_HEADER))]
    lines = [f"project {report.project}: " + ("healthy" if report.healthy else "NOT healthy"), ""]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    if all(status.state == NOT_CREATED for status in report.services):
        lines += ["", "the stack is not started: `devstack up` starts it"]
    for status in report.services:
        if status.logs:
            lines += ["", f"{status.service} is {status.status}; its last {len(status.logs)} log lines:"]
            lines += [f"  | {line}" for line in status.logs]
    if report.port_conflicts:
        lines += ["", "host ports already taken (`devstack up` would fail):"]
        lines += [f"  {conflict.message()}" for conflict in report.port_conflicts]
    if report.nginx_refused:
        lines += ["", "NGINX files the proxy refuses (left out at its next start; a reload keeps the previous ones):"]
        lines += [f"  {line}" for line in report.nginx_refused.splitlines()]
    access = report.access
    admin = access["teraserver_admin"]
    password = admin["password"] or "(TERASERVER_ADMIN_PASSWORD in the env file)"
    lines += [
        "",
        f"TeraServer     {access['front_door']}  login {admin['username']} / {password}"
        f"  ({access['api_login']}, Swagger UI {access['swagger_ui']})",
        f"passwords      in {access['env_file']}:",
        *(f"                 {name:<24} {purpose}" for name, purpose in access["passwords"].items()),
        f"CA to trust    {access['ca_certificate_command']}",
    ]
    if access["postgres_command"]:
        lines.append(f"PostgreSQL     {access['postgres_command']}   (password TERASERVER_DB_PASSWORD)")
    if access["redis_command"]:
        lines.append(f"Redis          {access['redis_command']}   (password REDIS_PASSWORD)")
    return "\n".join(lines)


# --- the command ----------------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    compose.ensure_docker()
    values = envfile.effective_values(paths.env_file(root))
    project = resolve_project(root, args.project)
    try:
        report = collect_report(root, project, values, args.log_lines)
    except StatusError as error:
        errors.report("status", error)
        return errors.EXIT_ERROR
    print(render_json(report) if args.json else render_table(report))
    return 0 if report.healthy else 1


def _non_negative_count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of lines (0 or more)")
    return int(text)


def add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        "-p",
        metavar="NAME",
        help="Compose project name (default: COMPOSE_PROJECT_NAME, else the compose file's `name`)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "status",
        help="one table of every service: health, URL, ports, image, uptime; credentials; port conflicts",
        description="Show every service of the stack with its health, public URL, internal and host ports, image "
        "and uptime, the last log lines of any service that is not fine, the credentials and addresses to use, "
        "and any fixed host port something else already holds. Exit status 0 when all is fine, else 1. "
        "Variables set in the environment (DEVSTACK_HTTPS_PORT...) override .env, as for Compose.",
    )
    add_project_option(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (schema in `pydoc devstack.status`)")
    parser.add_argument(
        "--log-lines",
        type=_non_negative_count,
        default=DEFAULT_LOG_LINES,
        metavar="N",
        help=f"log lines shown per service that is not fine (default {DEFAULT_LOG_LINES}, 0 for none)",
    )
    parser.set_defaults(func=cmd_status)
