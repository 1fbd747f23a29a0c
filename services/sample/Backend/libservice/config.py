"""The service's JSON configuration, in upstream's format (Service / Backend / Redis / Database sections).

The JSON file is generated from the manifest and holds no password: the compose file passes them as
environment variables, overlaid here on the file's values.
"""

from __future__ import annotations

import json
import os
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


def overlay_passwords(document: dict[str, Any], environ: dict[str, str]) -> None:
    """Passwords come from the environment (compose passes them from .env), never from the generated file."""
    if environ.get(REDIS_PASSWORD_VARIABLE):
        document["Redis"]["password"] = environ[REDIS_PASSWORD_VARIABLE]
    if environ.get(DB_PASSWORD_VARIABLE):
        document["Database"]["password"] = environ[DB_PASSWORD_VARIABLE]


def load_config(path: Path, environ: dict[str, str] | None = None) -> SampleConfig:
    document = read_config_file(path)
    overlay_passwords(document, dict(os.environ) if environ is None else environ)
    config = SampleConfig()
    if not config.validate_config(document):
        raise ConfigError(f"{path}: rejected by the opentera package's validator (see the message above)")
    return config
