"""Run `docker compose` for the stack and say clearly when Docker itself is the problem."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path


class DockerUnavailableError(RuntimeError):
    """No docker client, no Compose v2 plugin, or no engine answering."""


def ensure_docker() -> None:
    """Raise DockerUnavailableError with what to do when docker or its engine cannot be used."""
    if shutil.which("docker") is None:
        raise DockerUnavailableError("the `docker` command is not installed: install Docker Engine with Compose v2")
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if info.returncode != 0:
        detail = (info.stderr or info.stdout).strip().splitlines()
        raise DockerUnavailableError(
            "the Docker engine does not answer (`docker info` failed"
            + (f": {detail[-1]}" if detail else "")
            + "): start it, or check that your user may use it"
        )
    version = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True)
    if version.returncode != 0:
        raise DockerUnavailableError("`docker compose` (Compose v2) is not available: install the compose plugin")


def compose_command(root: Path, *arguments: str, project: str | None = None) -> list[str]:
    command = ["docker", "compose", "--project-directory", str(root)]
    if project:
        command += ["--project-name", project]
    return command + list(arguments)


def run_compose(root: Path, arguments: Sequence[str], project: str | None = None) -> int:
    """Run docker compose with output streaming to the terminal (Compose shows its own progress)."""
    return subprocess.run(compose_command(root, *arguments, project=project), cwd=root).returncode
