"""The running stack of this checkout, for commands that change it live (`new`, `remove`, `services`).

Every call goes through `docker compose` with the checkout's project: COMPOSE_PROJECT_NAME when set (a test
stack), else compose.yaml's `name:`. Only the service named is ever started, stopped or removed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from devstack import compose, envfile, paths, progress

TIMEOUT_SECONDS = 900


class LiveStackError(RuntimeError):
    """A docker compose step on the running stack failed; the message has its output."""


def _compose(root: Path, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        compose.compose_command(root, *arguments), cwd=root, capture_output=True, text=True, timeout=timeout
    )


def docker_available() -> bool:
    try:
        compose.ensure_docker()
    except compose.DockerUnavailableError:
        return False
    return True


def service_states(root: Path) -> dict[str, str]:
    """Compose service -> "running (healthy)", "exited (0)"...; {} when nothing runs or Docker is absent."""
    if shutil.which("docker") is None:
        return {}
    return compose.service_states(root)


def is_running(root: Path, service: str) -> bool:
    result = _compose(root, "ps", "--status", "running", "--quiet", service)
    return result.returncode == 0 and bool(result.stdout.strip())


def front_door_url(root: Path) -> str:
    """https://localhost:<host port of the proxy>, as published by the running stack (else from .env)."""
    result = _compose(root, "port", "proxy", "40075") if shutil.which("docker") else None
    if result is not None and result.returncode == 0 and result.stdout.strip():
        port = result.stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        return f"https://localhost:{port}"
    values = envfile.effective_values(paths.env_file(root))
    return f"https://{values['DEVSTACK_HOSTNAME']}:{values['DEVSTACK_HTTPS_PORT']}"


def create_databases(root: Path) -> None:
    """Create the databases of services/db/databases.list in the running PostgreSQL (existing ones are kept).

    The list is copied into the container rather than read through the db service's mount, which pins the
    file as it was when the container started.
    """
    target = "/tmp/devstack-databases.list"
    copied = _compose(root, "cp", str(root / "services/db/databases.list"), f"db:{target}")
    if copied.returncode != 0:
        raise LiveStackError(f"could not copy the database list into db: {copied.stderr.strip()}")
    result = _compose(
        root, "exec", "-T", "-u", "postgres", "-e", f"DEVSTACK_DATABASES_FILE={target}",
        "db", "sh", "/docker-entrypoint-initdb.d/10-devstack-databases.sh",
    )  # fmt: skip
    if result.returncode != 0:
        raise LiveStackError(f"creating the service databases failed: {(result.stderr or result.stdout).strip()}")


def build_and_start(root: Path, service: str, sink: progress.Sink = progress.print_line) -> None:
    """Build and start only `service` (--no-deps: nothing else is recreated); wait until it is healthy.

    Compose's output is kept for the error message; while it runs, a line every few seconds shows the
    latest step (a build can take minutes).
    """
    command = compose.compose_command(root, "up", "--detach", "--build", "--no-deps", "--wait", service)
    try:
        result = progress.run_command(
            command, f"building and starting {service}", sink, cwd=root, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as error:
        raise LiveStackError(
            f"`docker compose up --build {service}` did not finish in {TIMEOUT_SECONDS} s "
            f"(see `docker compose logs {service}`)"
        ) from error
    if result.returncode != 0:
        raise LiveStackError(
            f"`docker compose up --build {service}` failed:\n" + result.tail(25)
            + f"\n(see `docker compose logs {service}`)"
        )  # fmt: skip


def stop_and_remove(root: Path, service: str, *also: str, sink: progress.Sink = progress.print_line) -> None:
    """Stop and remove only `service`'s container and those of `also` (e.g. its debug variant); stopping
    waits up to each one's stop grace period."""
    command = compose.compose_command(root, "rm", "--stop", "--force", service, *also)
    try:
        result = progress.run_command(command, f"stopping and removing {service}", sink, cwd=root, timeout=120)
    except subprocess.TimeoutExpired as error:
        raise LiveStackError(f"removing the {service} container did not finish in 120 s") from error
    if result.returncode != 0:
        raise LiveStackError(f"removing the {service} container failed: {result.tail(10).strip()}")
