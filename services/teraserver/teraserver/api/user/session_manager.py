"""POST /api/user/sessions/manager: forward a session command to the service running it (contract 4.4).

The whole body ({"session_manage": {...}}) goes as JSON text to the service's `session_manage` RPC, and the
service's reply is the HTTP body. The service is `id_service`, else the session type's, else the session's.
No reply within the timeout is a 500 "No answer from service." (as upstream).
"""

from __future__ import annotations

import json
from typing import Any

from flask import g, request
from flask_restx import Resource
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionType import TeraSessionType

from teraserver import auth, context, rpc
from teraserver.api.common import ClientError, forbidden
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

SESSION_MANAGE_TIMEOUT = 10.0  # seconds (RedisRPCClient default)


def target_service(command: dict[str, Any]) -> TeraService:
    if isinstance(command.get("id_service"), int) and not isinstance(command.get("id_service"), bool):
        service = TeraService.get_service_by_id(command["id_service"])
    elif isinstance(command.get("id_session_type"), int):
        session_type = TeraSessionType.get_session_type_by_id(command["id_session_type"])
        service = session_type.session_type_service if session_type else None
    elif isinstance(command.get("session_uuid"), str):
        session = TeraSession.get_session_by_uuid(command["session_uuid"])
        service = session.session_session_type.session_type_service if session else None
    else:
        raise ClientError("Missing id_service, id_session_type or session_uuid")
    if service is None:
        raise ClientError("Invalid service")
    return service


@ns.route("/sessions/manager")
class UserSessionManager(Resource):
    @ns.doc(
        description='Manage a session through its service: {"session_manage": {action, id_service | '
        "id_session_type | session_uuid, ...}}",
        responses={200: "The service's reply", 400: "Bad body", 403: "No access", 500: "No answer from service."},
    )
    @auth.user_multi_required
    def post(self) -> Any:
        """Manage a session."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("session_manage"), dict):
            raise ClientError("Missing session_manage")
        service = target_service(body["session_manage"])
        if service.id_service not in UserAccess(g.current_user).accessible_services_ids():
            raise forbidden()
        reply = rpc.call_service(
            context.redis_client(),
            service.service_key,
            "session_manage",
            json.dumps(body),
            timeout=SESSION_MANAGE_TIMEOUT,
        )
        if reply is rpc.NO_REPLY:
            return "No answer from service.", 500
        return reply.return_value
