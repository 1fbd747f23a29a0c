"""Turn the tooling's expected errors into one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from devstack import compose, live, locking, manifest, naming, nginx, paths, ports, registration, render, settings

EXIT_ERROR = 2

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
    live.LiveStackError,
)


class CommandError(RuntimeError):
    """A command-level refusal (e.g. an existing folder without --force); the message says what to do."""


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run `command`; on an expected error print `devstack <command>: <message>` and exit non-zero."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (*EXPECTED_ERRORS, CommandError) as error:
            print(f"devstack {args.command}: error: {error}", file=sys.stderr)
            return EXIT_ERROR

    return run
