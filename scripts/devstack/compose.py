"""Run `docker compose` for the stack and say clearly when Docker itself is the problem."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from devstack import progress


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


def parse_ps_rows(text: str) -> list[dict[str, object]]:
    """Rows of `docker compose ps --format json`: one object per line (v2.21+) or one JSON array (older)."""
    text = text.strip()
    if not text:
        return []
    return json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line]


def service_states(root: Path, project: str | None = None, timeout: float = 60) -> dict[str, str]:
    """Compose service -> "running (healthy)", "exited (0)"...; {} when Compose cannot tell."""
    try:
        result = subprocess.run(
            compose_command(root, "ps", "--all", "--format", "json", project=project),
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if result.returncode != 0:
        return {}
    states: dict[str, str] = {}
    for row in parse_ps_rows(result.stdout):
        state = str(row.get("State", ""))
        detail = row.get("Health") or (str(row.get("ExitCode", "")) if state == "exited" else "")
        states[str(row["Service"])] = f"{state} ({detail})" if detail else state
    return states


def describe_waiting(states: dict[str, str]) -> str:
    """What `up --wait` still waits for: every service neither healthy, nor running without a healthcheck,
    nor a one-shot job that exited 0."""
    waiting = [
        f"{service} {state}"
        for service, state in sorted(states.items())
        if state not in {"running", "running (healthy)", "exited (0)"}
    ]
    if not states:
        return "no container yet (building or creating)"
    return "waiting for " + ", ".join(waiting) if waiting else "every service is up"


def waiting_detail(root: Path, project: str | None = None) -> progress.Detail:
    """A heartbeat detail naming the services Compose still waits for (a quick `docker compose ps`)."""
    return lambda: describe_waiting(service_states(root, project, timeout=10))


def run_compose(root: Path, arguments: Sequence[str], project: str | None = None) -> int:
    """Run docker compose with its output on our stdout, and the exit status.

    On a terminal Compose draws its own live progress (a timer per container), so its output goes straight
    through. Piped (CI, logs), Compose prints plain lines and can stay silent for long while it waits for
    health checks: its lines are passed on, and every few quiet seconds a line says which services it still
    waits for.
    """
    command = compose_command(root, *arguments, project=project)
    if progress.stream_is_terminal():
        return subprocess.run(command, cwd=root).returncode
    what = f"docker compose {arguments[0]}" if arguments else "docker compose"
    waits_for_health = bool(arguments) and arguments[0] in {"up", "start", "restart"}
    result = progress.run_command(
        command,
        what,
        echo=True,
        cwd=root,
        detail=waiting_detail(root, project) if waits_for_health else (lambda: ""),
    )
    return result.returncode
