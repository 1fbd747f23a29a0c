"""/api/participant/*: the 7 resources participants call (Basic, dynamic or static token).

Authentication and roles: `teraserver.participant_auth` (`full` for a password or dynamic token, `limited` for
a static token). What a participant reaches follows upstream's DBManagerTeraParticipantAccess: its own row,
the devices linked to it, the session types of its project, the sessions it created (plus, for GET
/sessions, those it takes part in), and the assets that name it. A resource: a `ParticipantResource` subclass
(api/resources.py) in a module here, and a line in `routes.py`.
"""

from __future__ import annotations

from flask_restx import Api

from teraserver.api.participant.namespace import ns
from teraserver.api.participant.routes import ROUTES
from teraserver.api.resources import register_routes


def register(api: Api) -> None:
    register_routes(api, ns, ROUTES)
