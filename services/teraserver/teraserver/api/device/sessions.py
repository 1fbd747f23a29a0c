"""/api/device/sessions and /api/device/sessions/events (GET, POST, DELETE each).

Upstream's behaviour, kept here:

* GET and DELETE of both resources always answer 403 "Forbidden for security reasons" (once authenticated):
  a device writes sessions and events, it does not read or delete them.
* POST /sessions `{"session": {...}}` creates (`id_session` 0) or updates a session; the device is always
  recorded as its creator (`id_creator_device`, whatever was posted). Checks, in upstream's order: no `session`
  → 400 "Missing session"; no `id_session` → 400 "Missing id_session value"; no `id_session_type` → 400
  "Missing id_session_type value"; a new session without `session_participants`, `session_users` and
  `session_devices` → 400 "Missing session participants and/or users and/or devices"; a session type not linked
  to one of the device's projects → 403 "No access to session type". New session: `session_name` and
  `session_start_datetime` (ISO 8601) are required (400 "Missing argument 'session name'" / "Missing argument
  'session_start_datetime'"), `session_participants` is a list of participant uuids (an unknown one: 400
  "Invalid participant uuid"). If the device already created a session with the same name and type, starting
  the same day, with exactly those participants, that session is updated instead (its start time kept).
  Update: only a session the device created (else 403 "Unauthorized"); its participants are not changed.
  The answer is the session's JSON object (not a list).
* POST /sessions/events `{"session_event": {...}}` creates (`id_session_event` 0) or updates an event; both
  `id_session` and `id_session_event` are required (400 "Missing arguments"). The session must be one the device
  created or takes part in (else 403 "Unauthorized"). The answer is a list with the event's JSON.

Differences (client mistakes are 400 with the reason, never 500; nothing is half-written):

* An unknown participant uuid is refused before anything is written (upstream creates the session, then
  answers 400). `session_users` / `session_devices` are not applied by upstream's device endpoint either; here
  they are refused with 400 "Unknown session fields" like any field that is not a session column (upstream: 500),
  and a new session without `session_participants` is 400 "Missing session_participants" (upstream: 500).
* Ids, names, dates and lists of the wrong type are 400 (upstream: 500, or 403 for a non-integer session type).
* Updating an event also needs access to the event's current session, and the event must exist (upstream only
  checks the posted `id_session`, so a device could move any event into its own session).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify
from flask_restx import reqparse
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionEvent import TeraSessionEvent

from teraserver.api.common import ClientError, forbidden, iso_datetime, json_body, require_int
from teraserver.api.device.access import DeviceAccess
from teraserver.api.device.namespace import ns
from teraserver.api.resources import DeviceResource
from teraserver.device_auth import current_device

TOKEN_PARAM = {"token": "Device token (or Authorization: OpenTera <token>)"}
SECURITY_REFUSAL = "Forbidden for security reasons"
# Fields a device may post: the table's columns, except the ORM's bookkeeping.
BOOKKEEPING = frozenset({"version_id", "deleted_at"})
SESSION_COLUMNS = frozenset(column.name for column in TeraSession.__table__.columns) - BOOKKEEPING
EVENT_COLUMNS = frozenset(column.name for column in TeraSessionEvent.__table__.columns) - BOOKKEEPING

# Documentation only: upstream declares these, then refuses the request before reading them.
get_parser = reqparse.RequestParser()
get_parser.add_argument("id_session", type=int, location="args", help="Session ID")
get_parser.add_argument("list", type=bool, location="args", help="List all sessions")
events_get_parser = reqparse.RequestParser()
events_get_parser.add_argument("id_session", type=int, location="args", help="Session ID")

session_schema = ns.schema_model(
    "device_session",
    {
        "type": "object",
        "required": ["session"],
        "properties": {
            "session": {
                "type": "object",
                "required": [
                    "id_session",
                    "session_participants",
                    "id_session_type",
                    "session_name",
                    "session_status",
                    "session_start_datetime",
                ],
                "properties": {
                    "id_session": {"type": "integer"},
                    "session_participants": {
                        "type": "array",
                        "uniqueItems": True,
                        "items": {"type": "string", "format": "uuid"},
                    },
                    "id_session_type": {"type": "integer"},
                    "session_name": {"type": "string"},
                    "session_status": {"type": "integer"},
                    "session_start_datetime": {"type": "string"},
                },
            }
        },
    },
)


def posted_object(name: str, missing: str) -> dict[str, Any]:
    body = json_body()
    if name not in body:
        raise ClientError(missing)
    value = body[name]
    if not isinstance(value, dict):
        raise ClientError(f"Invalid {name}: expected an object")
    return dict(value)


def check_columns(values: dict[str, Any], columns: frozenset[str], what: str) -> None:
    unknown = sorted(set(values) - columns)
    if unknown:
        raise ClientError(f"Unknown {what} fields: {', '.join(unknown)}")


def start_datetime(value: Any) -> datetime:
    return iso_datetime(value, "session_start_datetime")


def participants_by_uuid(value: Any) -> list[TeraParticipant]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ClientError("Invalid session_participants: a list of participant uuids is expected")
    participants = []
    for participant_uuid in value:
        participant = TeraParticipant.get_participant_by_uuid(participant_uuid)
        if participant is None:
            raise ClientError("Invalid participant uuid")
        participants.append(participant)
    return participants


def create_session(values: dict[str, Any], participants: list[TeraParticipant]) -> TeraSession:
    session = TeraSession()
    session.from_json(values)
    session.session_participants = participants
    TeraSession.insert(session)  # one commit: the session and its participants
    return session


class DeviceQuerySessions(DeviceResource):
    @ns.doc(description="Refused: devices do not read sessions.", responses={403: SECURITY_REFUSAL}, params=TOKEN_PARAM)
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Query device sessions (always 403)."""
        raise ClientError(SECURITY_REFUSAL, 403)

    @ns.doc(
        description="Create (id_session 0) or update a session the device created; the device is its creator.",
        responses={
            200: "Success - the session",
            400: "Missing or invalid field",
            401: "Unauthorized",
            403: "Session type or session out of reach",
        },
        params=TOKEN_PARAM,
    )
    @ns.expect(session_schema)
    def post(self) -> Any:
        """Create / update a session."""
        device = current_device()
        access = DeviceAccess(device)
        values = posted_object("session", "Missing session")
        if "id_session" not in values:
            raise ClientError("Missing id_session value")
        if "id_session_type" not in values:
            raise ClientError("Missing id_session_type value")
        id_session = require_int(values, "id_session")
        members = ("session_participants", "session_users", "session_devices")
        if id_session == 0 and not any(name in values for name in members):
            raise ClientError("Missing session participants and/or users and/or devices")
        values["id_creator_device"] = device.id_device  # no identity theft: the caller is the creator
        id_session_type = require_int(values, "id_session_type")
        if id_session_type not in access.session_types_ids():
            raise forbidden("No access to session type")
        participant_uuids = values.pop("session_participants", None)
        check_columns(values, SESSION_COLUMNS, "session")

        if id_session == 0:
            if "session_name" not in values:
                raise ClientError("Missing argument 'session name'")
            if "session_start_datetime" not in values:
                raise ClientError("Missing argument 'session_start_datetime'")
            if not isinstance(values["session_name"], str):
                raise ClientError("Invalid session_name: a string is expected")
            start = start_datetime(values["session_start_datetime"])
            if participant_uuids is None:
                raise ClientError("Missing session_participants")
            participants = participants_by_uuid(participant_uuids)
            existing = access.existing_session(
                values["session_name"], id_session_type, start, [p.participant_uuid for p in participants]
            )
            if existing is None:
                values.pop("id_session")
                id_session = create_session(values, participants).id_session
            else:
                id_session = values["id_session"] = existing.id_session
                values["session_start_datetime"] = existing.session_start_datetime.isoformat()
                TeraSession.update(id_session, values)
        else:
            if id_session not in access.created_sessions_ids():
                raise forbidden("Unauthorized")
            if "session_start_datetime" in values:
                start_datetime(values["session_start_datetime"])
            TeraSession.update(id_session, values)
        return jsonify(TeraSession.get_session_by_id(id_session).to_json())

    @ns.doc(description="Refused: devices do not delete sessions.", responses={403: SECURITY_REFUSAL})
    def delete(self) -> Any:
        """Delete a session (always 403)."""
        raise ClientError(SECURITY_REFUSAL, 403)


class DeviceQuerySessionEvents(DeviceResource):
    @ns.doc(
        description="Refused: devices do not read session events.",
        responses={403: SECURITY_REFUSAL},
        params=TOKEN_PARAM,
    )
    @ns.expect(events_get_parser)
    def get(self) -> Any:
        """Get the events of a session (always 403)."""
        raise ClientError(SECURITY_REFUSAL, 403)

    @ns.doc(
        description="Create (id_session_event 0) or update an event of a session the device created or takes part "
        'in: {"session_event": {...}}.',
        responses={
            200: "Success - a list with the event",
            400: "Missing or invalid field",
            403: "Session out of reach",
        },
        params=TOKEN_PARAM,
    )
    def post(self) -> Any:
        """Create / update a session event."""
        access = DeviceAccess(current_device())
        values = posted_object("session_event", "Missing arguments")
        if "id_session" not in values or "id_session_event" not in values:
            raise ClientError("Missing arguments")
        id_session = require_int(values, "id_session")
        id_event = require_int(values, "id_session_event")
        if access.session_for_events(id_session) is None:
            raise forbidden("Unauthorized")
        check_columns(values, EVENT_COLUMNS, "session_event")
        if id_event > 0:
            existing = TeraSessionEvent.get_session_event_by_id(id_event)
            if existing is None:
                raise ClientError(f"Invalid id_session_event: {id_event}")
            if access.session_for_events(existing.id_session) is None:
                raise forbidden("Unauthorized")
            TeraSessionEvent.update(id_event, values)
        else:
            values.pop("id_session_event")
            event = TeraSessionEvent()
            event.from_json(values)
            TeraSessionEvent.insert(event)
            id_event = event.id_session_event
        return [TeraSessionEvent.get_session_event_by_id(id_event).to_json()]

    @ns.doc(description="Refused: devices do not delete session events.", responses={403: SECURITY_REFUSAL})
    def delete(self) -> Any:
        """Delete a session event (always 403)."""
        raise ClientError(SECURITY_REFUSAL, 403)
