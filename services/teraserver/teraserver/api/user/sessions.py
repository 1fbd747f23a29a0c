"""/api/user/sessions (GET, POST, DELETE) and /api/user/sessions/events (GET, POST, DELETE).

What a user may reach follows upstream's DBManagerTeraUserAccess: one session is visible when the user created
it, takes part in it, or has a role in its project (`UserAccess.can_access_session`); changing or deleting one
needs access to every member of it, as upstream.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g
from flask_restx import reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession, TeraSessionStatus
from opentera.db.models.TeraSessionEvent import TeraSessionEvent
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraUser import TeraUser

from teraserver import session_rows
from teraserver.api.common import ClientError, database_write, forbidden, iso_datetime, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_fields
from teraserver.api.session_filters import session_events_get_parser, session_json, sessions_get_parser
from teraserver.api.user.namespace import ns
from teraserver.api.user.session_members import MemberChanges, check_session_members, posted_members
from teraserver.database import reads_without_transaction
from teraserver.user_access import UserAccess

get_parser = sessions_get_parser("session_uuid")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Session ID to delete")

events_get_parser = session_events_get_parser()

events_delete_parser = reqparse.RequestParser()
events_delete_parser.add_argument("id", type=int, location="args", required=True, help="Session event ID to delete")


def select_sessions(access: UserAccess, args: dict[str, Any]) -> list[TeraSession]:
    """Upstream's precedence: participant, session, user, device, uuid. A participant, user or device out of
    reach, or an unknown or hidden session id/uuid, gives an empty list (as upstream); no argument at all is 400
    with upstream's words. Flags alone (no selector) give an empty list, as upstream."""
    if not any(args.values()):
        raise ClientError("Missing arguments")
    for name in ("limit", "offset"):
        if args[name] is not None and args[name] < 0:
            raise ClientError(f"Invalid {name}: {args[name]} is negative")
    filters = {name: args[name] for name in ("status", "limit", "offset", "start_date", "end_date")}
    if args["id_participant"]:
        if args["id_participant"] not in access.accessible_participants_ids():
            return []
        return session_rows.sessions_for("participant", args["id_participant"], **filters)
    if args["id_session"]:
        return _visible(access, TeraSession.get_session_by_id(args["id_session"]))
    if args["id_user"]:
        if args["id_user"] not in access.accessible_users_ids():
            return []
        return session_rows.sessions_for("user", args["id_user"], **filters)
    if args["id_device"]:
        if args["id_device"] not in access.accessible_devices_ids():
            return []
        return session_rows.sessions_for("device", args["id_device"], **filters)
    if args["session_uuid"]:
        return _visible(access, TeraSession.get_session_by_uuid(args["session_uuid"]))
    return []


def _visible(access: UserAccess, session: TeraSession | None) -> list[TeraSession]:
    return [session] if session is not None and access.can_access_session(session) else []


def user_session_json(session: TeraSession, args: dict[str, Any]) -> dict[str, Any]:
    """As upstream's user endpoint: with_session_type adds the type's name and color, flat."""
    result = session_json(session, {**args, "with_session_type": False})
    if args["with_session_type"]:
        result["session_type_name"] = session.session_session_type.session_type_name
        result["session_type_color"] = session.session_session_type.session_type_color
    return result


def default_session_name(session_type: TeraSessionType, start: Any) -> str:
    """Upstream's default: "<type name> [<year>.<session count>]"."""
    year = iso_datetime(start, "session_start_datetime").year
    return f"{session_type.session_type_name} [{year}.{TeraSession.get_count()}]"


def create_session(access: UserAccess, values: dict[str, Any]) -> TeraSession:
    id_session_type = require_int(values, "id_session_type")
    session_type = TeraSessionType.get_session_type_by_id(id_session_type)
    if session_type is None:
        raise ClientError(f"Invalid id_session_type: {id_session_type}")
    if id_session_type not in access.accessible_session_types_ids():
        raise forbidden("No access to that session type")
    creators = ("id_creator_user", "id_creator_participant", "id_creator_device", "id_creator_service")
    if not any(values.get(name) for name in creators):
        values["id_creator_user"] = access.user.id_user
    values.setdefault("session_start_datetime", datetime.now().astimezone().isoformat())
    values.setdefault("session_name", default_session_name(session_type, values["session_start_datetime"]))
    values.setdefault("session_status", TeraSessionStatus.STATUS_INPROGRESS.value)
    values.pop("id_session", None)
    values.pop("session_uuid", None)  # always a fresh uuid, as upstream
    values = check_fields(TeraSession, values, "session", creating=True)
    with database_write("session"):
        session = TeraSession()
        session.from_json(values)
        TeraSession.insert(session)
    return session


def update_session(access: UserAccess, id_session: int, values: dict[str, Any]) -> TeraSession:
    session = TeraSession.get_session_by_id(id_session)
    if session is None:
        raise ClientError(f"Invalid id_session: {id_session}")
    if not access.can_access_session(session):  # stricter than upstream: a member-less session is not everyone's
        raise forbidden()
    check_session_members(access, session)
    values.pop("id_session", None)
    values.pop("session_uuid", None)  # immutable
    check_fields(TeraSession, values, "session")
    if values:
        with database_write("session"):
            TeraSession.update(id_session, values)
    return TeraSession.get_session_by_id(id_session)


def apply_members(session: TeraSession, changes: MemberChanges) -> None:
    """Each posted list replaces that kind of member (upstream's user endpoint semantics)."""
    if changes.participants is not None:
        session.session_participants = [TeraParticipant.get_participant_by_id(i) for i in changes.participants]
    if changes.users is not None:
        session.session_users = [TeraUser.get_user_by_id(i) for i in changes.users]
    if changes.devices is not None:
        session.session_devices = [TeraDevice.get_device_by_id(i) for i in changes.devices]
    if not changes.empty:
        with database_write("session members"):
            TeraSession.commit()


class UserQuerySessions(UserResource):
    @ns.doc(
        description="Sessions (a list). One of id_participant, id_session, id_user, id_device, session_uuid.",
        responses={200: "Success (an empty list for anything out of reach)", 400: "Missing or invalid parameter"},
    )
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Any:
        """Get sessions."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        return [user_session_json(session, args) for session in select_sessions(access, args)]

    @ns.doc(
        description='Create (id_session 0) or update a session: {"session": {...}}. Members are given as '
        "session_participants_ids/_uuids, session_users_ids/_uuids, session_devices_ids/_uuids; the user must "
        "reach every member (and, on update, every current member).",
        responses={200: "Success - list with the session", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update a session."""
        access = UserAccess(g.current_user)
        values = json_object("session")
        if not isinstance(values, dict):
            raise ClientError("Invalid session: expected an object")
        values = dict(values)
        id_session = require_int(values, "id_session")
        changes = posted_members(access, values)
        if id_session == 0:
            if changes.empty:
                raise ClientError("Missing session participants and/or users and/or devices")
            session = create_session(access, values)
        else:
            session = update_session(access, id_session, values)
        apply_members(session, changes)
        return [TeraSession.get_session_by_id(session.id_session).to_json()]

    @ns.doc(
        description="Delete a session: the user must reach all its members; a session in progress cannot go.",
        responses={200: "Success", 400: "Unknown session", 403: "Forbidden or in progress"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a session."""
        id_session = delete_parser.parse_args(strict=True)["id"]
        session = TeraSession.get_session_by_id(id_session)
        if session is None:
            raise ClientError(f"Invalid id: no session {id_session}")  # upstream: 500
        access = UserAccess(g.current_user)
        if not access.can_access_session(session):
            raise forbidden()
        check_session_members(access, session)
        if session.session_status == TeraSessionStatus.STATUS_INPROGRESS.value:
            raise forbidden("Session is in progress: can't delete that session.")
        with database_write("session deletion"):
            TeraSession.delete(id_todel=id_session)
        return "", 200


def accessible_session(access: UserAccess, id_session: Any) -> TeraSession | None:
    session = TeraSession.get_session_by_id(id_session)
    return session if session is not None and access.can_access_session(session) else None


class UserQuerySessionEvents(UserResource):
    @ns.doc(
        description="Events of a session (a list; empty when the session is out of reach).",
        responses={200: "Success", 400: "Missing id_session"},
    )
    @ns.expect(events_get_parser)
    def get(self) -> Any:
        """Get the events of a session."""
        id_session = events_get_parser.parse_args(strict=True)["id_session"]
        if accessible_session(UserAccess(g.current_user), id_session) is None:
            return []
        return [event.to_json() for event in TeraSessionEvent.get_events_for_session(id_session)]

    @ns.doc(
        description='Create (id_session_event 0) or update an event of a reachable session: {"session_event": {...}}',
        responses={200: "Success - list with the event", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update a session event."""
        access = UserAccess(g.current_user)
        values = json_object("session_event")
        if not isinstance(values, dict):
            raise ClientError("Invalid session_event: expected an object")
        values = dict(values)
        id_event = require_int(values, "id_session_event")
        id_session = require_int(values, "id_session")
        if accessible_session(access, id_session) is None:
            raise forbidden()
        values.pop("id_session_event")
        values = check_fields(TeraSessionEvent, values, "session_event", creating=id_event == 0)
        if id_event == 0:
            values.setdefault("session_event_datetime", datetime.now().astimezone().isoformat())
            with database_write("session event"):
                event = TeraSessionEvent()
                event.from_json(values)
                TeraSessionEvent.insert(event)
            id_event = event.id_session_event
        else:
            existing = TeraSessionEvent.get_session_event_by_id(id_event)
            # Upstream only checks the posted id_session; the event's own session must be reachable too.
            if existing is None or accessible_session(access, existing.id_session) is None:
                raise forbidden()
            with database_write("session event"):
                TeraSessionEvent.update(id_event, values)
        return [TeraSessionEvent.get_session_event_by_id(id_event).to_json()]

    @ns.doc(
        description="Delete an event of a reachable session.",
        responses={200: "Success", 400: "Unknown event", 403: "Forbidden"},
    )
    @ns.expect(events_delete_parser)
    def delete(self) -> Any:
        """Delete a session event."""
        id_event = events_delete_parser.parse_args(strict=True)["id"]
        event = TeraSessionEvent.get_session_event_by_id(id_event)
        if event is None:
            raise ClientError(f"Invalid id: no session event {id_event}")  # upstream: 500
        if accessible_session(UserAccess(g.current_user), event.id_session) is None:
            raise forbidden()
        with database_write("session event deletion"):
            TeraSessionEvent.delete(id_todel=id_event)
        return "", 200
