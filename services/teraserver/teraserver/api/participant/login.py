"""GET /api/participant/login, /logout, /refresh_token.

Upstream's answers, recorded:

* login (Basic or token, role `limited`, so a static token may log in): `participant_name`, `participant_uuid`,
  `websocket_url` whenever the participant has no live websocket (the shared presence state; whether
  `with_websocket` was asked or not), `session_types_info` (the session types of the participant's project,
  minimal JSON), `base_token` (the static token column, possibly null) and, only with full access (password or
  dynamic token), `participant_token`: a new dynamic token valid 1 hour. The last-online time is recorded. An
  online participant gets the same answer without `websocket_url`, or, having asked `with_websocket`, 403
  `Participant already logged in.` (an ERROR login event, status already logged in; last-online time left as it
  was). Query arguments other than `with_websocket` are ignored.
* logout (Basic or token, any role): 200 JSON string `Participant logged out.`; a dynamic token sent as
  `Authorization: OpenTera <token>` goes into `participant_disabled_tokens` (the static token never does), and a
  CMD_CLIENT_DISCONNECT goes to the participant's websocket (TwistedModule event topic of its uuid).
* A successful login is an INFO login event (type password with full access, token otherwise).
* refresh_token (token only, role `full`: a static token is 403): `{"refresh_token": <dynamic token, 30 min>}`
  and the token used is revoked. No query arguments are read, and no websocket URL is ever given here.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraSessionType import TeraSessionType

from teraserver import context, login_events, participant_auth, presence
from teraserver.api.common import ClientError, websocket_url
from teraserver.api.participant.namespace import ns
from teraserver.api.resources import ParticipantResource
from teraserver.participant_auth import ROLE_FULL, ROLE_LIMITED, current_participant, has_full_access
from teraserver.realtime import messages

log = logging.getLogger("teraserver.api.participant.login")

login_parser = reqparse.RequestParser()
login_parser.add_argument(
    "with_websocket", type=inputs.boolean, location="args", help="Return a websocket url (403 if already online)"
)


def accessible_session_types(id_project: int | None) -> list[TeraSessionType]:
    """Session types linked to the participant's project (upstream's participant access rule)."""
    return (
        TeraSessionType.query.join(TeraSessionType.session_type_projects)
        .filter_by(id_project=id_project)
        .order_by(TeraSessionType.id_session_type)
        .all()
    )


class ParticipantLogin(ParticipantResource):
    method_decorators = [participant_auth.participant_multi_required(ROLE_LIMITED)]

    @ns.doc(
        description="Participant login with HTTP Basic or a token (static or dynamic)",
        responses={200: "Success", 401: "Unauthorized", 403: "Participant already logged in (with_websocket)"},
    )
    @ns.expect(login_parser)
    def get(self) -> Any:
        """Login a participant; a password or dynamic token also gets a fresh dynamic token."""
        args = login_parser.parse_args()  # not strict, as upstream; a bad with_websocket value is 400
        participant = current_participant()
        # Upstream types a dynamic-token login as a password login too (it goes by full access).
        login_type = login_events.PASSWORD if has_full_access() else login_events.TOKEN
        online = presence.is_online(context.redis_client(), "participant", participant.participant_uuid)
        if online and args["with_websocket"]:
            log.info(
                "participant login refused: already online", extra={"participant_uuid": participant.participant_uuid}
            )
            login_events.send(
                login_events.ALREADY_LOGGED_IN, login_type=login_type, participant_uuid=participant.participant_uuid
            )
            raise ClientError("Participant already logged in.", 403)
        reply: dict[str, Any] = {
            "participant_name": participant.participant_name,
            "participant_uuid": participant.participant_uuid,
        }
        if not online:
            reply["websocket_url"] = websocket_url("participant", participant.participant_uuid)
        reply["session_types_info"] = [
            st.to_json(minimal=True) for st in accessible_session_types(participant.id_project)
        ]
        if has_full_access():
            reply["participant_token"] = participant_auth.sign_dynamic_token(participant)
        reply["base_token"] = participant.participant_token
        participant_auth.record_last_online(participant)
        login_events.send(login_events.SUCCESS, login_type=login_type, participant_uuid=reply["participant_uuid"])
        log.info("participant logged in", extra={"participant_uuid": reply["participant_uuid"]})
        return reply, 200


class ParticipantLogout(ParticipantResource):
    method_decorators = [participant_auth.participant_multi_required(ROLE_LIMITED)]

    @ns.doc(description="Participant logout; a dynamic token used for this call is revoked")
    def get(self) -> Any:
        """Logout; the dynamic token in the Authorization header is disabled."""
        participant = current_participant()
        token = participant_auth.header_token()
        if token and token != participant.participant_token:
            participant_auth.disable_token(token)
        # Its websocket, if any, is asked to close.
        messages.send_disconnect(context.redis_client(), participant.participant_uuid)
        log.info("participant logged out", extra={"participant_uuid": participant.participant_uuid})
        return "Participant logged out.", 200


class ParticipantRefreshToken(ParticipantResource):
    method_decorators = [participant_auth.participant_token_required(ROLE_FULL)]

    @ns.doc(
        description="Refresh the dynamic token (token in the Authorization header); the old token is disabled",
        responses={200: "Success", 401: "Unauthorized", 403: "Static token (limited access)"},
    )
    def get(self) -> Any:
        """Refresh the participant's dynamic token (30 minutes)."""
        participant = current_participant()
        lifetime = participant_auth.PARTICIPANT_REFRESH_TOKEN_LIFETIME
        new_token = participant_auth.sign_dynamic_token(participant, lifetime)
        participant_auth.disable_token(g.current_participant_token)
        return {"refresh_token": new_token}, 200
