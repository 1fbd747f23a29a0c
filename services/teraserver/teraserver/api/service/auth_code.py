"""GET /api/service/auth/code: a one-time code letting a service delegate a browser login to TeraServer.

The browser then goes to `/login?auth_code=<code>`; after the login TeraServer redirects it to the service's
`endpoint_url` with the code, and the service reads the user's data from Redis `service_auth_code_<code>`.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask_restx import reqparse

from teraserver import context
from teraserver.api.common import Answer, ClientError, strict_args
from teraserver.api.resources import ServiceResource
from teraserver.api.service.namespace import ns
from teraserver.service_auth import current_service

AUTH_CODE_KEY = "service_auth_code_{code}"
AUTH_CODE_TTL = 300  # seconds, as upstream

get_parser = reqparse.RequestParser()
get_parser.add_argument(
    "endpoint_url",
    type=str,
    location="args",
    required=True,
    help="Service endpoint the browser is sent back to after login",
)


class ServiceQueryAuthCode(ServiceResource):
    @ns.doc(
        description="Create a login code valid for 5 minutes.",
        responses={200: "Success - {auth_code}", 400: "Missing or unknown parameter"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | dict[str, Any]:
        """Get an authentication code."""
        args = strict_args(get_parser)
        if not args["endpoint_url"]:
            raise ClientError("Missing endpoint_url")
        code = secrets.token_urlsafe(32)
        value = {"service_uuid": current_service().service_uuid, "endpoint_url": args["endpoint_url"]}
        context.redis_client().set(AUTH_CODE_KEY.format(code=code), json.dumps(value), ex=AUTH_CODE_TTL)
        return {"auth_code": code}
