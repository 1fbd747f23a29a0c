"""Names of a service: its OpenTera key, and the folder, URL prefix and database derived from it.

The key is what TeraServer knows the service by (`service.<key>` in Redis); the folder is also the Compose
service name and the host name NGINX proxies to, so it must stay a valid DNS label and NGINX variable name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# TeraServer's own rows (create_defaults, plus the two test-data services of TERASERVER_TEST_DATA=true) and
# upstream's example: a service of ours with one of these keys would overwrite or shadow upstream's row.
UPSTREAM_KEYS: tuple[str, ...] = (
    "OpenTeraServer",
    "LoggingService",
    "FileTransferService",
    "EmailService",
    "VideoRehabService",
    "BureauActif",
    "RobotTeleOperationService",
    "ExampleService",
)

# URL paths a service prefix must not take or nest under: TeraServer's API, docs, websockets and views, and
# upstream's service prefixes (so an upstream deployment could run this service next to its own).
RESERVED_PREFIXES: tuple[str, ...] = (
    "/api",
    "/doc",
    "/wss",
    "/log",
    "/file",
    "/rehab",
    "/mail",
    "/email",
    "/bureau",
    "/robot",
    "/webrtc",
    "/websocket",
    "/assets",
    "/swaggerui",
    "/about",
    "/login",
    "/login_change_password",
    "/login_setup_2fa",
    "/login_validate_2fa",
    "/health",
)

# Compose services of the stack itself: a service folder with one of these names would clash with them; and `kit`,
# services/kit, the service kit every service installs (issue 18): `new KitService --force` must not write there.
RESERVED_FOLDERS: tuple[str, ...] = ("db", "redis", "certs", "teraserver", "proxy", "register", "kit", "lib")

# Databases that exist already or belong to upstream's system services.
RESERVED_DATABASES: tuple[str, ...] = (
    "postgres",
    "template0",
    "template1",
    "opentera",
    "openteralogs",
    "openterafiles",
    "openteraemails",
)

KEY_MAX_LENGTH = 40
PREFIX_MAX_LENGTH = 64
KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
# One or more path segments of unreserved URL characters (RFC 3986), lower case: no encoding, no surprises.
PREFIX_PATTERN = re.compile(r"^(/[a-z0-9][a-z0-9._~-]*)+$")
DATABASE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_FOLDER_SUFFIX = "service"


class InvalidNameError(ValueError):
    """A name, prefix or database that cannot be used; the message says which and why."""


def check_key(key: object, existing_keys: Iterable[str] = ()) -> str:
    """Return `key` when it can be a new service's OpenTera key, else raise InvalidNameError saying why."""
    if not isinstance(key, str) or key == "":
        raise InvalidNameError("the service name is empty: give a key such as MyService (letters and digits)")
    if len(key) > KEY_MAX_LENGTH:
        raise InvalidNameError(f"service key {key!r} is longer than {KEY_MAX_LENGTH} characters")
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidNameError(
            f"service key {key!r} is not valid: use letters and digits only, starting with a letter (e.g. MyService)"
        )
    for upstream in UPSTREAM_KEYS:
        if key.lower() == upstream.lower():
            raise InvalidNameError(f"service key {key!r} is reserved: {upstream} is an upstream OpenTera service")
    for existing in existing_keys:
        if key.lower() == existing.lower():
            detail = "exists already" if key == existing else f"differs only in case from existing key {existing!r}"
            raise InvalidNameError(f"service key {key!r} {detail}")
    return key


def folder_for_key(key: str) -> str:
    """`SampleService` -> `sample`: lower case, without a trailing "Service" (kept when that is all there is)."""
    folder = key.lower()
    if folder.endswith(_FOLDER_SUFFIX) and len(folder) > len(_FOLDER_SUFFIX):
        folder = folder[: -len(_FOLDER_SUFFIX)]
    return folder


def check_folder(folder: str) -> str:
    if folder in RESERVED_FOLDERS:
        raise InvalidNameError(
            f"folder/compose service name {folder!r} is taken by the stack itself ({', '.join(RESERVED_FOLDERS)})"
        )
    return folder


def prefix_for_folder(folder: str) -> str:
    return f"/{folder}"


def database_for_folder(folder: str) -> str:
    """Upstream's naming: openteralogs, openterafiles... -> opentera<folder>."""
    return f"opentera{folder}"


def _nests(first: str, second: str) -> bool:
    """True when one prefix equals the other or lies below it (`/a` and `/a/b`), ignoring case."""
    a, b = first.lower(), second.lower()
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def check_prefix(prefix: object, existing_prefixes: Iterable[str] = ()) -> str:
    """Return `prefix` when it can be a service's public URL prefix, else raise InvalidNameError saying why."""
    if not isinstance(prefix, str) or prefix == "":
        raise InvalidNameError("the URL prefix is empty: give one such as /myservice")
    if not prefix.startswith("/"):
        raise InvalidNameError(f"URL prefix {prefix!r} must start with '/' (e.g. /myservice)")
    if prefix == "/":
        raise InvalidNameError("URL prefix '/' is TeraServer's: a service needs its own, such as /myservice")
    if prefix.endswith("/"):
        raise InvalidNameError(f"URL prefix {prefix!r} must not end with '/' (write {prefix.rstrip('/')!r})")
    if len(prefix) > PREFIX_MAX_LENGTH:
        raise InvalidNameError(f"URL prefix {prefix!r} is longer than {PREFIX_MAX_LENGTH} characters")
    segments = prefix.split("/")[1:]
    if any(segment in {"", ".", ".."} for segment in segments):
        raise InvalidNameError(f"URL prefix {prefix!r} contains an empty, '.' or '..' path segment (path traversal)")
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise InvalidNameError(
            f"URL prefix {prefix!r} has characters that are not safe in a URL path: "
            "use lower-case letters, digits, '-', '_', '.' and '~', each segment starting with a letter or digit"
        )
    for reserved in RESERVED_PREFIXES:
        if _nests(prefix, reserved):
            raise InvalidNameError(f"URL prefix {prefix!r} would shadow {reserved}, which TeraServer or upstream uses")
    for existing in existing_prefixes:
        if _nests(prefix, existing):
            raise InvalidNameError(f"URL prefix {prefix!r} collides with {existing}, the prefix of another service")
    return prefix


def check_database(database: object, existing_databases: Iterable[str] = ()) -> str:
    if not isinstance(database, str) or not DATABASE_PATTERN.fullmatch(database):
        raise InvalidNameError(
            f"database name {database!r} is not valid: lower-case letters, digits and '_', starting with a letter, "
            "at most 63 characters"
        )
    if database in RESERVED_DATABASES:
        raise InvalidNameError(f"database name {database!r} is reserved (TeraServer's or an upstream service's)")
    if database in set(existing_databases):
        raise InvalidNameError(f"database name {database!r} is used by another service")
    return database
