"""Service ports: upstream OpenTera's reserved ports stay free, every service gets its own.

Each service has its own container, so two services could technically share a port; we keep them unique
anyway, as upstream does on a single host, so a manifest stays valid if the service runs beside upstream's.
"""

from __future__ import annotations

from collections.abc import Iterable

# Upstream's ports (inclusive ranges): TeraServer 4040, its system services 4041-4043/4070, test-data services
# 4080/4090, the example service 5010, debugpy 5678, WebRTC 8080-8130, and the ranges upstream's deployments use
# for WebRTC/TURN (9095-10005, 10090-10100), and the NGINX front door 40075.
RESERVED_RANGES: tuple[tuple[int, int], ...] = (
    (4040, 4043),
    (4070, 4070),
    (4080, 4080),
    (4090, 4090),
    (5010, 5010),
    (5678, 5678),
    (8080, 8130),
    (9095, 10005),
    (10090, 10100),
    (40075, 40075),
)

# Unprivileged ports only: services run as a non-root user in their container.
MIN_PORT = 1024
MAX_PORT = 65535
# Where assignment starts: next to upstream's example service (5010), as the sample (5020) does.
FIRST_ASSIGNED_PORT = 5020


class PortError(ValueError):
    """A port that cannot be used; the message names the port and the reason."""


def reserved_range_of(port: int) -> tuple[int, int] | None:
    for low, high in RESERVED_RANGES:
        if low <= port <= high:
            return low, high
    return None


def check_port(port: object, taken: Iterable[int] = ()) -> int:
    """Return `port` when a service may listen on it, else raise PortError saying why."""
    # bool is an int in Python; `port: true` in YAML is a mistake, not port 1.
    if isinstance(port, bool) or not isinstance(port, int):
        raise PortError(f"port {port!r} is not a whole number")
    if not MIN_PORT <= port <= MAX_PORT:
        raise PortError(f"port {port} is out of range: use {MIN_PORT}-{MAX_PORT}")
    reserved = reserved_range_of(port)
    if reserved is not None:
        low, high = reserved
        where = str(low) if low == high else f"{low}-{high}"
        raise PortError(f"port {port} is reserved by upstream OpenTera ({where})")
    if port in set(taken):
        raise PortError(f"port {port} is already used by another service")
    return port


def parse_port(text: str) -> int:
    """A port given on the command line, as an int; PortError when it is not a number."""
    stripped = text.strip()
    # ASCII digits only: str.isdigit() accepts "²" (int() then fails) and full-width digits (int() takes them).
    if not (stripped.isascii() and stripped.isdigit()):
        raise PortError(f"port {text!r} is not a whole number")
    return int(stripped)


def assign_port(taken: Iterable[int]) -> int:
    """The lowest port from FIRST_ASSIGNED_PORT up that is neither reserved nor taken."""
    used = set(taken)
    port = FIRST_ASSIGNED_PORT
    while port <= MAX_PORT:
        reserved = reserved_range_of(port)
        if reserved is not None:
            port = reserved[1] + 1
        elif port in used:
            port += 1
        else:
            return port
    raise PortError(f"no free port left between {FIRST_ASSIGNED_PORT} and {MAX_PORT}")
