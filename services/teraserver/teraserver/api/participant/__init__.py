"""/api/participant/*: the 7 resources participants call (Basic, dynamic or static token).

Authentication and roles: `teraserver.participant_auth` (`full` for a password or dynamic token, `limited` for
a static token). What a participant reaches follows upstream's DBManagerTeraParticipantAccess: its own row,
the devices linked to it, the session types of its project, the sessions it created (plus, for GET
/sessions, those it takes part in), and the assets that name it.
"""

from __future__ import annotations

import importlib

from flask_restx import Api

from teraserver.api.participant.namespace import ns

RESOURCE_MODULES = [
    "login",  # /login, /logout, /refresh_token
    "participants",  # /participants
    "devices",  # /devices
    "sessions",  # /sessions
    "assets",  # /assets
]


def register(api: Api) -> None:
    for name in RESOURCE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    api.add_namespace(ns)
