"""`devstack new NAME`: scaffold a service from the service template, give it a port and prefix, and
(stack running) create its database, register it with TeraServer and start only its container.

Every check runs before anything is written: name, prefix, port, existing folder, the other manifests,
the template render and `nginx -t` on the resulting NGINX configuration. Only then are the service's
files and the derived files written, and NGINX reloaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from devstack import live, locking, manifest, naming, paths, ports, render, template_state
from devstack.errors import CommandError, guarded
from devstack.regenerate import add_common_options, apply_checked, report
from devstack.register import add_connection_options, client_from_args, register_with_progress

SERVICE_TEMPLATE_DIR = "service"  # under scripts/devstack/templates/: the source of every service's own files
TEMPLATE_SUFFIX = ".j2"
DEFAULT_HEALTH_PATH = "/api/version"
MANIFEST_HEADER = manifest.SCHEMA_REFERENCE + (
    "# Manifest of this service: the one source of truth for its key, port and public prefix.\n"
    "# Files derived from it (NGINX location, OpenTera JSON config, database list, compose wiring) are\n"
    "# rebuilt by `devstack render`; never edit those by hand.\n"
)


def split_words(key: str) -> str:
    """`WeatherStationService` -> `Weather Station Service`: a display name from the key."""
    words: list[str] = []
    for char in key:
        if words and char.isupper() and not words[-1][-1].isupper():
            words.append(char)
        elif words:
            words[-1] += char
        else:
            words.append(char)
    return " ".join(words)


def plan_manifest(args: argparse.Namespace, existing: list[manifest.Manifest]) -> manifest.Manifest:
    """The new service's manifest, every field checked against the rules and the other services."""
    key = naming.check_key(args.name, [item.key for item in existing])
    folder = naming.check_folder(naming.folder_for_key(key))
    taken_by = next((item for item in existing if item.folder == folder), None)
    if taken_by is not None:
        raise CommandError(f"{key} would live in services/{folder}/, the folder of {taken_by.key}: choose another name")
    prefix = naming.check_prefix(
        args.prefix if args.prefix is not None else naming.prefix_for_folder(folder), [item.prefix for item in existing]
    )
    taken_ports = [item.port for item in existing]
    port = ports.check_port(ports.parse_port(args.port), taken_ports) if args.port is not None else None
    database = naming.check_database(
        naming.database_for_folder(folder), [item.database for item in existing if item.database]
    )
    display_name = args.display_name or split_words(key)
    candidate = manifest.Manifest(
        folder=folder,
        key=key,
        name=display_name,
        port=port if port is not None else ports.assign_port(taken_ports),
        prefix=prefix,
        health_path=DEFAULT_HEALTH_PATH,
        frontend=not args.no_frontend,
        database=database,
    )
    # Same validation as a manifest read from disk (e.g. the display name's characters).
    return manifest.parse_manifest(candidate.to_yaml_data(), folder, candidate.relative_path())


def template_variables(service: manifest.Manifest) -> dict[str, object]:
    stem = (
        service.key[: -len("Service")] if service.key.endswith("Service") and service.key != "Service" else service.key
    )
    return {
        "key": service.key,
        "name": service.name,
        "folder": service.folder,
        "port": service.port,
        "prefix": service.prefix,
        "database": service.database,
        "stem": stem,
        "frontend": service.frontend,
    }


def render_template_files(root: Path, service: manifest.Manifest) -> dict[str, str]:
    """The template's files for `service`: path relative to the service's folder -> text."""
    environment = render.template_environment(root)
    environment.trim_blocks = True
    environment.lstrip_blocks = True
    template_root = next(
        (Path(path) / SERVICE_TEMPLATE_DIR for path in environment.loader.searchpath  # type: ignore[union-attr]
         if (Path(path) / SERVICE_TEMPLATE_DIR).is_dir()),
        None,
    )  # fmt: skip
    if template_root is None:
        raise render.RenderError(f"the service template ({render.TEMPLATES_DIR}/{SERVICE_TEMPLATE_DIR}) is missing")
    variables = template_variables(service)
    files: dict[str, str] = {}
    for template in sorted(template_root.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = template.relative_to(template_root).as_posix()
        if not service.frontend and relative.startswith("Frontend/"):
            continue
        files[relative[: -len(TEMPLATE_SUFFIX)]] = render.render_template(
            environment, f"{SERVICE_TEMPLATE_DIR}/{relative}", variables
        )
    return files


def render_service_files(root: Path, service: manifest.Manifest) -> dict[str, str]:
    """Everything `new` writes in the service's folder (paths relative to the checkout): the template's files,
    the manifest, and the record of what the template gave (the base of a later `devstack upgrade`)."""
    template_files = render_template_files(root, service)
    folder = f"{manifest.SERVICES_DIR}/{service.folder}"
    files = {f"{folder}/{relative}": text for relative, text in template_files.items()}
    files[f"{folder}/{manifest.MANIFEST_NAME}"] = manifest.dump_manifest(service, MANIFEST_HEADER)
    state = template_state.make(template_variables(service), template_files)
    files[f"{folder}/{template_state.STATE_NAME}"] = template_state.dumps(state)
    return files


def go_live(args: argparse.Namespace, root: Path, service: manifest.Manifest) -> None:
    """Stack running: database, registration, then build and start only the new container."""
    if service.database:
        live.create_databases(root)
        print(f"database {service.database} ready")
    with tempfile.TemporaryDirectory(prefix="devstack-new-") as workdir:
        client = client_from_args(args, root, Path(workdir))
        result = register_with_progress(client, [service])
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"building and starting {service.folder} (only this container)...")
    live.build_and_start(root, service.folder)
    print(f"{service.folder} is healthy")


@guarded
def cmd_new(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    with locking.exclusive(root, f"new {args.name}", args.lock_timeout):
        existing = manifest.load_all(root)
        service = plan_manifest(args, existing)
        folder = root / manifest.SERVICES_DIR / service.folder
        if folder.exists() and not args.force:
            parked = folder / f"{manifest.MANIFEST_NAME}.removed"
            hint = f" (to bring back a removed service: rename {parked.name} to service.yaml, run `devstack render`)"
            raise CommandError(
                f"services/{service.folder}/ exists already: pass --force to overwrite its template files"
                + (hint if parked.exists() else "")
            )
        files = render_service_files(root, service)
        if args.dry_run:
            changes = render.plan(root, [*existing, service], pending_paths=set(files))
            for relative in files:
                state = "overwrite" if (root / relative).exists() else "create "
                print(f"would {state} {relative}")
            for line in render.describe(changes, verb_prefix="would "):
                print(line)
            print(f"port {service.port}, prefix {service.prefix}, database {service.database}: nothing written")
            return 0
        outcome = apply_checked(root, [*existing, service], pending=files, skip_nginx_check=args.skip_nginx_check)
        for relative in files:
            print(f"write   {relative}")
        report(outcome)
        running = live.docker_available() and live.is_running(root, "teraserver")
        url = f"{live.front_door_url(root)}{service.prefix}/"
        if running and not args.no_start:
            try:
                go_live(args, root, service)
            except BaseException:
                # The files are in place and consistent; only the running stack lags (issue 17).
                print(
                    f"devstack new: the files of {service.key} are written but it is not running yet: finish with "
                    f"`devstack up`, or undo with `devstack remove {service.key} --delete-folder`",
                    file=sys.stderr,
                )
                raise
        elif running:
            print("the stack runs: `devstack up` creates the new service's database, registers and starts it")
        else:
            print("the stack is not running: `devstack up` builds, registers and starts the new service with it")
    print(f"{service.key}: port {service.port}, prefix {service.prefix}, database {service.database}")
    print(f"  folder  services/{service.folder}/   (manifest: services/{service.folder}/service.yaml)")
    print(f"  URL     {url}   (API docs: {url}doc)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "new",
        help="scaffold a new OpenTera service from the template and add it to the stack",
        description="Create services/<folder>/ from the service template, as the sample is (Backend on the kit, "
        "Frontend, Dockerfile, its own compose file with `develop.watch`, tests/) with its manifest, then "
        "rebuild the derived files (NGINX location checked with `nginx -t` and reloaded, JSON config, database "
        "list, compose wiring with healthcheck and debug variant). With the stack running it also creates the "
        "service's database, registers the service with TeraServer and builds and starts only its container. "
        "NAME is the OpenTera service key: letters and digits, starting with a letter (e.g. WeatherService -> "
        "folder weather, prefix /weather, database openteraweather).",
    )
    parser.add_argument("name", metavar="NAME", help="service key, e.g. WeatherService")
    parser.add_argument("--prefix", help="public URL prefix (default: /<folder>)")
    parser.add_argument("--port", help="port the service listens on in its container (default: the first free one)")
    parser.add_argument("--display-name", help="human-readable name (default: from NAME, e.g. 'Weather Service')")
    parser.add_argument("--no-frontend", action="store_true", help="no Frontend/ folder (a REST API only)")
    parser.add_argument("--dry-run", action="store_true", help="list every file it would write or change; write none")
    parser.add_argument("--force", action="store_true", help="overwrite the template files of an existing folder")
    parser.add_argument("--no-start", action="store_true", help="write the files only, even with the stack running")
    add_common_options(parser)
    add_connection_options(parser)
    parser.set_defaults(func=cmd_new)
