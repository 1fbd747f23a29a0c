"""The service's JSON configuration, in upstream's format (Service / Backend / Redis / Database sections).

The JSON file is generated from the manifest by `devstack render` and holds no password: the generated Compose
wiring passes them as environment variables (or as files their *_FILE variables name: Swarm secrets), overlaid
here on the file's values.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from service_kit.secret_files import SecretFileError, env_or_file

REDIS_PASSWORD_VARIABLE = "OPENTERA_REDIS_PASSWORD"
DB_PASSWORD_VARIABLE = "OPENTERA_DB_PASSWORD"

# Fields each section must hold (the package's validators only print what is missing; we name it and stop).
# The Database section is required only of a service that has a database (`database:` in its manifest).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Service": ("name", "hostname", "port"),
    "Backend": ("hostname", "port"),
    "Redis": ("hostname", "port", "db", "username", "password"),
}
DATABASE_FIELDS: tuple[str, ...] = ("name", "url", "port", "username", "password")
PASSWORDS: tuple[tuple[str, str], ...] = (("Redis", REDIS_PASSWORD_VARIABLE), ("Database", DB_PASSWORD_VARIABLE))


class ConfigError(Exception):
    """The configuration file is missing, unreadable or incomplete; the message names the file and field."""


def read_config_file(path: Path, require_database: bool = True) -> dict[str, Any]:
    """The JSON document at `path`, every required section and field present, else ConfigError naming it."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: file not found (run `devstack render` to generate it)") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: cannot read JSON: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a JSON object, got {type(document).__name__}")
    required = dict(REQUIRED_FIELDS)
    if require_database or "Database" in document:
        required["Database"] = DATABASE_FIELDS
    for section, fields in required.items():
        if not isinstance(document.get(section), dict):
            raise ConfigError(f"{path}: section {section!r} is missing or not an object")
        for field in fields:
            if field not in document[section]:
                raise ConfigError(f"{path}: field {section}.{field} is missing")
    return document


def overlay_passwords(document: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Passwords come from the environment (compose passes them from .env) or from the files their *_FILE
    variables name (Swarm secrets), never from the generated file."""
    for section, variable in PASSWORDS:
        if section not in document:
            continue
        try:
            password = env_or_file(environ, variable)
        except SecretFileError as error:
            raise ConfigError(str(error)) from None
        if password:
            document[section]["password"] = password


def load_config(path: Path, environ: Mapping[str, str] | None = None, require_database: bool = True) -> Any:
    """The package's configuration object for the file at `path`, passwords overlaid from `environ`
    (default: the process environment): a KitConfig (service_config, redis_config, db_config...)."""
    document = read_config_file(path, require_database)
    overlay_passwords(document, os.environ if environ is None else environ)
    # Imported here: the opentera package is heavy, and the functions above are useful without it (tests).
    from service_kit.opentera_config import KitConfig

    config = KitConfig(with_database="Database" in document)
    if not config.validate_config(document):
        raise ConfigError(f"{path}: rejected by the opentera package's validator (see the message above)")
    return config
