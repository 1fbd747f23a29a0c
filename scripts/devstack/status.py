"""`devstack status`: every service of the stack in one table, plus what a developer needs to reach it.

For each Compose service: health, public URL through the front door, internal port(s), host port(s), image
and uptime; for a service that is unhealthy, exited or missing, its last log lines. Then the credentials and
addresses (TeraServer admin, where the passwords are, the CA command), and any host port the stack needs that
something else already holds (the same check `devstack up` runs before starting: `host_ports`).

Exit status: 0 when every service is fine (running, healthy if it has a healthcheck, or a one-shot job that
completed), 1 otherwise (including a stack that is not started), 2 when the command itself cannot run.

`devstack status --json` prints one object (schema_version 1), starting with the envelope every command's
`--json` shares (`options.ENVELOPE_KEYS`); its top-level keys are `JSON_KEYS`:

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
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from devstack import compose, envfile, errors, host_ports, manifest, nginx, options, paths, settings
from devstack.compose import NOT_CREATED, PROXY_SERVICE, Container, PublishedPort
from devstack.host_ports import PortConflict

# Services answering at the front door's root: NGINX itself, and TeraServer behind `location /`.
ROOT_SERVED_SERVICES = (PROXY_SERVICE, "teraserver")
DEFAULT_LOG_LINES = 15

PASSWORD_PURPOSES = {
    "POSTGRES_PASSWORD": "PostgreSQL superuser `postgres`",
    "TERASERVER_DB_PASSWORD": "PostgreSQL role `teraagent` (owns TeraServer's and the services' databases)",
    "REDIS_PASSWORD": "Redis",
}
LOOPBACK = host_ports.LOOPBACK


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


_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def service_logs(project: compose.ComposeProject, service: str, lines: int) -> list[str]:
    # Compose writes terminal control codes (erase-line) even with --no-color: keep the text only.
    text = _TERMINAL_CODES.sub("", project.logs(service, tail=lines, prefix=False))
    return text.splitlines()[-lines:]


# --- the report -----------------------------------------------------------------------------------------------


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
class StatusReport:
    # The envelope's keys first (options.ENVELOPE_KEYS), in its order; then status's own.
    project: str
    healthy: bool
    front_door: str
    services: list[ServiceStatus]
    port_conflicts: list[PortConflict]
    nginx_refused: str | None
    access: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        own = {name: data[name] for name in data if name not in options.ENVELOPE_KEYS}
        return options.envelope(self.project, self.healthy, self.front_door, data["services"], **own)


# The keys of each service in `status --json`.
SERVICE_KEYS: tuple[str, ...] = tuple(item.name for item in fields(ServiceStatus))
# The top-level keys of `status --json`, in order: written here once (tests read them from here).
JSON_KEYS: tuple[str, ...] = (
    *options.ENVELOPE_KEYS,
    *(item.name for item in fields(StatusReport) if item.name not in options.ENVELOPE_KEYS),
)


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


def build_services(
    config_services: Mapping[str, Mapping[str, Any]],
    containers: Iterable[Container],
    inspected: Mapping[str, Mapping[str, Any]],
    manifests: Mapping[str, manifest.Manifest],
    front_door: str,
    now: datetime,
) -> list[ServiceStatus]:
    """One status per service of the compose model, plus any container of the project outside it (an orphan,
    or a service of a profile that is not active here)."""
    by_service = {container.service: container for container in containers}
    statuses: list[ServiceStatus] = []
    for name in sorted(set(config_services) | set(by_service)):
        config = config_services.get(name, {})
        container = by_service.get(name)
        details = inspected.get(container.id) if container else None
        service_manifest = manifests.get(name)
        published = list(container.published) if container else []
        state = container.state if container else NOT_CREATED
        health = container.health if container else ""
        exit_code = container.exit_code if container else None
        status, ok = _judge(state, health, exit_code, _restart_policy(config, details))
        started = parse_docker_time(((details or {}).get("State") or {}).get("StartedAt", "")) if details else None
        running = state == "running" and started is not None
        if name in ROOT_SERVED_SERVICES:
            url: str | None = front_door
        elif service_manifest:
            url = front_door.rstrip("/") + "/" + service_manifest.prefix.strip("/") + "/"
        else:
            url = None
        image = ((details or {}).get("Config") or {}).get("Image") or config.get("image")
        image = image or (container.image if container else "")
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
        "ca_certificate_command": f"docker compose -p {project} cp {PROXY_SERVICE}:{compose.CA_PATH_IN_PROXY} .",
        "postgres_command": f"psql -h {LOOPBACK} -p {db_port} -U teraagent opentera" if db_port else None,
        "redis_command": f"redis-cli -h {LOOPBACK} -p {redis_port} --askpass" if redis_port else None,
    }


# --- collecting and rendering ---------------------------------------------------------------------------------


def collect_report(project: compose.ComposeProject, values: Mapping[str, str], log_lines: int) -> StatusReport:
    config_services = project.services()
    containers = project.ps()
    inspected = compose.inspect_containers(container.id for container in containers)
    front_door = compose.front_door_of(values, containers)
    manifests = read_manifests(
        project.root, warn=lambda message: print(f"devstack status: warning: {message}", file=sys.stderr)
    )
    services = build_services(config_services, containers, inspected, manifests, front_door, datetime.now(timezone.utc))
    for status in services:
        if not status.ok and status.state != NOT_CREATED and log_lines > 0:
            status.logs = service_logs(project, status.service, log_lines)
    refused = nginx_refusal(project.root, services)
    return StatusReport(
        project=project.name,
        healthy=bool(services) and all(status.ok for status in services) and refused is None,
        front_door=front_door,
        services=services,
        port_conflicts=host_ports.conflicts_of(values, project.name),
        nginx_refused=refused,
        access=access_info(project.name, front_door, paths.env_file(project.root), services, values),
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
    return options.render_json(report.as_dict())


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
    project = options.compose_project(args, root)
    try:
        report = collect_report(project, values, args.log_lines)
    except compose.ComposeError as error:
        errors.report("status", error)
        return errors.EXIT_ERROR
    print(render_json(report) if args.json else render_table(report))
    return 0 if report.healthy else 1


def _non_negative_count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of lines (0 or more)")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "status",
        help="one table of every service: health, URL, ports, image, uptime; credentials; port conflicts",
        description="Show every service of the stack with its health, public URL, internal and host ports, image "
        "and uptime, the last log lines of any service that is not fine, the credentials and addresses to use, "
        "and any fixed host port something else already holds. Exit status 0 when all is fine, else 1. "
        "Variables set in the environment (DEVSTACK_HTTPS_PORT...) override .env, as for Compose.",
    )
    options.add_json_option(parser, "schema in `pydoc devstack.status`")
    parser.add_argument(
        "--log-lines",
        type=_non_negative_count,
        default=DEFAULT_LOG_LINES,
        metavar="N",
        help=f"log lines shown per service that is not fine (default {DEFAULT_LOG_LINES}, 0 for none)",
    )
    parser.set_defaults(func=cmd_status)
