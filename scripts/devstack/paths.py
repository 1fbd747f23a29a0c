"""Where things live: the repository root and the files the tools read or write."""

from __future__ import annotations

import os
from pathlib import Path

COMPOSE_FILE_NAME = "compose.yaml"


class RepoNotFoundError(RuntimeError):
    """Raised when no directory above the start point holds compose.yaml."""


def repo_root(start: Path | None = None) -> Path:
    """Return the repository root: the nearest directory at or above `start` holding compose.yaml.

    DEVSTACK_ROOT overrides the search so tools can be pointed at another checkout.
    """
    override = os.environ.get("DEVSTACK_ROOT")
    if override:
        root = Path(override).resolve()
        if not (root / COMPOSE_FILE_NAME).is_file():
            raise RepoNotFoundError(f"DEVSTACK_ROOT={override}: no {COMPOSE_FILE_NAME} there")
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / COMPOSE_FILE_NAME).is_file():
            return candidate
    raise RepoNotFoundError(
        f"no {COMPOSE_FILE_NAME} found in {here} or any parent: run this from inside the devstack checkout"
    )


def env_file(root: Path) -> Path:
    return root / ".env"


def env_example_file(root: Path) -> Path:
    return root / ".env.example"
