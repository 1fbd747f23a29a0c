"""`devstack seed`: replace all of TeraServer's data with upstream's test data set, on the running stack.

Steps: check the stack runs (else refuse, nothing changed); ask (or --yes); run `python -m teraserver.seed`
inside the teraserver container (it empties the data tables, loads upstream's test set and rewrites the
`service.*` entries in Redis); run the `register` job again, since the stack's own services' rows were
replaced too; restart those services so they read their new service uuid; wait until they are healthy; print
the test accounts and the rows per table. `devstack reset --seed` runs the same steps after a reset.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from devstack import compose, envfile, errors, manifest, options, paths, settings
from devstack.compose import NOT_CREATED
from devstack.confirm import EXIT_NOT_CONFIRMED, confirmed

EXIT_FAILED = 1
EXIT_REFUSED = 2
TERASERVER = "teraserver"
# What the seed needs running: TeraServer with its database and Redis, and the front door the
# `register` job talks through.
REQUIRED_SERVICES = ("db", "redis", TERASERVER, "proxy")
HEALTHY_STATES = {"running (healthy)", "running"}
HEALTH_WAIT_SECONDS = 180.0
SEED_TIMEOUT_SECONDS = 300.0


class SeedFailed(RuntimeError):
    """A step failed after the data was touched; the message says which and how to recover."""


def stack_problem(project: str, states: Mapping[str, str]) -> str | None:
    """Why the stack cannot be seeded now (None when it can)."""
    if not states:
        return f"project {project!r} has no containers: start it with `devstack up` first"
    down = [
        f"{name}: {states.get(name, NOT_CREATED)}"
        for name in REQUIRED_SERVICES
        if states.get(name) not in HEALTHY_STATES
    ]
    if down:
        return (
            f"project {project!r} is not running healthy ({'; '.join(down)}): "
            "start it with `devstack up` (or see `devstack status`) first"
        )
    return None


def services_to_restart(manifests: Iterable[manifest.Manifest], states: Mapping[str, str]) -> list[str]:
    """The stack's own services (one per manifest) that have a container: they cached their old uuid."""
    return [item.folder for item in manifests if item.folder in states and states[item.folder] != NOT_CREATED]


def not_healthy(states: Mapping[str, str], services: Iterable[str]) -> dict[str, str]:
    return {name: states.get(name, NOT_CREATED) for name in services if states.get(name) not in HEALTHY_STATES}


def wait_healthy(
    read_states: Callable[[], Mapping[str, str]],
    services: list[str],
    timeout: float = HEALTH_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, str]:
    """Poll until every service is healthy; return those that are not when `timeout` runs out ({} = all fine)."""
    deadline = clock() + timeout
    while True:
        waiting = not_healthy(read_states(), services)
        if not waiting or clock() >= deadline:
            return waiting
        sleep(1.0)


def parse_seed_output(stdout: str) -> dict[str, Any]:
    """The JSON object `python -m teraserver.seed --json` prints (its last non-empty line)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    try:
        document = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("counts"), dict):
        raise SeedFailed(f"TeraServer's seed printed no result: {stdout.strip()[-500:] or 'no output'}")
    return document


def report_lines(result: Mapping[str, Any], front_door: str) -> list[str]:
    lines = [f"test accounts (log in at {front_door}api/user/login):"]
    for account in result.get("accounts", []):
        flag = "  (superadmin)" if account.get("superadmin") else ""
        lines.append(f"  {account['kind']:<11} {account['username']} / {account['password']}{flag}")
    counts = result["counts"]
    lines.append(f"rows loaded ({sum(counts.values())} in {sum(1 for n in counts.values() if n)} tables):")
    lines += [f"  {name:<30} {count:>4}" for name, count in sorted(counts.items()) if count]
    return lines


def run_seed(stack: compose.ComposeProject) -> dict[str, Any]:
    result = stack.exec(TERASERVER, "python", "-m", "teraserver.seed", "--json", timeout=SEED_TIMEOUT_SECONDS)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise SeedFailed(f"loading the test data failed (exit {result.returncode}): {detail}")
    return parse_seed_output(result.stdout)


def superadmin_of(result: Mapping[str, Any]) -> tuple[str, str] | None:
    """(username, password) of the test set's superadmin, from the seed's result."""
    for account in result.get("accounts", []):
        if account.get("kind") == "user" and account.get("superadmin"):
            return str(account["username"]), str(account["password"])
    return None


def register_again(stack: compose.ComposeProject, admin: tuple[str, str] | None) -> None:
    # --no-deps: TeraServer and the proxy run already; the job only needs to log in and register. It logs in
    # as the test set's superadmin: a TERASERVER_ADMIN_PASSWORD changed in .env no longer applies after a seed.
    # The password goes through Compose's environment (`-e NAME` without a value), never on a command line.
    credentials: list[str] = []
    environment: dict[str, str] = {}
    if admin is not None:
        environment = {"TERASERVER_ADMIN_USERNAME": admin[0], "TERASERVER_ADMIN_PASSWORD": admin[1]}
        credentials = ["-e", "TERASERVER_ADMIN_USERNAME", "-e", "TERASERVER_ADMIN_PASSWORD"]
        # A job given its password as a file (docs/configuration.md) would refuse both at once: empty = unset.
        credentials += ["-e", "TERASERVER_ADMIN_PASSWORD_FILE="]
    command = ("run", "--rm", "--no-deps", "-T", *credentials, "register")
    result = stack.run(*command, timeout=SEED_TIMEOUT_SECONDS, environment=environment)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise SeedFailed(
            f"the test data is loaded, but registering the stack's services again failed (exit "
            f"{result.returncode}): {output[-800:]}\n"
            "Retry with `TERASERVER_ADMIN_PASSWORD=admin devstack register --username admin`."
        )
    if output:
        print(output.splitlines()[-1])


def restart_services(stack: compose.ComposeProject, services: list[str]) -> None:
    if not services:
        return
    result = stack.run("restart", *services, timeout=SEED_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise SeedFailed(f"restarting {', '.join(services)} failed: {result.stderr.strip()[-500:]}")
    waiting = wait_healthy(stack.states, services)
    if waiting:
        described = ", ".join(f"{name} {state}" for name, state in sorted(waiting.items()))
        raise SeedFailed(f"after the seed these services are not healthy: {described} (see `devstack status`)")


def seed_running_stack(stack: compose.ComposeProject, values: Mapping[str, str]) -> int:
    """Everything after the confirmation (also `devstack reset --seed`); the stack was checked to run."""
    started = time.monotonic()
    project = stack.name
    own_services = services_to_restart(manifest.load_all(stack.root), stack.states())
    try:
        print(f"loading upstream's test data into TeraServer of project {project} ...", flush=True)
        result = run_seed(stack)
        print("registering the stack's services again ...", flush=True)
        register_again(stack, superadmin_of(result))
        if own_services:
            print(f"restarting {', '.join(own_services)} to pick up the new service uuid ...", flush=True)
        restart_services(stack, own_services)
    except (SeedFailed, subprocess.TimeoutExpired) as error:
        errors.report("seed", error)
        return EXIT_FAILED
    front_door = stack.front_door_url(values) + "/"
    print(f"project {project} holds upstream's test data, healthy, in {time.monotonic() - started:.1f} s")
    print("\n".join(report_lines(result, front_door)))
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    env_path = paths.env_file(root)
    values = envfile.effective_values(env_path)
    settings.validate(values, source=str(env_path))
    stack = options.compose_project(args, root)
    project = stack.name
    compose.ensure_docker()

    problem = stack_problem(project, stack.states())
    if problem:
        errors.report("seed", f"{problem}. Nothing was changed.")
        return EXIT_REFUSED
    consequence = (
        f"This replaces ALL of TeraServer's data in Compose project {project!r} (users, projects, participants, "
        "sessions, service registrations) with upstream's test data set."
    )
    decision = confirmed(project, args.yes, sys.stdin, consequence=consequence)
    if decision is None:
        print(
            f"devstack seed: refusing to replace the data of project {project!r} without confirmation: no terminal "
            "to ask on. Pass --yes to confirm. Nothing was changed.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    if not decision:
        errors.report("seed", f"the name typed is not {project!r}; nothing was changed.")
        return EXIT_NOT_CONFIRMED
    return seed_running_stack(stack, values)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "seed",
        help="replace all TeraServer data with upstream's test data set (users, projects, participants, sessions)",
        description="On the running stack: empty TeraServer's data tables and load upstream's test data set "
        "(create_defaults with test=True: admin/admin, siteadmin/siteadmin, user/user..., projects, participants, "
        "sessions), re-register the stack's own services and restart them, then print the test accounts and the "
        "rows loaded. Token keys and server settings are kept. Asks you to type the project name first (or pass "
        "--yes); refuses when the stack is not running.",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask: replace the data right away")
    parser.set_defaults(func=cmd_seed)
