"""`devstack remove NAME`: take a service out of the stack; its folder is deleted only with --delete-folder.

Order: stop its container (while the generated compose wiring still names it), check and write the derived
files without it and reload NGINX, then delete its TeraServer registration. Without --delete-folder the
manifest is renamed to service.yaml.removed, so nothing is lost: rename it back and run `devstack render`.
Its database is kept (data); drop it by hand when you are sure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

from devstack import live, locking, manifest, paths, progress, registration, render
from devstack.errors import CommandError, guarded
from devstack.regenerate import add_common_options, apply_checked, report
from devstack.register import add_connection_options, client_from_args

REMOVED_SUFFIX = ".removed"


def find_service(manifests: list[manifest.Manifest], name: str) -> manifest.Manifest:
    for item in manifests:
        if name.lower() in {item.key.lower(), item.folder}:
            return item
    known = ", ".join(item.key for item in manifests) or "none"
    raise CommandError(f"no service {name!r} in services/*/service.yaml (known: {known})")


def unregister(args: argparse.Namespace, root: Path, service: manifest.Manifest) -> None:
    with tempfile.TemporaryDirectory(prefix="devstack-remove-") as workdir:
        client = client_from_args(args, root, Path(workdir))
        try:
            with progress.heartbeat(f"deleting {service.key}'s registration"):
                deleted = client.delete_service(service.key)
        except registration.MissingEndpointError as error:
            print(f"warning: {error}: {service.key} stays registered in TeraServer", file=sys.stderr)
            return
    print(f"TeraServer: {service.key} {'deleted' if deleted else 'was not registered'}")


def debug_variants(root: Path, name: str) -> list[str]:
    """`<name>-debug` when the generated services/services.compose.yaml defines it (`devstack render` writes one
    for every manifest), so that a running debug container goes with the service."""
    compose_file = root / render.SERVICES_COMPOSE
    try:
        definition = yaml.safe_load(compose_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    services = definition.get("services") if isinstance(definition, dict) else None
    variant = render.debug_service_name(name)
    return [variant] if isinstance(services, dict) and variant in services else []


@guarded
def cmd_remove(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    with locking.exclusive(root, f"remove {args.name}", args.lock_timeout):
        manifests = manifest.load_all(root)
        service = find_service(manifests, args.name)
        remaining = [item for item in manifests if item is not service]
        folder = root / manifest.SERVICES_DIR / service.folder
        stack_running = live.docker_available() and live.is_running(root, "teraserver")
        if args.dry_run:
            changes = render.plan(root, remaining)
            if stack_running:
                print(f"would stop and remove the {service.folder} container and delete its registration")
            if args.delete_folder:
                print(f"would delete {folder.relative_to(root)}/")
            else:
                print(f"would rename {service.relative_path()} to service.yaml{REMOVED_SUFFIX}")
            for line in render.describe(changes, verb_prefix="would "):
                print(line)
            return 0
        if stack_running:
            variants = debug_variants(root, service.folder)
            live.stop_and_remove(root, service.folder, *variants)
            print(f"container {', '.join([service.folder, *variants])} stopped and removed")
        # Take the manifest out first so the render no longer sees it; put it back if NGINX refuses the result.
        manifest_path = folder / manifest.MANIFEST_NAME
        parked = folder / f"{manifest.MANIFEST_NAME}{REMOVED_SUFFIX}"
        os.replace(manifest_path, parked)
        try:
            outcome = apply_checked(root, remaining, skip_nginx_check=args.skip_nginx_check)
        except BaseException:
            os.replace(parked, manifest_path)
            raise
        report(outcome)
        if args.delete_folder:
            shutil.rmtree(folder)
            print(f"deleted {folder.relative_to(root)}/")
        else:
            print(f"kept {folder.relative_to(root)}/ (manifest parked as {parked.relative_to(root)})")
        if stack_running and not args.keep_registration:
            unregister(args, root, service)
        elif not stack_running:
            print(f"the stack is not running: {service.key} stays registered in TeraServer's database "
                  "(harmless: TeraServer only lists it; delete it there if you want it gone)")  # fmt: skip
        if service.database:
            print(f"database {service.database} kept; drop it with: docker compose exec db dropdb -U postgres "
                  f"{service.database}")  # fmt: skip
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "remove",
        help="remove a service: its container, NGINX location, compose wiring and TeraServer registration",
        description="Remove a service from the stack: stop and remove its container, rebuild the derived files "
        "without it (NGINX checked and reloaded), and delete its TeraServer registration. Its folder stays, with "
        f"the manifest renamed to service.yaml{REMOVED_SUFFIX}, unless --delete-folder. Its database is kept.",
    )
    parser.add_argument("name", metavar="NAME", help="the service's key (e.g. WeatherService) or folder (weather)")
    parser.add_argument("--delete-folder", action="store_true", help="also delete services/<folder>/ for good")
    parser.add_argument("--keep-registration", action="store_true", help="leave the service registered")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done; change nothing")
    add_common_options(parser)
    add_connection_options(parser)
    parser.set_defaults(func=cmd_remove)
