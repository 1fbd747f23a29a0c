"""Are the host ports the stack wants to publish free? (`devstack up` and `reset` check before starting,
`devstack status` reports.) Compose's own error comes late and does not say which variable to change."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from devstack import compose, settings

# The host ports the stack publishes, by the variable that sets each one (empty = random, never in conflict).
HOST_PORT_VARIABLES: tuple[tuple[str, str | None], ...] = (
    ("DEVSTACK_HTTPS_PORT", "DEVSTACK_BIND_ADDRESS"),
    ("DEVSTACK_DB_PORT", None),
    ("DEVSTACK_REDIS_PORT", None),
    ("DEVSTACK_TERASERVER_PORT", None),
)
LOOPBACK = "127.0.0.1"


class PortConflictError(settings.ConfigError):
    """A host port the stack needs is taken; the message names the variable, the port and who holds it."""


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
    """Running containers of any project by the host ports they publish ({} when Docker cannot be asked)."""
    try:
        result = compose.run_docker(
            "ps", "--format", '{{.Names}}\t{{.Label "com.docker.compose.project"}}\t{{.Ports}}', timeout=30
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


def conflicts_of(values: Mapping[str, str], project: str) -> list[PortConflict]:
    return find_port_conflicts(wanted_host_ports(values), project, docker_port_holders())


def ensure_host_ports_free(values: Mapping[str, str], project: str) -> None:
    """Raise PortConflictError naming each fixed host port of the configuration that something else holds.
    Ports `project` already publishes are fine (an `up` of a running stack)."""
    conflicts = conflicts_of(values, project)
    if conflicts:
        raise PortConflictError("\n".join(conflict.message() for conflict in conflicts))
