"""/api/service/*: resources called by services with a service token.

All 24 upstream resources. A resource: a `ServiceResource` subclass (api/resources.py) in a module here, and a
line in `routes.py`.
"""

from __future__ import annotations

from flask_restx import Api

from teraserver.api.resources import register_routes
from teraserver.api.service.namespace import ns
from teraserver.api.service.routes import ROUTES


def register(api: Api) -> None:
    register_routes(api, ns, ROUTES)
