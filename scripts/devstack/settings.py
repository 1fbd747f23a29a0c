"""The stack's configuration variables: what each one is, its default, and how to check a value.

This table is the one place that knows the variables; `.env.example` is checked against it by a unit test,
the `configure` command generates the secrets it marks, and validation errors name the variable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    PORT = "port"  # a TCP port number, 1-65535
    OPTIONAL_PORT = "optional port"  # empty means "a random free port on 127.0.0.1"
    SECRET = "secret"  # generated on first use when empty
    BOOLEAN = "boolean"
    HOSTNAME = "hostname"
    BIND_ADDRESS = "bind address"
    IMAGE = "image"
    COUNT = "count"  # a positive whole number
    BCRYPT_COST = "bcrypt cost"  # 4 to 31, the range bcrypt takes
    USERNAME = "user name"  # a non-empty login name
    TEXT = "text"  # any non-empty value (not generated: e.g. a password with a known default)
    REGISTRY = "registry"  # empty, or HOST:PORT / a domain name, optionally with a path (issue 19)


@dataclass(frozen=True)
class Variable:
    name: str
    kind: Kind
    default: str
    help: str


VARIABLES: tuple[Variable, ...] = (
    Variable("DEVSTACK_HOSTNAME", Kind.HOSTNAME, "localhost", "host name in the TLS certificate and URLs"),
    Variable("DEVSTACK_HTTPS_PORT", Kind.PORT, "40075", "host port of the NGINX TLS front door"),
    Variable("DEVSTACK_BIND_ADDRESS", Kind.BIND_ADDRESS, "127.0.0.1", "host address NGINX is published on"),
    Variable("DEVSTACK_DB_PORT", Kind.OPTIONAL_PORT, "", "PostgreSQL on 127.0.0.1 (empty: random port)"),
    Variable("DEVSTACK_REDIS_PORT", Kind.OPTIONAL_PORT, "", "Redis on 127.0.0.1 (empty: random port)"),
    Variable("DEVSTACK_TERASERVER_PORT", Kind.OPTIONAL_PORT, "", "TeraServer direct on 127.0.0.1 (empty: random)"),
    Variable("DEVSTACK_DEBUGPY_PORT", Kind.PORT, "5678", "debugpy of the `debug` profile, on 127.0.0.1"),
    Variable("DEVSTACK_HEALTHCHECK_INTERVAL", Kind.COUNT, "30", "seconds between health probes once healthy"),
    Variable("POSTGRES_IMAGE", Kind.IMAGE, "postgres:15-bookworm", "PostgreSQL image"),
    Variable("REDIS_IMAGE", Kind.IMAGE, "redis:7-bookworm", "Redis image"),
    Variable("NGINX_IMAGE", Kind.IMAGE, "nginx:1.27-bookworm", "NGINX image"),
    Variable("PYTHON_IMAGE", Kind.IMAGE, "python:3.11-slim-bookworm", "base image of the stack's Python images"),
    Variable("POSTGRES_PASSWORD", Kind.SECRET, "", "PostgreSQL superuser (postgres) password"),
    Variable("TERASERVER_DB_PASSWORD", Kind.SECRET, "", "password of the teraagent database role"),
    Variable("REDIS_PASSWORD", Kind.SECRET, "", "Redis password"),
    Variable("TERASERVER_FORCE_PASSWORD_CHANGE", Kind.BOOLEAN, "false", "true: upstream's forced admin change"),
    Variable("TERASERVER_TEST_DATA", Kind.BOOLEAN, "false", "true: load upstream's test data on an empty DB"),
    Variable("TERASERVER_WORKERS", Kind.COUNT, "2", "TeraServer worker processes"),
    Variable("TERASERVER_THREADS", Kind.COUNT, "2", "request threads per TeraServer worker"),
    Variable("TERASERVER_WEBSOCKET_PING_INTERVAL", Kind.COUNT, "10", "seconds between pings on each websocket"),
    Variable("TERASERVER_WEBSOCKET_PING_TIMEOUT", Kind.COUNT, "30", "seconds a pong may be late before closing"),
    Variable("TERASERVER_BCRYPT_ROUNDS", Kind.BCRYPT_COST, "12", "bcrypt cost of new password hashes (4 to 31)"),
    Variable("TERASERVER_ADMIN_USERNAME", Kind.USERNAME, "admin", "superadmin made on an empty database"),
    Variable("TERASERVER_ADMIN_PASSWORD", Kind.TEXT, "admin", "password of TERASERVER_ADMIN_USERNAME"),
    Variable("DEVSTACK_REGISTRY", Kind.REGISTRY, "", "registry `devstack deploy` pushes to (several nodes)"),
)

BY_NAME: dict[str, Variable] = {variable.name: variable for variable in VARIABLES}
SECRET_NAMES: tuple[str, ...] = tuple(v.name for v in VARIABLES if v.kind is Kind.SECRET)

# Variables Compose fills in itself: the images it builds are tagged with the project name (issue 17).
COMPOSE_VARIABLES = ("COMPOSE_PROJECT_NAME",)
_BOOLEAN_WORDS = {"true", "false"}
_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_IMAGE_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9._/:@-]*$")
_REGISTRY = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
# Characters that would need quoting in a shell, a URL or compose interpolation: keep secrets free of them.
_SECRET_FORBIDDEN = re.compile(r"[\s'\"`$\\#@:/?&%]")


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the variable and the value."""


def _check_port(value: str) -> str | None:
    if not value.isdigit():
        return "is not a port number (expected a whole number from 1 to 65535)"
    if not 1 <= int(value) <= 65535:
        return "is out of range (expected 1 to 65535)"
    return None


def _check_optional_port(value: str) -> str | None:
    return None if value == "" else _check_port(value)


def _check_secret(value: str) -> str | None:
    if value == "":
        return "is empty: run `devstack configure` to generate it, or set a value"
    if _SECRET_FORBIDDEN.search(value):
        return "contains a character that needs quoting (space, quote, $, #, @, :, /, ?, &, % or backslash)"
    return None


def _check_boolean(value: str) -> str | None:
    return None if value.lower() in _BOOLEAN_WORDS else "is not a boolean (expected true or false)"


def _check_hostname(value: str) -> str | None:
    if value and len(value) <= 253 and all(_HOSTNAME_LABEL.fullmatch(part) for part in value.split(".")):
        return None
    return "is not a valid host name"


def _check_bind_address(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "is not an IP address (for example 127.0.0.1, or 0.0.0.0 for every interface)"
    return None


def _check_image(value: str) -> str | None:
    return None if _IMAGE_REFERENCE.fullmatch(value) else "is not an image reference (for example postgres:15)"


def _check_count(value: str) -> str | None:
    return None if value.isdigit() and int(value) >= 1 else "is not a positive whole number"


def _check_bcrypt_cost(value: str) -> str | None:
    return None if value.isdigit() and 4 <= int(value) <= 31 else "is not a bcrypt cost (a whole number, 4 to 31)"


def _check_username(value: str) -> str | None:
    return None if value.strip() and value == value.strip() else "is empty or has surrounding spaces"


def _check_text(value: str) -> str | None:
    return None if value != "" else "is empty"


def _check_registry(value: str) -> str | None:
    if value == "":
        return None
    host = value.split("/")[0]
    # Docker reads a first part without a dot or port (other than localhost) as a repository, not a registry.
    if not _REGISTRY.fullmatch(value) or not ("." in host or ":" in host or host == "localhost"):
        return (
            "is not a registry: give HOST:PORT or a domain name, optionally with a path "
            "(e.g. registry.example.org:5000/opentera), without a scheme"
        )
    return None


_CHECKS: dict[Kind, Callable[[str], str | None]] = {
    Kind.PORT: _check_port,
    Kind.REGISTRY: _check_registry,
    Kind.OPTIONAL_PORT: _check_optional_port,
    Kind.SECRET: _check_secret,
    Kind.BOOLEAN: _check_boolean,
    Kind.HOSTNAME: _check_hostname,
    Kind.BIND_ADDRESS: _check_bind_address,
    Kind.IMAGE: _check_image,
    Kind.COUNT: _check_count,
    Kind.BCRYPT_COST: _check_bcrypt_cost,
    Kind.USERNAME: _check_username,
    Kind.TEXT: _check_text,
}


def check_value(name: str, value: str) -> str | None:
    """Why `value` cannot be variable `name`'s value (a phrase to follow the value), or None when it can."""
    return _CHECKS[BY_NAME[name].kind](value)


def problems(values: Mapping[str, str], source: str = ".env") -> list[str]:
    """Every problem in `values`, one message each, naming the variable, its value and `source`."""
    found: list[str] = []
    for variable in VARIABLES:
        value = values.get(variable.name, variable.default)
        reason = _CHECKS[variable.kind](value)
        if reason is not None:
            shown = "<hidden>" if variable.kind is Kind.SECRET and value else repr(value)
            found.append(f"{source}: {variable.name}={shown} {reason}")
    if not found and values.get("TERASERVER_TEST_DATA", "false").lower() == "true" and not _loopback(values):
        found.append(
            f"{source}: TERASERVER_TEST_DATA=true with DEVSTACK_BIND_ADDRESS={values['DEVSTACK_BIND_ADDRESS']!r}: "
            "test mode serves GET /api/test/database/reset, which needs no login and replaces all data; keep "
            "the front door on 127.0.0.1 or set TERASERVER_TEST_DATA=false"
        )
    return found


def _loopback(values: Mapping[str, str]) -> bool:
    address = values.get("DEVSTACK_BIND_ADDRESS") or BY_NAME["DEVSTACK_BIND_ADDRESS"].default
    return ipaddress.ip_address(address).is_loopback


def admin_credentials(values: Mapping[str, str]) -> tuple[str, str]:
    """The superadmin's name and password: TeraServer creates it so on an empty database, and every devstack
    command and the test kit log in with them (one owner: .env, defaults in VARIABLES)."""
    return (
        values.get("TERASERVER_ADMIN_USERNAME") or BY_NAME["TERASERVER_ADMIN_USERNAME"].default,
        values.get("TERASERVER_ADMIN_PASSWORD") or BY_NAME["TERASERVER_ADMIN_PASSWORD"].default,
    )


def admin_login_text(values: Mapping[str, str]) -> str:
    """`admin / admin`, or, once .env sets another password, the name and where the password is (never its value)."""
    username, password = admin_credentials(values)
    if password == BY_NAME["TERASERVER_ADMIN_PASSWORD"].default:
        return f"{username} / {password}"
    return f"{username} / (TERASERVER_ADMIN_PASSWORD in .env)"


def warnings(values: Mapping[str, str]) -> list[str]:
    """What is allowed but risky: upstream's well-known admin password on a front door others can reach."""
    if _loopback(values):
        return []
    if admin_credentials(values) != ("admin", "admin"):
        return []
    return [
        f"the front door listens on {values['DEVSTACK_BIND_ADDRESS']} (beyond this machine) and TeraServer's "
        "superadmin is still admin / admin: change its password (then TERASERVER_ADMIN_PASSWORD in .env)"
    ]


def validate(values: Mapping[str, str], source: str = ".env") -> None:
    """Raise ConfigError listing every bad value; return quietly when all are usable."""
    found = problems(values, source)
    if found:
        raise ConfigError("\n".join(found))


def with_defaults(values: Mapping[str, str]) -> dict[str, str]:
    """The known variables with their defaults filled in, plus any other keys as given."""
    merged = {variable.name: variable.default for variable in VARIABLES}
    merged.update({key: value for key, value in values.items() if value is not None})
    return merged
