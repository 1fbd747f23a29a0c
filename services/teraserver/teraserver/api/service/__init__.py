"""/api/service/*: resources called by services with a service token.

All 24 upstream resources. To add one: create a module here whose resources use `@ns.route(...)` and
`teraserver.service_auth.service_token_required` (plus `common.client_errors`), then list it in RESOURCE_MODULES.
The namespace is only added to the API once it has resources, so Swagger shows no empty section.
"""

from __future__ import annotations

import importlib

from flask_restx import Api

from teraserver.api.service.namespace import ns

RESOURCE_MODULES: list[str] = [
    "access",  # /access
    "assets",  # /assets
    "auth_code",  # /auth/code
    "devices",  # /devices
    "disconnect",  # /disconnect
    "groups",  # /groups
    "participants",  # /participants
    "projects",  # /projects
    "roles",  # /roles
    "serviceaccess",  # /serviceaccess
    "services",  # /services
    "sessions",  # /sessions, /sessions/events, /sessions/manager
    "sessiontypes",  # /sessiontypes, /sessiontypes/projects
    "sites",  # /sites
    "tests",  # /tests, /tests/invitations
    "testtypes",  # /testtypes, /testtypes/projects
    "usergroups",  # /usergroups
    "users",  # /users, /users/access
]


def register(api: Api) -> None:
    for name in RESOURCE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    if RESOURCE_MODULES:
        api.add_namespace(ns)
