"""`devstack register`: register every manifest's service with TeraServer (also the compose job `register`)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from devstack import compose, envfile, manifest, options, paths, progress, registration, secret_files
from devstack.errors import CommandError, guarded

LOGIN_WAIT_SECONDS = 60.0


def stack_ca_file(stack: compose.ComposeProject, workdir: Path) -> Path:
    """The stack's CA certificate, copied out of the running proxy (the host has no other copy)."""
    destination = workdir / "ca_cert.pem"
    result = stack.copy_ca(destination)
    if result.returncode != 0 or not destination.is_file():
        raise CommandError(
            "cannot get the stack's CA from the proxy container (is the stack up?); pass --ca-file: "
            + (result.stderr.strip() or "no output")
        )
    return destination


def selected_manifests(root: Path, keys: list[str]) -> list[manifest.Manifest]:
    manifests = manifest.load_all(root)
    if not keys:
        return manifests
    by_key = {item.key.lower(): item for item in manifests}
    unknown = [key for key in keys if key.lower() not in by_key]
    if unknown:
        known = ", ".join(sorted(item.key for item in manifests)) or "none"
        raise CommandError(f"no manifest has the key {unknown[0]!r} (known: {known})")
    return [by_key[key.lower()] for key in keys]


def admin_password(values: dict[str, str], environ: Mapping[str, str] | None = None) -> str:
    """TERASERVER_ADMIN_PASSWORD, or the file TERASERVER_ADMIN_PASSWORD_FILE names (the register job under Swarm,
    issue 19), else the value from .env or its default."""
    try:
        from_file = secret_files.env_or_file(os.environ if environ is None else environ, "TERASERVER_ADMIN_PASSWORD")
    except secret_files.SecretFileError as error:
        raise CommandError(str(error)) from None
    return from_file or values["TERASERVER_ADMIN_PASSWORD"]


def client_from_args(args: argparse.Namespace, root: Path, workdir: Path) -> registration.TeraServerClient:
    values = envfile.effective_values(paths.env_file(root))
    # Never a command-line argument (other users of the machine see those): the environment, a file, or a prompt.
    password = (
        getpass.getpass(f"password of {args.username or values['TERASERVER_ADMIN_USERNAME']}: ")
        if args.ask_password
        else admin_password(values)
    )
    stack = options.compose_project(args, root)
    url = args.url or os.environ.get("DEVSTACK_REGISTER_URL") or stack.front_door_url(values)
    ca_file = args.ca_file or os.environ.get("DEVSTACK_CA_FILE") or str(stack_ca_file(stack, workdir))
    username = args.username or values["TERASERVER_ADMIN_USERNAME"]
    # Said first: the login may wait up to --wait seconds for a TeraServer still starting.
    print(f"logging in to TeraServer at {url} as {username}", flush=True)
    return registration.TeraServerClient.login(
        url,
        username,
        password,
        verify=ca_file,
        wait_seconds=args.wait,
    )


def register_with_progress(
    client: registration.TeraServerClient, manifests: list[manifest.Manifest]
) -> registration.Result:
    """register_all, with a line every few quiet seconds: a TeraServer under load answers slowly."""
    with progress.heartbeat(f"registering {len(manifests)} service(s) with {client.base_url}") as beat:

        def log(message: str) -> None:
            print(message, flush=True)
            beat.output_seen()

        return registration.register_all(client, manifests, log=log)


def register_services(args: argparse.Namespace, root: Path, manifests: list[manifest.Manifest]) -> int:
    """Register `manifests`; warnings for endpoints TeraServer lacks, exit 0 unless something really failed."""
    with tempfile.TemporaryDirectory(prefix="devstack-register-") as workdir:
        client = client_from_args(args, root, Path(workdir))
        result = register_with_progress(client, manifests)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{len(result.registered)} of {len(manifests)} service(s) registered with {client.base_url}")
    return 0


@guarded
def cmd_register(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    manifests = selected_manifests(root, args.keys)
    if not manifests:
        print("no service manifest (services/*/service.yaml): nothing to register")
        return 0
    return register_services(args, root, manifests)


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help="TeraServer's front door (default: $DEVSTACK_REGISTER_URL, else the running stack's "
        "https://localhost:<port>)",
    )
    parser.add_argument(
        "--ca-file", help="CA to trust (default: $DEVSTACK_CA_FILE, else the running stack's, from its proxy)"
    )
    parser.add_argument("--username", help="admin user (default: TERASERVER_ADMIN_USERNAME from .env)")
    parser.add_argument(
        "--ask-password",
        action="store_true",
        help="prompt for the admin password (default: $TERASERVER_ADMIN_PASSWORD, the file "
        "$TERASERVER_ADMIN_PASSWORD_FILE names, else .env's; never an argument)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=LOGIN_WAIT_SECONDS,
        metavar="SECONDS",
        help="keep retrying while TeraServer does not answer yet (default: %(default)s)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "register",
        help="register the services of the manifests with TeraServer (create or update, link site and project)",
        description="Log in to TeraServer as admin and, for each service manifest, create or update the service "
        f"(key, name, host name = folder, port, endpoint /, client endpoint = prefix, enabled, roles "
        f"{' and '.join(registration.DEFAULT_ROLES)}), then link it to {registration.DEFAULT_SITE_NAME!r} and to "
        f"the project {registration.DEV_PROJECT_NAME!r} (created when missing). Only TeraServer's public user API "
        "is used, so this works against an upstream TeraServer too. Endpoints TeraServer lacks (HTTP 404/405) "
        "are reported as warnings and do not fail the command; bad credentials or server errors do.",
    )
    parser.add_argument("keys", nargs="*", metavar="KEY", help="only these services (default: every manifest)")
    add_connection_options(parser)
    parser.set_defaults(func=cmd_register)
