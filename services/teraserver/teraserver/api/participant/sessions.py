"""/api/participant/sessions: GET the participant's sessions, POST create or update one.

Upstream's rules, recorded:

* GET needs role `full`. Sessions the participant takes part in or created, newest first (start time, then id),
  filtered by `status`, `start_date`, `end_date`, paged by `limit` / `offset`; `list=true` gives minimal JSON.
  Arguments are parsed strictly (unknown one: 400). Upstream also declares `id_session` and `session_uuid`,
  but its query fails on them (500); here they filter as documented.
* POST needs only role `limited` (a static token may post). Body `{"session": {...}}` with `id_session` (0 =
  new) and `id_session_type`; checks in this order, each answering a JSON string: no `session` -> 400
  `Missing session`; no `id_session` -> 400 `Missing id_session value`; no `id_session_type` -> 400
  `Missing id_session_type value`; a new session without `session_participants` / `session_users` /
  `session_devices` -> 400 `Missing session participants and/or users and/or devices`; the creator is always
  forced to the caller (`id_creator_participant`); a session type not linked to the participant's project ->
  403 `No access to session type`. A new session needs `session_name` and `session_start_datetime` (400
  `Missing argument 'session name'` / `Missing argument 'session_start_datetime'`); when the participant already
  created a session with that name, type, start date (same day) and exactly those participants, that session is
  updated instead (its start time kept). Updating needs a session the participant created, else 403
  `Unauthorized`; `session_participants` is ignored on update. Each participant uuid of a new session must exist
  (400 `Invalid participant uuid`). The answer is the session's JSON object (not a list).
"""

from __future__ import annotations

import datetime
from typing import Any

from flask import request
from flask_restx import inputs
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession
from sqlalchemy import func

from teraserver import participant_auth, session_rows
from teraserver.api.common import ClientError, forbidden, iso_datetime
from teraserver.api.participant.login import accessible_session_types
from teraserver.api.participant.namespace import ns
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import ParticipantResource
from teraserver.api.rows import check_fields
from teraserver.database import reads_without_transaction
from teraserver.participant_auth import ROLE_LIMITED, current_participant

get_parser = QueryParser()
get_parser.add_argument("id_session", type=int, location="args", help="ID of the session to query")
get_parser.add_argument("session_uuid", type=str, location="args", help="Session UUID to query")
get_parser.add_argument("status", type=int, location="args", help="Only sessions with that status")
get_parser.add_argument("limit", type=int, location="args", help="Maximum number of results to return")
get_parser.add_argument("offset", type=int, location="args", help="Number of results to skip")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information only")
get_parser.add_argument("start_date", type=inputs.date, location="args", help="Sessions from that date")
get_parser.add_argument("end_date", type=inputs.date, location="args", help="Sessions up to that date")

# Members a participant may not set: upstream's model fails on these with a 500.
UNSUPPORTED_MEMBER_FIELDS = ("session_users", "session_devices")


def participant_sessions(id_participant: int, args: dict[str, Any]) -> list[TeraSession]:
    for name in ("limit", "offset"):
        if args[name] is not None and args[name] < 0:
            raise ClientError(f"Invalid {name}: {args[name]} is negative")
    filters = {name: args[name] for name in ("id_session", "session_uuid") if args[name]}
    dates = {"status": args["status"], "start_date": args["start_date"], "end_date": args["end_date"]}
    if not filters:
        return session_rows.sessions_for(
            "participant", id_participant, limit=args["limit"], offset=args["offset"], **dates
        )
    # The model applies these filters to the joined participant entity (no such column: upstream answers 500 to
    # any id_session / session_uuid): filter the participant's sessions here, then page them.
    rows = session_rows.sessions_for("participant", id_participant, **dates)
    rows = [row for row in rows if all(getattr(row, name) == value for name, value in filters.items())]
    start = args["offset"] or 0
    return rows[start : start + args["limit"]] if args["limit"] is not None else rows[start:]


def created_session_ids(id_participant: int) -> set[int]:
    # The ids only: loading the sessions would also load each one's selectin relationships.
    rows = TeraSession.query.with_entities(TeraSession.id_session)
    return {row.id_session for row in rows.filter(TeraSession.id_creator_participant == id_participant)}


def existing_session(
    id_participant: int, name: Any, id_session_type: int, start: datetime.datetime, participant_uuids: list[str]
) -> TeraSession | None:
    """The first session this participant created with that name, type, start day and exact participants."""
    candidates = (
        TeraSession.query.filter(TeraSession.id_creator_participant == id_participant)
        .filter(TeraSession.session_name == name)
        .filter(TeraSession.id_session_type == id_session_type)
        .filter(func.date(TeraSession.session_start_datetime) == start.date())
        .order_by(TeraSession.id_session.asc())
        .all()
    )
    wanted = set(participant_uuids)
    for session in candidates:
        if {member.participant_uuid for member in session.session_participants} == wanted:
            return session
    return None


def parse_start(value: Any) -> datetime.datetime:
    return iso_datetime(value, "session_start_datetime")


def posted_participants(values: dict[str, Any]) -> list[TeraParticipant]:
    uuids = values.get("session_participants")
    if not isinstance(uuids, list) or not all(isinstance(item, str) for item in uuids):
        raise ClientError("Invalid session_participants: expected a list of participant uuids")
    found = []
    for participant_uuid in uuids:
        participant = TeraParticipant.get_participant_by_uuid(participant_uuid)
        if participant is None:
            raise ClientError("Invalid participant uuid")
        found.append(participant)
    return found


def session_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ClientError("Invalid JSON body: expected an object")
    if "session" not in body:
        raise ClientError("Missing session")
    values = body["session"]
    if not isinstance(values, dict):
        raise ClientError("Invalid session: expected an object")
    return dict(values)


class ParticipantQuerySessions(ParticipantResource):
    # Static tokens (role `limited`) reach this resource; a method needing a full login says so.
    method_decorators = [participant_auth.participant_multi_required(ROLE_LIMITED)]

    @ns.doc(
        description="Sessions of the participant (member or creator)",
        responses={200: "Success", 400: "Unknown or invalid argument", 403: "Static token (limited access)"},
    )
    @ns.expect(get_parser)
    @participant_auth.full_access_required
    @reads_without_transaction
    def get(self) -> Any:
        """Get the participant's sessions."""
        args = get_parser.parse_args(strict=True)
        sessions = participant_sessions(current_participant().id_participant, args)
        return [session.to_json(minimal=bool(args["list"])) for session in sessions]

    @ns.doc(
        description='Create (id_session 0) or update a session the participant created: {"session": {...}}',
        responses={200: "Success - the session", 400: "Missing or invalid field", 403: "No access"},
    )
    def post(self) -> Any:
        """Create / update a session."""
        participant = current_participant()
        values = session_body()
        if "id_session" not in values:
            raise ClientError("Missing id_session value")
        if "id_session_type" not in values:
            raise ClientError("Missing id_session_type value")
        id_session = values["id_session"]
        is_new = type(id_session) is int and id_session == 0
        has_members = any(name in values for name in ("session_participants", *UNSUPPORTED_MEMBER_FIELDS))
        if is_new and not has_members:
            raise ClientError("Missing session participants and/or users and/or devices")
        values["id_creator_participant"] = participant.id_participant
        type_ids = {st.id_session_type for st in accessible_session_types(participant.id_project)}
        if isinstance(values["id_session_type"], bool) or values["id_session_type"] not in type_ids:
            raise forbidden("No access to session type")
        unsupported = [name for name in UNSUPPORTED_MEMBER_FIELDS if name in values]
        if unsupported:
            raise ClientError(f"Unsupported session fields for a participant: {', '.join(unsupported)}")

        members: list[TeraParticipant] | None = None
        if is_new:
            if "session_name" not in values:
                raise ClientError("Missing argument 'session name'")
            if "session_start_datetime" not in values:
                raise ClientError("Missing argument 'session_start_datetime'")
            members = posted_participants(values)
            found = existing_session(
                participant.id_participant,
                values["session_name"],
                values["id_session_type"],
                parse_start(values["session_start_datetime"]),
                [member.participant_uuid for member in members],
            )
            if found is not None:
                id_session = values["id_session"] = found.id_session
                values["session_start_datetime"] = found.session_start_datetime.isoformat()
                members = None
        elif type(id_session) is not int or id_session not in created_session_ids(participant.id_participant):
            # Any other id, of whatever type, is a session to update: it must be one the participant created.
            raise forbidden("Unauthorized")

        values.pop("session_participants", None)
        if members is None:
            # Update (the posted participant list is ignored, as upstream).
            check_fields(TeraSession, values, "session")
            TeraSession.update(id_session, values)
        else:
            values.pop("session_uuid", None)  # always a fresh uuid
            values = check_fields(TeraSession, values, "session", creating=True)
            session = TeraSession()
            session.from_json(values)
            TeraSession.insert(session)
            if members:
                session.session_participants.extend(members)
                TeraSession.commit()
            id_session = session.id_session
        return TeraSession.get_session_by_id(id_session).to_json()
