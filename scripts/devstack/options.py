"""Command-line conventions shared by the commands (issue 16): one definition of each common option, and the
one `--json` envelope every command that prints JSON uses."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devstack import compose, paths

SCHEMA_VERSION = 1
# The top-level keys every `--json` document starts with, in this order (`status` adds its own after them).
ENVELOPE_KEYS = ("schema_version", "project", "healthy", "front_door", "services")


def add_project_option(parser: argparse.ArgumentParser) -> None:
    """`--project-name NAME` / `-p NAME`, as `docker compose` spells it, on every command that touches a stack."""
    parser.add_argument(
        "--project-name",
        "-p",
        dest="project_name",
        metavar="NAME",
        help="Compose project name (default: COMPOSE_PROJECT_NAME, from the shell or .env, else the compose "
        "file's `name`)",
    )


def compose_project(args: argparse.Namespace, root: Path | None = None) -> compose.ComposeProject:
    """The stack the command acts on: the checkout's, under --project-name when given."""
    return compose.ComposeProject.of_checkout(root or paths.repo_root(), getattr(args, "project_name", None))


def add_json_option(parser: argparse.ArgumentParser, what: str = "") -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object" + (f" ({what})" if what else "") + " instead of a table",
    )


def envelope(
    project: str, healthy: bool, front_door: str, services: Sequence[Mapping[str, Any]], **more: Any
) -> dict[str, Any]:
    """The `--json` document: ENVELOPE_KEYS, then the command's own keys (`more`)."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "project": project,
        "healthy": healthy,
        "front_door": front_door,
        "services": list(services),
    }
    return {**document, **more}


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2)
