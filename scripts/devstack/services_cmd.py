"""`devstack services`: every service of the manifests with its port, prefix, database and container state."""

from __future__ import annotations

import argparse
import json

from devstack import live, manifest, paths
from devstack.errors import guarded

NOT_RUNNING = "not running"


@guarded
def cmd_services(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    manifests = manifest.load_all(root)
    states = live.service_states(root)
    url = live.front_door_url(root)
    rows = [
        {
            "key": item.key,
            "folder": item.folder,
            "port": item.port,
            "prefix": item.prefix,
            "database": item.database or "-",
            "frontend": item.frontend,
            "state": states.get(item.folder, NOT_RUNNING),
            "url": f"{url}{item.prefix}/",
        }
        for item in manifests
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no service yet: `devstack new MyService` scaffolds one")
        return 0
    columns = ("key", "folder", "port", "prefix", "database", "state", "url")
    widths = {column: max(len(column), *(len(str(row[column])) for row in rows)) for column in columns}
    print("  ".join(column.upper().ljust(widths[column]) for column in columns).rstrip())
    for row in rows:
        print("  ".join(str(row[column]).ljust(widths[column]) for column in columns).rstrip())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "services",
        help="list the services (key, folder, port, prefix, database, container state, URL)",
        description="List every service of services/*/service.yaml with its port, public prefix, database, the "
        "state of its container in the running stack, and its URL through NGINX.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=cmd_services)
