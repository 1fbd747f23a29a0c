"""flask-restx API under /api: one Namespace per client family (user, service, participant, device).

Each family is a subpackage whose `register(api)` adds its Namespace; each resource family inside it is a
module with its own `register(ns)`. Adding a resource = one module + one line in the family's MODULES list.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask
from flask_restx import Api
from opentera import OpenTeraServerVersion
from sqlalchemy.exc import OperationalError

from teraserver.settings import Settings

log = logging.getLogger("teraserver.api")

AUTHORIZATIONS = {
    "basicAuth": {"type": "basic"},
    "tokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Enter: OpenTera <token>",
    },
}


class TeraApi(Api):
    @property
    def specs_url(self) -> str:
        # Relative, as upstream: an absolute http:// URL would break the Swagger UI behind the HTTPS proxy.
        return "/api/swagger.json"


def create_api(app: Flask, settings: Settings) -> Api:
    api = TeraApi(
        app,
        prefix="/api",
        doc="/doc" if settings.enable_docs else False,
        title="OpenTeraServer API",
        version=OpenTeraServerVersion.opentera_server_version_string,
        description="TeraServer API (OpenTera DevStack implementation on the opentera package)",
        authorizations=AUTHORIZATIONS,
        security=["basicAuth", "tokenAuth"],
    )
    from teraserver.api import device, participant, service, user
    from teraserver.api.common import ClientError

    @api.errorhandler(ClientError)
    def client_error(error: ClientError) -> tuple[dict[str, str], int]:
        # The body is error.data (a JSON string, as upstream); restx wants a dict from handlers.
        return {}, error.status

    @api.errorhandler(OperationalError)
    @api.errorhandler(redis.ConnectionError)
    def backend_unavailable(error: Exception) -> tuple[dict[str, str], int, dict[str, str]]:
        # PostgreSQL or Redis down or unreachable: the client may retry, the request itself was fine (issue 17).
        # Never the driver's text: it names hosts and ports.
        backend = "Redis" if isinstance(error, redis.ConnectionError) else "Database"
        log.error("backend unavailable", extra={"backend": backend, "error": type(error).__name__})
        return {"message": f"{backend} unavailable, try again later"}, 503, {"Retry-After": "5"}

    user.register(api)
    service.register(api)
    device.register(api)
    participant.register(api)
    if settings.test_data:
        # Upstream's --enable_tests namespace; our TERASERVER_TEST_DATA plays that flag's role.
        from teraserver.api import test

        test.register(api)
    return api
