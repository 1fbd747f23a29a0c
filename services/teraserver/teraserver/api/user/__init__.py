"""/api/user/*: resources for users (Basic and/or `OpenTera <token>` auth).

Each module in RESOURCE_MODULES declares its resources with `@ns.route(...)` on the shared namespace;
importing it is what registers them. Add a resource family = add a module and list it here.
"""

from __future__ import annotations

import importlib

from flask_restx import Api

from teraserver.api.user.namespace import ns

RESOURCE_MODULES = [
    "login",
    "logout",
    "refresh_token",
    "services",
    "service_roles",
    "service_sites",
    "service_projects",
    "service_access",
    "service_configs",
    "devices",
    "session_types",
    "session_type_sites",
    "session_type_projects",
    "session_type_services",
    "sites",
    "projects",
    "users",
    "usergroups",
    "participants",
    "forms",
    "session_manager",
    "sessions",
    "assets",
    "server",
    "login_change_password",
    "login_2fa",
    "login_setup_2fa",
    "device_types",
    "device_subtypes",
    "device_participants",
    "device_projects",
    "device_sites",
    "participant_groups",
    "online",
    "disconnect",
    "test_types",
    "test_type_links",
    "tests",
    "test_invitations",
    "user_usergroups",
    "project_access",
    "site_access",
    "user_preferences",
    "stats",
    "assets_archive",
]


def register(api: Api) -> None:
    for name in RESOURCE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    api.add_namespace(ns)
