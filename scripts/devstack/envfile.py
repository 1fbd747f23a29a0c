"""Read and write the stack's `.env` file, which Compose and these scripts both read.

Writes keep every comment and unrelated line, replace only the keys asked for, and go through a
temporary file renamed into place, so an interrupted write never leaves a half-written `.env`.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from devstack import paths, settings
from devstack.files import write_atomically

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 32


def generate_secret(length: int = SECRET_LENGTH) -> str:
    """A random password using letters and digits only, so it is safe in URLs, shells and YAML."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(length))


def read_values(env_path: Path) -> dict[str, str]:
    """The key/value pairs of an env file ({} when it does not exist); unset keys read as ''."""
    if not env_path.is_file():
        return {}
    return {key: value or "" for key, value in dotenv_values(env_path).items()}


def effective_values(env_path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What Compose will use: defaults, overlaid by the env file, overlaid by the process environment."""
    environ = os.environ if environ is None else environ
    values = settings.with_defaults(read_values(env_path))
    for variable in settings.VARIABLES:
        if variable.name in environ:
            values[variable.name] = environ[variable.name]
    return values


def render_updates(text: str, values: Mapping[str, str]) -> str:
    """`text` with each key of `values` assigned its new value: in place where present, appended otherwise."""
    remaining = dict(values)
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _ASSIGNMENT.match(line)
        if match and match.group(1) in remaining:
            key = match.group(1)
            lines[index] = f"{key}={remaining.pop(key)}"
    lines.extend(f"{key}={value}" for key, value in remaining.items())
    return "\n".join(lines) + "\n"


def _starting_text(env_path: Path) -> str:
    if env_path.is_file():
        return env_path.read_text(encoding="utf-8")
    example = paths.env_example_file(env_path.parent)
    return example.read_text(encoding="utf-8") if example.is_file() else ""


def set_env_values(env_path: Path, values: Mapping[str, str]) -> None:
    """Set `values` in `env_path` (created from .env.example next to it when missing); other lines kept."""
    new_text = render_updates(_starting_text(env_path), values)
    if not env_path.is_file() or env_path.read_text(encoding="utf-8") != new_text:
        write_atomically(env_path, new_text, mode=0o600)  # .env holds passwords: owner-only, like ssh keys


def missing_secrets(values: Mapping[str, str]) -> list[str]:
    return [name for name in settings.SECRET_NAMES if not values.get(name)]


def ensure_env_file(env_path: Path) -> list[str]:
    """Create `env_path` from the example if needed and generate every empty secret.

    Returns the names of the secrets it generated (empty when nothing changed). Existing values are
    never replaced, so running it again is harmless.
    """
    generated = {name: generate_secret() for name in missing_secrets(read_values(env_path))}
    if generated or not env_path.is_file():
        set_env_values(env_path, generated)
    return sorted(generated)
