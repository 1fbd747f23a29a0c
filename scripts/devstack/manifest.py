"""Service manifests (`services/<folder>/service.yaml`): load, validate, and check them against each other.

A manifest is the one source of truth for a service; every error names the file and the field, so a
hand-edited manifest that breaks is found at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devstack import naming, ports

MANIFEST_NAME = "service.yaml"
SERVICES_DIR = "services"

_FOLDER = re.compile(r"^[a-z][a-z0-9]*$")
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
_BODY_SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")
# One line of printable text: the name lands in comments of generated files and in TeraServer.
# One line: no control character (C0, DEL, C1 with NEL) and no Unicode line or paragraph separator, which end a
# JavaScript comment and a YAML line (issue 17).
_DISPLAY_NAME = re.compile(r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]{1,100}$")
_FIELDS = {"key", "name", "port", "prefix", "health_path", "frontend", "database", "nginx"}
_REQUIRED = ("key", "name", "port", "prefix", "health_path", "frontend", "database")
_NGINX_FIELDS = {"client_max_body_size", "websocket"}
DEFAULT_BODY_SIZE = "100M"


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file, the field and the value."""


@dataclass(frozen=True)
class NginxSettings:
    client_max_body_size: str = DEFAULT_BODY_SIZE
    websocket: bool = False


@dataclass(frozen=True)
class Manifest:
    folder: str  # also the Compose service name and the host name NGINX proxies to
    key: str
    name: str
    port: int
    prefix: str
    health_path: str
    frontend: bool
    database: str | None
    nginx: NginxSettings = field(default_factory=NginxSettings)

    def relative_path(self) -> str:
        return f"{SERVICES_DIR}/{self.folder}/{MANIFEST_NAME}"

    def to_yaml_data(self) -> dict[str, Any]:
        """The manifest's fields in file order, as written by `devstack new`."""
        return {
            "key": self.key,
            "name": self.name,
            "port": self.port,
            "prefix": self.prefix,
            "health_path": self.health_path,
            "frontend": self.frontend,
            "database": self.database,
            "nginx": {
                "client_max_body_size": self.nginx.client_max_body_size,
                "websocket": self.nginx.websocket,
            },
        }


def manifest_paths(root: Path) -> list[Path]:
    """Every `services/*/service.yaml`, in folder order (so everything derived from them is stable)."""
    return sorted((root / SERVICES_DIR).glob(f"*/{MANIFEST_NAME}"), key=lambda path: path.parent.name)


def _fail(source: str, field_name: str, problem: str) -> ManifestError:
    return ManifestError(f"{source}: field '{field_name}': {problem}")


def _read_yaml(path: Path, source: str) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ManifestError(f"{source}:{where}: not valid YAML: {problem}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{source}: cannot be read: {error}") from error
    if not isinstance(data, dict):
        raise ManifestError(f"{source}: expected a mapping of fields (key, name, port...), found {type(data).__name__}")
    return data


def _string(data: Mapping[str, Any], name: str, source: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, name, f"expected a non-empty text, found {value!r}")
    return value


def _display_name(data: Mapping[str, Any], source: str) -> str:
    name = _string(data, "name", source)
    if not _DISPLAY_NAME.fullmatch(name):
        raise _fail(source, "name", f"expected one line of at most 100 printable characters, found {name!r}")
    return name


def _boolean(data: Mapping[str, Any], name: str, source: str) -> bool:
    value = data[name]
    if not isinstance(value, bool):
        raise _fail(source, name, f"expected true or false, found {value!r}")
    return value


def _nginx_settings(value: object, source: str) -> NginxSettings:
    if value is None:
        return NginxSettings()
    if not isinstance(value, dict):
        raise _fail(source, "nginx", f"expected a mapping (client_max_body_size, websocket), found {value!r}")
    unknown = sorted(set(value) - _NGINX_FIELDS)
    if unknown:
        raise _fail(source, f"nginx.{unknown[0]}", f"unknown field (known: {', '.join(sorted(_NGINX_FIELDS))})")
    size = value.get("client_max_body_size", DEFAULT_BODY_SIZE)
    if not isinstance(size, str) or not _BODY_SIZE.fullmatch(size):
        raise _fail(source, "nginx.client_max_body_size", f"expected a size such as 10M or 512k, found {size!r}")
    websocket = value.get("websocket", False)
    if not isinstance(websocket, bool):
        raise _fail(source, "nginx.websocket", f"expected true or false, found {websocket!r}")
    return NginxSettings(client_max_body_size=size, websocket=websocket)


def parse_manifest(data: Mapping[str, Any], folder: str, source: str) -> Manifest:
    """Validate one manifest's fields on their own (not against other services)."""
    if not _FOLDER.fullmatch(folder):
        raise ManifestError(
            f"{source}: folder name {folder!r} must be lower-case letters and digits, starting with a letter "
            "(it is the Compose service and host name)"
        )
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise _fail(source, unknown[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    missing = [name for name in _REQUIRED if name not in data]
    if missing:
        raise _fail(source, missing[0], "missing")
    try:
        key = naming.check_key(data["key"])
    except naming.InvalidNameError as error:
        raise _fail(source, "key", str(error)) from error
    try:
        naming.check_folder(folder)
    except naming.InvalidNameError as error:
        raise ManifestError(f"{source}: {error}") from error
    try:
        port = ports.check_port(data["port"])
    except ports.PortError as error:
        raise _fail(source, "port", str(error)) from error
    try:
        prefix = naming.check_prefix(data["prefix"])
    except naming.InvalidNameError as error:
        raise _fail(source, "prefix", str(error)) from error
    health_path = _string(data, "health_path", source)
    if not _HEALTH_PATH.fullmatch(health_path) or "/../" in f"{health_path}/":
        raise _fail(source, "health_path", f"expected a path such as /api/version, found {health_path!r}")
    database = data["database"]
    if database is not None:
        try:
            naming.check_database(database)
        except naming.InvalidNameError as error:
            raise _fail(source, "database", str(error)) from error
    return Manifest(
        folder=folder,
        key=key,
        name=_display_name(data, source),
        port=port,
        prefix=prefix,
        health_path=health_path,
        frontend=_boolean(data, "frontend", source),
        database=database,
        nginx=_nginx_settings(data.get("nginx"), source),
    )


def load_manifest(path: Path, root: Path) -> Manifest:
    source = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return parse_manifest(_read_yaml(path, source), path.parent.name, source)


def check_together(manifests: Iterable[Manifest]) -> None:
    """Raise ManifestError when two manifests share a key (any case), port, prefix or database."""
    seen: list[Manifest] = []
    for manifest in manifests:
        source = manifest.relative_path()
        for other in seen:
            where = other.relative_path()
            if manifest.key.lower() == other.key.lower():
                raise _fail(source, "key", f"{manifest.key!r} is also the key of {where} ({other.key!r})")
            if manifest.port == other.port:
                raise _fail(source, "port", f"{manifest.port} is also the port of {where}")
            try:
                naming.check_prefix(manifest.prefix, [other.prefix])
            except naming.InvalidNameError as error:
                raise _fail(source, "prefix", f"{error} ({where})") from error
            if manifest.database is not None and manifest.database == other.database:
                raise _fail(source, "database", f"{manifest.database!r} is also the database of {where}")
        seen.append(manifest)


def load_all(root: Path) -> list[Manifest]:
    """Every manifest of the repository, validated alone and together, in folder order."""
    manifests = [load_manifest(path, root) for path in manifest_paths(root)]
    check_together(manifests)
    return manifests


def dump_manifest(manifest: Manifest, header: str) -> str:
    """The text of a manifest file: a comment header, then the fields in their usual order."""
    body = yaml.safe_dump(manifest.to_yaml_data(), sort_keys=False, default_flow_style=False, allow_unicode=True)
    return header + body
