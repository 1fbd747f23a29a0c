"""POST /api/user/sessions/manager: complete a session command, then hand it to the service running it (RPC).

What upstream's user session manager does before the RPC, and what real services (the video service's
`session_manage`) therefore rely on finding in the body:

* `id_creator_user` is set to the caller when the body has none.
* `id_session`: kept when given; else looked up from `session_uuid` (400 "Invalid session" when unknown); else 0,
  which means "a new session" and then requires `id_session_type` (400 otherwise).
* For an existing session the caller must have access to it (403 otherwise), and what the body lacks is filled
  from the session: `id_service` (the session type's service, when it has one), `id_session_type`, and the member
  lists `session_users` / `session_participants` / `session_devices` as uuids.
* A given or filled `id_service` must be one of the caller's accessible services (403 otherwise). No
  `id_service` at all (a new session whose body names none) is 501 "Not implemented yet": upstream does not
  take the service from `id_session_type` on this API (its service API does).
* `invite_reply` needs `parameters.reply_code`: "accept", "reject"/"deny", "busy", "timeout" become the
  JoinSessionReplyEvent codes, a number must be one of those codes; `parameters.user_uuid` is set to the caller.
* The whole completed body ({"session_manage": {...}}) goes as JSON text to the service's `session_manage`;
  its reply is the answer. No reply in time, or an empty or failed reply (a service answers None on error), is
  500 "No answer from service.".

Deviation: a body without `action` is 400 "Missing action" (upstream raises there and answers 500).
"""

from __future__ import annotations

import json
from typing import Any

from flask import g, request
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession
from opentera.messages.python.JoinSessionReplyEvent_pb2 import JoinSessionReplyEvent

from teraserver import context, rpc
from teraserver.api.common import ClientError, forbidden, require_int
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

SESSION_MANAGE_TIMEOUT = 10.0  # seconds (RedisRPCClient default)

REPLY_CODES = {
    "accept": JoinSessionReplyEvent.REPLY_ACCEPTED,
    "reject": JoinSessionReplyEvent.REPLY_DENIED,
    "deny": JoinSessionReplyEvent.REPLY_DENIED,
    "busy": JoinSessionReplyEvent.REPLY_BUSY,
    "timeout": JoinSessionReplyEvent.REPLY_TIMEOUT,
}


ID_MAX = 2**31 - 1  # ids are PostgreSQL integers


def _int(manage: dict[str, Any], field: str) -> int:
    value = require_int(manage, field)
    if not 0 <= value <= ID_MAX:
        raise ClientError(f"Invalid {field}: {value} is out of range")
    return value


def reply_code(parameters: Any) -> int:
    """The JoinSessionReplyEvent code of an invite_reply's `parameters.reply_code` (name or number)."""
    if not isinstance(parameters, dict):
        raise ClientError("Missing parameters")
    if "reply_code" not in parameters:
        raise ClientError("Missing reply code in parameters")
    code = parameters["reply_code"]
    if isinstance(code, str) and code in REPLY_CODES:
        return REPLY_CODES[code]
    if isinstance(code, int) and not isinstance(code, bool) and 1 <= code <= JoinSessionReplyEvent.REPLY_TIMEOUT:
        return code
    raise ClientError("Invalid reply code")


def complete(manage: dict[str, Any], access: UserAccess) -> None:
    """Fill in `manage` in place as upstream does for a user (see the module docstring); raises ClientError."""
    user = access.user
    manage.setdefault("id_creator_user", user.id_user)

    session: TeraSession | None = None
    if "id_session" not in manage:
        if "session_uuid" in manage:
            uuid = manage["session_uuid"]
            session = TeraSession.get_session_by_uuid(uuid) if isinstance(uuid, str) else None
            if session is None:
                raise ClientError("Invalid session")
            manage["id_session"] = session.id_session
        else:
            manage["id_session"] = 0

    id_session = _int(manage, "id_session")
    if id_session != 0:
        session = session or TeraSession.get_session_by_id(id_session)
        if session is None or not access.can_access_session(session):
            raise forbidden("User doesn't have access to that session")
        service_id = session.session_session_type.id_service
        if "id_service" not in manage and service_id:
            manage["id_service"] = service_id
        manage.setdefault("id_session_type", session.id_session_type)
        manage.setdefault("session_users", [member.user_uuid for member in session.session_users])
        manage.setdefault("session_participants", [member.participant_uuid for member in session.session_participants])
        manage.setdefault("session_devices", [member.device_uuid for member in session.session_devices])
    elif "id_session_type" not in manage:
        raise ClientError("Missing required id_session_type for new sessions")

    if "id_service" in manage and _int(manage, "id_service") not in access.accessible_services_ids():
        raise forbidden("User doesn't have access to that service.")

    if manage.get("action") == "invite_reply":
        parameters = manage.get("parameters")
        code = reply_code(parameters)
        parameters["reply_code"] = code
        parameters["user_uuid"] = user.user_uuid


class UserSessionManager(UserResource):
    @ns.doc(
        description='Manage a session through its service: {"session_manage": {action, id_session | session_uuid | '
        "id_session_type, id_service, session_users/participants/devices (uuids), parameters}}; the body is "
        "completed (creator, session, members, service) before it is sent to the service's session_manage.",
        responses={
            200: "The service's reply",
            400: "Bad body",
            403: "No access to the session or the service",
            500: "No answer from service.",
            501: "No service to send it to",
        },
    )
    def post(self) -> Any:
        """Manage a session."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("session_manage"), dict):
            raise ClientError("Missing session_manage")
        manage = body["session_manage"]
        if "action" not in manage:
            raise ClientError("Missing action")
        complete(manage, UserAccess(g.current_user))
        if "id_service" not in manage:
            raise ClientError("Not implemented yet", 501)
        service = TeraService.get_service_by_id(manage["id_service"])
        if service is None:
            raise ClientError("Service not found")
        reply = rpc.call_service(
            context.redis_client(),
            service.service_key,
            "session_manage",
            json.dumps(body),
            timeout=SESSION_MANAGE_TIMEOUT,
        )
        if reply is rpc.NO_REPLY or not reply.return_value:
            raise ClientError("No answer from service.", 500)
        return reply.return_value
