"""The running stack of this checkout, for commands that change it live (`new`, `remove`, `render`, `up`).

Every call goes through the Compose gateway (`compose.checkout`) with the checkout's project: --project-name,
else COMPOSE_PROJECT_NAME (a test stack), else compose.yaml's `name:`. Only the service named is ever started,
stopped or removed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from devstack import compose, envfile, paths, progress

TIMEOUT_SECONDS = 900


class LiveStackError(RuntimeError):
    """A docker compose step on the running stack failed; the message has its output."""


# The three questions `new`, `remove` and `render` ask, answered by the gateway.
docker_available = compose.docker_available


def is_running(root: Path, service: str) -> bool:
    return compose.checkout(root).is_running(service)


def front_door_url(root: Path) -> str:
    """https://<host>:<port of the proxy>, as published by the running stack (else from .env); no trailing slash."""
    return compose.checkout(root).front_door_url(envfile.effective_values(paths.env_file(root)))


def create_databases(root: Path, stack: compose.ComposeProject | None = None) -> None:
    """Create the databases of services/db/databases.list in the running PostgreSQL (existing ones are kept).

    The list is copied into the container rather than read through the db service's mount, which pins the
    file as it was when the container started.
    """
    stack = stack or compose.checkout(root)
    target = "/tmp/devstack-databases.list"
    copied = stack.cp(str(root / "services/db/databases.list"), f"db:{target}")
    if copied.returncode != 0:
        raise LiveStackError(f"could not copy the database list into db: {copied.stderr.strip()}")
    result = stack.exec(
        "db", "sh", "/docker-entrypoint-initdb.d/10-devstack-databases.sh",
        user="postgres", environment={"DEVSTACK_DATABASES_FILE": target},
    )  # fmt: skip
    if result.returncode != 0:
        raise LiveStackError(f"creating the service databases failed: {(result.stderr or result.stdout).strip()}")


def build_and_start(root: Path, service: str, sink: progress.Sink = progress.print_line) -> None:
    """Build and start only `service` (--no-deps: nothing else is recreated); wait until it is healthy.

    Compose's output is kept for the error message; while it runs, a line every few seconds shows the
    latest step (a build can take minutes).
    """
    stack = compose.checkout(root)
    arguments = stack.up_arguments([service], build=True, no_deps=True)
    try:
        result = stack.run_with_progress(arguments, f"building and starting {service}", sink, timeout=TIMEOUT_SECONDS)
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
    stack = compose.checkout(root)
    try:
        result = stack.run_with_progress(
            ["rm", "--stop", "--force", service, *also], f"stopping and removing {service}", sink, timeout=120
        )
    except subprocess.TimeoutExpired as error:
        raise LiveStackError(f"removing the {service} container did not finish in 120 s") from error
    if result.returncode != 0:
        raise LiveStackError(f"removing the {service} container failed: {result.tail(10).strip()}")
