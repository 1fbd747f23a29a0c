"""The service's JSON configuration, in upstream's format (Service / Backend / Redis / Database sections).

The JSON file is generated from the manifest and holds no password: the compose file passes them as
environment variables (or as files their *_FILE variables name: Swarm secrets), overlaid here on the file's values.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from opentera.services.ServiceConfigManager import DBConfig, ServiceConfigManager

REDIS_PASSWORD_VARIABLE = "OPENTERA_REDIS_PASSWORD"
DB_PASSWORD_VARIABLE = "OPENTERA_DB_PASSWORD"

# Fields each section must hold (the package's validators only print what is missing; we name it and stop).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Service": ("name", "hostname", "port"),
    "Backend": ("hostname", "port"),
    "Redis": ("hostname", "port", "db", "username", "password"),
    "Database": ("name", "url", "port", "username", "password"),
}


class ConfigError(Exception):
    """The configuration file is missing, unreadable or incomplete; the message names the file and field."""


# The two definitions below are, word for word, those of the DevStack's TeraServer settings and register job.
class SecretFileError(ValueError):
    """NAME and NAME_FILE are both set, or NAME_FILE names no readable file."""


def env_or_file(environ: Mapping[str, str], name: str) -> str | None:
    """The value of `name` in `environ`, or the content of the file `name`_FILE names (a Docker or Swarm secret).

    The rules of docs/configuration.md, "Passwords from files", also followed by the shell scripts: a variable
    counts as set when it is not empty; both set is an error naming both; the file's trailing newlines are
    dropped; a file that cannot be read is an error naming the variable and the path. Neither set: the
    variable's own value, "" or None.
    """
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE") or ""
    if not file_name:
        return value
    if value:
        raise SecretFileError(f"both {name} and {name}_FILE are set; set only one of them")
    try:
        with open(file_name, encoding="utf-8") as file:
            return file.read().rstrip("\n")
    except OSError as error:
        reason = error.strerror or str(error)
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    raise SecretFileError(f"{name}_FILE={file_name}: cannot read this file ({reason})")


class SampleConfig(ServiceConfigManager, DBConfig):
    """The package's service configuration manager, plus the Database section this service needs."""

    def __init__(self) -> None:
        ServiceConfigManager.__init__(self)
        DBConfig.__init__(self)

    def validate_config(self, config_json: dict[str, Any]) -> bool:
        return ServiceConfigManager.validate_config(self, config_json) and self.validate_database_config(config_json)


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: file not found (run `devstack render` to generate it)") from error
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: cannot read JSON: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a JSON object, got {type(document).__name__}")
    for section, fields in REQUIRED_FIELDS.items():
        if not isinstance(document.get(section), dict):
            raise ConfigError(f"{path}: section {section!r} is missing or not an object")
        for field in fields:
            if field not in document[section]:
                raise ConfigError(f"{path}: field {section}.{field} is missing")
    return document


def overlay_passwords(document: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Passwords come from the environment (compose passes them from .env) or from the files their *_FILE
    variables name (Swarm secrets), never from the generated file."""
    for section, variable in (("Redis", REDIS_PASSWORD_VARIABLE), ("Database", DB_PASSWORD_VARIABLE)):
        try:
            password = env_or_file(environ, variable)
        except SecretFileError as error:
            raise ConfigError(str(error)) from None
        if password:
            document[section]["password"] = password


def load_config(path: Path, environ: dict[str, str] | None = None) -> SampleConfig:
    document = read_config_file(path)
    overlay_passwords(document, dict(os.environ) if environ is None else environ)
    config = SampleConfig()
    if not config.validate_config(document):
        raise ConfigError(f"{path}: rejected by the opentera package's validator (see the message above)")
    return config
