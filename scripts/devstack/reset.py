"""`devstack reset`: throw the stack's data away and start it fresh.

Runs `docker compose down --volumes --remove-orphans` (database, Redis, certificates: all gone), then
`docker compose up --detach --wait --build`. The stack registers its services itself when it starts, so a
fresh `up` is all a reset needs; `--seed` then loads upstream's test data set (`devstack seed`'s steps).
Destructive, so it asks first: type the project name at the prompt, or pass `--yes`. Without a terminal to
ask on and without `--yes` it refuses and removes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time

from devstack import compose, envfile, errors, host_ports, options, paths, seed, settings
from devstack.confirm import EXIT_NOT_CONFIRMED, confirmed

EXIT_REFUSED = 2


def cmd_reset(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    env_path = paths.env_file(root)
    # Check the configuration first: a reset that cannot start again must not delete anything.
    values = envfile.effective_values(env_path)
    settings.validate(values, source=str(env_path))
    stack = options.compose_project(args, root)
    project = stack.name

    decision = confirmed(project, args.yes, sys.stdin)
    if decision is None:
        print(
            f"devstack reset: refusing to delete project {project!r} without confirmation: no terminal to ask on. "
            "Pass --yes to confirm. Nothing was removed.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    if not decision:
        errors.report("reset", f"the name typed is not {project!r}; nothing was removed.")
        return EXIT_NOT_CONFIRMED

    compose.ensure_docker()
    # Ports our own containers hold are fine; one held by someone else would stop the fresh `up` half-way.
    host_ports.ensure_host_ports_free(values, project)

    started = time.monotonic()
    print(f"removing the containers, networks and volumes of project {project} ...", flush=True)
    code = stack.stream(["down", "--volumes", "--remove-orphans"])
    if code != 0:
        errors.report("reset", f"`docker compose down` failed (exit {code}); see its output above")
        return code

    print("starting the stack fresh; Compose shows each step and returns once every service is healthy", flush=True)
    code = stack.up(build=not args.no_build)
    if code != 0:
        print(
            f"devstack reset: the fresh stack did not become healthy (exit {code}): "
            f"`devstack status --project-name {project}` shows which service and its logs",
            file=sys.stderr,
        )
        return code

    front_door = stack.front_door_url(values) + "/"
    print(f"project {project} reset and healthy in {time.monotonic() - started:.1f} s")
    if args.seed:
        # The one confirmation above covered the test data too.
        return seed.seed_running_stack(stack, values)
    print(f"  TeraServer  {front_door}  login {settings.admin_login_text(values)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "reset",
        help="delete the stack's containers and volumes (all data), then start it fresh",
        description="`docker compose down --volumes --remove-orphans`, then `up --detach --wait --build`. "
        "Asks you to type the project name first (or pass --yes); without a terminal and without --yes it "
        "refuses. Variables set in the environment (DEVSTACK_HTTPS_PORT...) override .env, as for Compose.",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask: delete and restart right away")
    parser.add_argument("--no-build", action="store_true", help="use the images already built")
    parser.add_argument(
        "--seed",
        action="store_true",
        help="then load upstream's test data set as `devstack seed` does (no second question)",
    )
    parser.set_defaults(func=cmd_reset)
