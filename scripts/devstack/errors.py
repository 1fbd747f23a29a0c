"""Turn the tooling's expected errors into one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from devstack import compose, live, locking, manifest, naming, nginx, paths, ports, registration, render, settings

EXIT_ERROR = 2
# What every command's exit status means (`devstack --help` prints it).
EXIT_STATUSES = (
    "exit status: 0 done; 1 failed or not healthy (a stack that did not come up, `status` of an unhealthy stack, "
    "`render --check` finding a stale file); 2 refused, nothing changed (bad input or configuration, Docker "
    "missing, a confirmation not given); 130 interrupted (Ctrl-C)."
)

EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    manifest.ManifestError,
    naming.InvalidNameError,
    ports.PortError,
    render.RenderError,
    nginx.NginxCheckError,
    locking.LockBusyError,
    registration.RegistrationError,
    paths.RepoNotFoundError,
    settings.ConfigError,
    compose.DockerUnavailableError,
    compose.ComposeError,
    live.LiveStackError,
)


def report(command: str, message: object) -> None:
    """The one error line of every command: `devstack <command>: error: <message>` on stderr."""
    print(f"devstack {command}: error: {message}", file=sys.stderr)


class CommandError(RuntimeError):
    """A command-level refusal (e.g. an existing folder without --force); the message says what to do."""


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run `command`; on an expected error print `devstack <command>: <message>` and exit non-zero."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (*EXPECTED_ERRORS, CommandError) as error:
            report(args.command, error)
            return EXIT_ERROR

    return run
