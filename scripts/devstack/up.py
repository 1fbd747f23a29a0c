"""`devstack up`: configure, build and start the stack; return once every service is healthy."""

from __future__ import annotations

import argparse
import sys
import time

from devstack import compose, configure, errors, host_ports, live, options, paths, settings


def cmd_up(args: argparse.Namespace) -> int:
    values = configure.configure_checkout()
    compose.ensure_docker()
    root = paths.repo_root()
    stack = options.compose_project(args, root)
    # A taken host port would fail half-way through `up`; say which one before anything starts.
    host_ports.ensure_host_ports_free(values, stack.name)
    # Without a registry Docker's own error is a raw name-resolution line: pull what is missing first, and on
    # failure name `devstack offline-images` (issue 16). Raises PullFailedError; nothing was started.
    stack.ensure_images()
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
    status = stack.up(["db"])
    if status == 0:
        try:
            live.create_databases(root, stack)
        except live.LiveStackError as error:
            errors.report("up", error)
            return 1
        status = stack.up(args.services, build=not args.no_build)
    if status != 0:
        print(
            f"the stack did not become healthy: see `devstack status --project-name {stack.name}` "
            "(each service's health and the logs of those that failed)",
            file=sys.stderr,
        )
        return status
    front = stack.front_door_url(values)
    print(f"stack healthy in {time.monotonic() - started:.1f} s")
    print(f"  TeraServer   {front}/   (Swagger UI {front}/doc)   login {settings.admin_login_text(values)}")
    print(f"  CA to trust  docker compose -p {stack.name} cp {compose.PROXY_SERVICE}:{compose.CA_PATH_IN_PROXY} .")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "up",
        help="configure, build and start the stack; return once every service is healthy",
        description="Run `configure`, pull any image this machine lacks (without a registry: says to run "
        "`devstack offline-images`), then `docker compose up --detach --wait --build`.",
    )
    parser.add_argument("--no-build", action="store_true", help="use the images already built")
    parser.add_argument("services", nargs="*", help="only these services (and what they depend on)")
    parser.set_defaults(func=cmd_up)
