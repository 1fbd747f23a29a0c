"""GET /api/user/forms?type=session_type_config&id=<id_session_type>.

For a session type run by a service (category 1 = SERVICE), the form comes from that service over RPC
(`session_type_config`, 5 s); no answer is a 408. Other session types get the package's empty form. Only the
session_type_config form is served so far; other types are a 400 (upstream: 500 for unknown types).
"""

from __future__ import annotations

import json
from typing import Any

from flask import g
from flask_restx import reqparse
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.forms.TeraForm import TeraForm

from teraserver import context, rpc
from teraserver.api.common import ClientError, forbidden
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

SERVICE_CATEGORY = TeraSessionType.SessionCategoryEnum.SERVICE.value
SESSION_TYPE_CONFIG_TIMEOUT = 5.0  # seconds, as upstream

get_parser = reqparse.RequestParser()
get_parser.add_argument("type", type=str, location="args", help="Form type: session_type_config")
get_parser.add_argument("id", type=int, location="args", help="Session type id (context of the form)")
get_parser.add_argument("id_project", type=int, location="args", help="Project id (context of some forms)")
get_parser.add_argument("id_site", type=int, location="args", help="Site id (context of some forms)")
get_parser.add_argument("key", type=str, location="args", help="Service key (service_config forms)")


def decode_form(value: Any) -> Any:
    """Services answer with a JSON text (or an object): the HTTP body is the form itself."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class UserQueryForms(UserResource):
    @ns.doc(
        description="JSON description of an input form (session_type_config)",
        responses={200: "Success", 400: "Missing or unsupported parameter", 408: "Service did not answer"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get a form description."""
        args = get_parser.parse_args(strict=True)
        if not args["type"]:
            raise ClientError("Missing arguments")
        if args["type"] != "session_type_config":
            raise ClientError(f"Unknown form type: {args['type']}")
        if not args["id"]:
            raise ClientError("Missing session type id")
        if args["id"] not in UserAccess(g.current_user).accessible_session_types_ids():
            raise forbidden()
        session_type = TeraSessionType.get_session_type_by_id(args["id"])
        if session_type.session_type_category == SERVICE_CATEGORY and session_type.session_type_service:
            reply = rpc.call_service(
                context.redis_client(),
                session_type.session_type_service.service_key,
                "session_type_config",
                json.dumps({"id_session_type": session_type.id_session_type}),
                timeout=SESSION_TYPE_CONFIG_TIMEOUT,
            )
            if reply is rpc.NO_REPLY:
                raise ClientError("Timeout getting session type config from service", 408)
            return decode_form(reply.return_value)
        return TeraForm("session_type_config").to_dict()
