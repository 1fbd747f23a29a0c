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
from collections.abc import Callable
from typing import TextIO

from devstack import compose, envfile, errors, paths, settings, status

EXIT_REFUSED = 2
EXIT_NOT_CONFIRMED = 1


def confirmed(
    project: str,
    assume_yes: bool,
    stdin: TextIO,
    ask: Callable[[str], str] | None = None,
    consequence: str | None = None,
) -> bool | None:
    """True to go ahead, False when the typed name did not match, None when there is no terminal to ask on.

    `consequence` is the sentence saying what will be lost (default: the reset's).
    """
    if assume_yes:
        return True
    if not stdin.isatty():
        return None
    consequence = consequence or (
        f"This deletes every container and volume of Compose project {project!r} "
        "(database, Redis, certificates) and starts it fresh."
    )
    prompt = f"{consequence}\nType the project name to confirm: "
    try:
        answer = (ask or input)(prompt)
    except EOFError:  # Ctrl-D at the prompt: no answer is no
        return False
    return answer.strip() == project


def cmd_reset(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    env_path = paths.env_file(root)
    # Check the configuration first: a reset that cannot start again must not delete anything.
    values = envfile.effective_values(env_path)
    settings.validate(values, source=str(env_path))
    project = status.resolve_project(root, args.project)

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
    status.ensure_host_ports_free(values, project)

    started = time.monotonic()
    print(f"removing the containers, networks and volumes of project {project} ...", flush=True)
    code = compose.run_compose(root, ["down", "--volumes", "--remove-orphans"], project=project)
    if code != 0:
        errors.report("reset", f"`docker compose down` failed (exit {code}); see its output above")
        return code

    arguments = ["up", "--detach", "--wait"] + ([] if args.no_build else ["--build"])
    print("starting the stack fresh; Compose shows each step and returns once every service is healthy", flush=True)
    code = compose.run_compose(root, arguments, project=project)
    if code != 0:
        print(
            f"devstack reset: the fresh stack did not become healthy (exit {code}): "
            f"`devstack status --project {project}` shows which service and its logs",
            file=sys.stderr,
        )
        return code

    front_door = f"https://{values['DEVSTACK_HOSTNAME']}:{values['DEVSTACK_HTTPS_PORT']}/"
    print(f"project {project} reset and healthy in {time.monotonic() - started:.1f} s")
    if args.seed:
        # Imported here: `seed` reuses `confirmed` from this module.
        from devstack import seed

        # The one confirmation above covered the test data too.
        return seed.seed_running_stack(root, project, values)
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
    status.add_project_option(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask: delete and restart right away")
    parser.add_argument("--no-build", action="store_true", help="use the images already built")
    parser.add_argument(
        "--seed",
        action="store_true",
        help="then load upstream's test data set as `devstack seed` does (no second question)",
    )
    parser.set_defaults(func=cmd_reset)
