"""/api/user/*: resources for users (Basic and/or `OpenTera <token>` auth).

A resource: a `UserResource` subclass (api/resources.py) in a module here, and a line in `routes.py`.
"""

from __future__ import annotations

from flask_restx import Api

from teraserver.api.resources import register_routes
from teraserver.api.user.namespace import ns
from teraserver.api.user.routes import ROUTES


def register(api: Api) -> None:
    register_routes(api, ns, ROUTES)
