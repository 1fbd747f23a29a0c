"""/api/service/*: resources called by services with a service token (contract 2.5, 3.4).

None are implemented yet. To add one: create a module here whose resources use `@ns.route(...)` and a
service-token decorator (to be written in teraserver/auth.py, contract 2.5), then list it in RESOURCE_MODULES.
The namespace is only added to the API once it has resources, so Swagger shows no empty section.
"""

from __future__ import annotations

import importlib

from flask_restx import Api

from teraserver.api.service.namespace import ns

RESOURCE_MODULES: list[str] = []


def register(api: Api) -> None:
    for name in RESOURCE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    if RESOURCE_MODULES:
        api.add_namespace(ns)
