"""`devstack services`: every service of the manifests with its port, prefix, database and container state.

`--json` prints the envelope every command's `--json` shares (`options.ENVELOPE_KEYS`, as `devstack status`),
with one object per manifest under "services":

    {"schema_version": 1, "project": "opentera-devstack", "healthy": true,   every service's container running
     "front_door": "https://localhost:40075/",                                (healthy when it has a healthcheck)
     "services": [{"service": "sample", "key": "SampleService", "port": 5011, "prefix": "/sample",
                   "database": "sample" or null, "frontend": false, "state": "running", "health": "healthy",
                   "ok": true, "url": "https://localhost:40075/sample/"}]}
"""

from __future__ import annotations

import argparse

from devstack import compose, envfile, manifest, options, paths
from devstack.errors import guarded

TABLE_COLUMNS = ("key", "service", "port", "prefix", "database", "status", "url")


def service_rows(
    manifests: list[manifest.Manifest], containers: list[compose.Container], front_door: str
) -> list[dict[str, object]]:
    by_service = {container.service: container for container in containers}
    rows = []
    for item in manifests:
        container = by_service.get(item.folder)
        state = container.state if container else compose.NOT_CREATED
        health = container.health if container else ""
        rows.append(
            {
                "service": item.folder,
                "key": item.key,
                "port": item.port,
                "prefix": item.prefix,
                "database": item.database or None,
                "frontend": item.frontend,
                "state": state,
                "health": health,
                "ok": state == "running" and health in ("", "healthy"),
                "url": f"{front_door.rstrip('/')}{item.prefix}/",
            }
        )
    return rows


def render_table(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "no service yet: `devstack new MyService` scaffolds one"

    def cell(row: dict[str, object], column: str) -> str:
        if column == "status":
            return f"{row['state']} ({row['health']})" if row["health"] else str(row["state"])
        value = row[column]
        return "-" if value is None else str(value)

    widths = {column: max(len(column), *(len(cell(row, column)) for row in rows)) for column in TABLE_COLUMNS}
    lines = ["  ".join(column.upper().ljust(widths[column]) for column in TABLE_COLUMNS).rstrip()]
    lines += ["  ".join(cell(row, column).ljust(widths[column]) for column in TABLE_COLUMNS).rstrip() for row in rows]
    return "\n".join(lines)


@guarded
def cmd_services(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    manifests = manifest.load_all(root)
    stack = options.compose_project(args, root)
    values = envfile.effective_values(paths.env_file(root))
    try:
        containers = stack.ps() if compose.docker_available() else []
    except compose.ComposeError:
        containers = []
    front_door = compose.front_door_of(values, containers)
    rows = service_rows(manifests, containers, front_door)
    if args.json:
        healthy = all(row["ok"] for row in rows)
        print(options.render_json(options.envelope(stack.name, healthy, front_door, rows)))
    else:
        print(render_table(rows))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "services",
        help="list the services (key, folder, port, prefix, database, container state, URL)",
        description="List every service of services/*/service.yaml with its port, public prefix, database, the "
        "state of its container in the running stack, and its URL through NGINX.",
    )
    options.add_json_option(parser, "the envelope of `status --json`; schema in `pydoc devstack.services`")
    parser.set_defaults(func=cmd_services)
