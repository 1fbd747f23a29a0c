"""/api/device/*: resources called by devices with their static token (`device_auth.py`).

Upstream's 9 resources: login, logout, register, sessions, sessions/events, devices, assets, participants,
status. What a device may reach: `access.py`. To add one: create a module whose resources use `@ns.route(...)`
and `teraserver.device_auth.device_token_required`, then list it in RESOURCE_MODULES.
"""

from __future__ import annotations

import importlib

from flask_restx import Api

from teraserver.api.device.namespace import ns

RESOURCE_MODULES: list[str] = [
    "login",  # /login, /logout
    "register",  # /register
    "devices",  # /devices, /participants
    "sessions",  # /sessions, /sessions/events
    "assets",  # /assets
    "status",  # /status
]


def register(api: Api) -> None:
    for name in RESOURCE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    api.add_namespace(ns)
