"""`devstack`: configure, start and extend the OpenTera dev stack. Run `devstack --help`."""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import sys
from collections.abc import Iterator, Sequence

from devstack import (
    DISTRIBUTION,
    completion,
    compose,
    configure,
    errors,
    new,
    offline_images,
    options,
    paths,
    regenerate,
    register,
    remove,
    reset,
    seed,
    services,
    settings,
    status,
    up,
    upgrade,
)
from devstack.deploy import command as deploy_command

# The command modules, in the order `--help` lists them; each module's `register` adds its subcommand.
COMMANDS = (
    configure,
    up,
    status,
    reset,
    seed,
    services,
    new,
    upgrade,
    remove,
    regenerate,
    register,
    offline_images,
    deploy_command,
    completion,
)
# The commands that run `docker compose` on a stack: each gets the one --project-name/-p option (issue 16).
STACK_COMMANDS = ("up", "status", "reset", "seed", "services", "new", "upgrade", "remove", "render", "register")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devstack",
        description="Run and extend the OpenTera dev stack (TeraServer, PostgreSQL, Redis, NGINX).",
        epilog="Works from the repository root or any folder below it. " + errors.EXIT_STATUSES,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {importlib.metadata.version(DISTRIBUTION)}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(subparsers)
    for name in STACK_COMMANDS:
        options.add_project_option(subparsers.choices[name])
    parser.set_defaults(root_parser=parser)  # for `completion`, which describes the whole parser
    return parser


@contextlib.contextmanager
def project_environment(args: argparse.Namespace) -> Iterator[None]:
    """--project-name NAME acts as COMPOSE_PROJECT_NAME=NAME while the command runs: the modules that reach the
    stack through the checkout's project (`new`, `remove`, `render`: live, nginx) and Compose itself see it."""
    name = getattr(args, "project_name", None)
    if name is None:
        yield
        return
    previous = os.environ.get("COMPOSE_PROJECT_NAME")
    os.environ["COMPOSE_PROJECT_NAME"] = compose.checked_project_name(name, "--project-name")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("COMPOSE_PROJECT_NAME", None)
        else:
            os.environ["COMPOSE_PROJECT_NAME"] = previous


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with project_environment(args):
            return int(args.func(args))
    except (
        paths.RepoNotFoundError,
        settings.ConfigError,
        compose.DockerUnavailableError,
        compose.ComposeError,
    ) as error:
        errors.report(args.command, error)
        return errors.EXIT_ERROR
    except KeyboardInterrupt:
        errors.report(args.command, "interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
