"""`devstack`: configure, start and extend the OpenTera dev stack. Run `devstack --help`."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
from collections.abc import Sequence

from devstack import (
    compose,
    envfile,
    errors,
    live,
    new,
    offline_images,
    paths,
    regenerate,
    register_cmd,
    remove,
    reset,
    seed,
    services_cmd,
    settings,
    status,
)
from devstack.deploy import command as deploy_command
from devstack.status import ensure_host_ports_free

DISTRIBUTION = "opentera-devstack"  # pyproject.toml's name: --version reads its installed version


def _configure(quiet: bool = False) -> dict[str, str]:
    """Create or complete .env, then validate what Compose will see; raise ConfigError on a bad value."""
    root = paths.repo_root()
    env_path = paths.env_file(root)
    created = not env_path.is_file()
    generated = envfile.ensure_env_file(env_path)
    if not quiet:
        if created:
            print(f"created {env_path} from .env.example")
        for name in generated:
            print(f"generated {name} in {env_path}")
    values = envfile.effective_values(env_path)
    settings.validate(values, source=str(env_path))
    for warning in settings.warnings(values):
        print(f"warning: {warning}", file=sys.stderr)
    return values


def _front_door(values: dict[str, str]) -> str:
    return f"https://{values['DEVSTACK_HOSTNAME']}:{values['DEVSTACK_HTTPS_PORT']}"


def cmd_configure(args: argparse.Namespace) -> int:
    values = _configure()
    print(f"configuration is valid; the stack will answer at {_front_door(values)}/")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    values = _configure()
    compose.ensure_docker()
    # A taken host port would fail half-way through `up`; say which one before anything starts.
    ensure_host_ports_free(values)
    root = paths.repo_root()
    arguments = ["up", "--detach", "--wait"]
    if not args.no_build:
        arguments.append("--build")
    started = time.monotonic()
    # Flushed: piped (CI), Compose's lines pass through this process and must come after this one.
    print(
        "starting the stack; Compose shows each step (piped: plus a line every few seconds naming the services "
        "it still waits for), and returns once every service is healthy",
        flush=True,
    )
    # PostgreSQL creates the services' databases only on its first start; a service added to a stack that ran
    # before (`new --no-start`, an interrupted `new`, a manifest pulled from git) has none, and its container
    # would wait for it until Compose gives up (issue 17). So PostgreSQL first, then every missing database.
    status = compose.run_compose(root, ["up", "--detach", "--wait", "db"])
    if status == 0:
        try:
            live.create_databases(root)
        except live.LiveStackError as error:
            errors.report("up", error)
            return 1
        status = compose.run_compose(root, [*arguments, *args.services])
    if status != 0:
        print(
            "the stack did not become healthy: see `docker compose ps` and `docker compose logs <service>`",
            file=sys.stderr,
        )
        return status
    front = _front_door(values)
    print(f"stack healthy in {time.monotonic() - started:.1f} s")
    print(f"  TeraServer   {front}/   (Swagger UI {front}/doc)   login {settings.admin_login_text(values)}")
    print("  CA to trust  docker compose cp proxy:/etc/nginx/certificates/ca_cert.pem .")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devstack",
        description="Run and extend the OpenTera dev stack (TeraServer, PostgreSQL, Redis, NGINX).",
        epilog="Works from the repository root or any folder below it. " + errors.EXIT_STATUSES,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {importlib.metadata.version(DISTRIBUTION)}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    configure = subparsers.add_parser(
        "configure",
        help="create .env from .env.example, generate missing passwords, check every value",
        description="Create .env when missing, generate every empty password, and check all values. "
        "Safe to run again: existing values are kept.",
    )
    configure.set_defaults(func=cmd_configure)

    up = subparsers.add_parser(
        "up",
        help="configure, build and start the stack; return once every service is healthy",
        description="Run `configure`, then `docker compose up --detach --wait --build`.",
    )
    up.add_argument("--no-build", action="store_true", help="use the images already built")
    up.add_argument("services", nargs="*", help="only these services (and what they depend on)")
    up.set_defaults(func=cmd_up)

    # Commands that live in their own modules register themselves, in the order `--help` lists them.
    for module in (status, reset, seed, services_cmd, new, remove, regenerate, register_cmd, offline_images):
        module.register(subparsers)
    deploy_command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (paths.RepoNotFoundError, settings.ConfigError, compose.DockerUnavailableError) as error:
        errors.report(args.command, error)
        return errors.EXIT_ERROR
    except KeyboardInterrupt:
        errors.report(args.command, "interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
