"""/api/service/sessions, /sessions/events and /sessions/manager."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import request
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession, TeraSessionStatus
from opentera.db.models.TeraSessionEvent import TeraSessionEvent
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraUser import TeraUser

from teraserver import context, rpc
from teraserver.api.common import Answer, ClientError, iso_datetime, json_dict, require_int, uuid_list
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.api.session_filters import session_events_get_parser, session_json, sessions_get_parser
from teraserver.service_access import ServiceAccess, service_access
from teraserver.service_auth import current_service

get_parser = sessions_get_parser("uuid_session")

events_get_parser = session_events_get_parser()


def select_sessions(access: ServiceAccess, args: dict[str, Any]) -> list[TeraSession]:
    """Upstream's precedence: id, uuid, participant, user, device (0 and "" count as absent, as upstream); the
    filters apply to the last three."""
    filters = {
        "status": args["status"],
        "limit": args["limit"],
        "offset": args["offset"],
        "start_date": args["start_date"],
        "end_date": args["end_date"],
    }
    if args["limit"] is not None and args["limit"] < 0 or args["offset"] is not None and args["offset"] < 0:
        raise ClientError("limit and offset must not be negative")
    if args["id_session"]:
        session = access.readable_session(args["id_session"])
        if session is None:
            raise ClientError("Forbidden", 403)
        return [session]
    if args["uuid_session"]:
        session = TeraSession.get_session_by_uuid(args["uuid_session"])
        if session is None:
            raise ClientError("Session not found", 404)  # upstream: 500
        if session.id_session not in access.sessions_ids:
            raise ClientError("Forbidden", 403)
        return [session]
    if args["id_participant"]:
        if args["id_participant"] not in access.participants_ids:
            raise ClientError("Forbidden", 403)
        return TeraSession.get_sessions_for_participant(args["id_participant"], **filters)
    if args["id_user"]:
        if args["id_user"] not in access.users_ids:
            raise ClientError("Forbidden", 403)
        return TeraSession.get_sessions_for_user(args["id_user"], **filters)
    if args["id_device"]:
        if args["id_device"] not in access.devices_ids:
            raise ClientError("Forbidden", 403)
        return TeraSession.get_sessions_for_device(args["id_device"], **filters)
    raise ClientError("Missing arguments: at least one id is required")


def check_members(access: ServiceAccess, values: dict[str, Any]) -> dict[str, list[str] | None]:
    """The posted participant/user/device uuid lists, each member accessible to the caller (403 otherwise)."""
    members = {
        "participants": uuid_list(values, "session_participants_uuids"),
        "users": uuid_list(values, "session_users_uuids"),
        "devices": uuid_list(values, "session_devices_uuids"),
    }
    known = {
        "participants": lambda: {p.participant_uuid for p in access.participants_query().all()},
        "users": lambda: {u.user_uuid for u in access.users_query().all()},
        "devices": lambda: {d.device_uuid for d in access.devices_query().all()},
    }
    for kind, uuids in members.items():
        if uuids and set(uuids) - known[kind]():
            singular = kind[:-1]
            raise ClientError(f"Service doesn't have access to at least one {singular} of that session.", 403)
    for field in ("session_participants_uuids", "session_users_uuids", "session_devices_uuids"):
        values.pop(field, None)
    return members


def default_session_name(id_session_type: int, start: Any) -> str:
    """Upstream's default: "<type name> [<year>.<session count>]"."""
    session_type = TeraSessionType.get_session_type_by_id(id_session_type)
    if session_type is None:
        raise ClientError("Invalid id_session_type")
    started = iso_datetime(start, "session_start_datetime")
    return f"{session_type.session_type_name} [{started.year}.{TeraSession.get_count()}]"


def apply_members(session: TeraSession, members: dict[str, list[str] | None]) -> None:
    """Participants: the posted list replaces the current one; users and devices: posted ones are added."""
    changed = False
    if members["participants"]:
        wanted = set(members["participants"])
        current = {p.participant_uuid: p for p in session.session_participants}
        for participant_uuid in wanted - set(current):
            session.session_participants.append(TeraParticipant.get_participant_by_uuid(participant_uuid))
        for participant_uuid in set(current) - wanted:
            session.session_participants.remove(current[participant_uuid])
        changed = True
    if members["users"]:
        current_users = {u.user_uuid for u in session.session_users}
        for user_uuid in set(members["users"]) - current_users:
            session.session_users.append(TeraUser.get_user_by_uuid(user_uuid))
        changed = True
    if members["devices"]:
        current_devices = {d.device_uuid for d in session.session_devices}
        for device_uuid in set(members["devices"]) - current_devices:
            session.session_devices.append(TeraDevice.get_device_by_uuid(device_uuid))
        changed = True
    if changed:
        TeraSession.commit()


class ServiceQuerySessions(ServiceResource):
    @ns.doc(
        description="Return sessions (a list). One of the ID parameters is required.",
        responses={200: "Success", 400: "Missing parameter", 403: "Forbidden", 404: "Unknown session uuid"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get sessions."""
        args = get_parser.parse_args()
        return [session_json(session, args) for session in select_sessions(service_access(), args)]

    @ns.expect(bodies.SESSION)
    @ns.doc(
        description="Create (id_session 0) or update a session; member uuid lists must be accessible.",
        responses={200: "Success - list with the session", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | list[dict[str, Any]]:
        """Create or update a session."""
        values = json_dict("session")
        id_session = require_int(values, "id_session")
        access = service_access()
        if id_session == 0 and "id_service" not in values:
            values["id_creator_service"] = current_service().id_service
        members = check_members(access, values)
        if id_session > 0:
            if access.readable_session(id_session) is None and access.managed_session(id_session) is None:
                # Upstream updates any session id it is given; we require one the service may read or manage.
                raise ClientError("Forbidden", 403)
            TeraSession.update(id_session, values)
        else:
            id_session_type = require_int(values, "id_session_type")
            if TeraSessionType.get_session_type_by_id(id_session_type) is None:
                raise ClientError("Invalid id_session_type")
            values.setdefault("session_start_datetime", datetime.now().astimezone().isoformat())
            values.setdefault("session_name", default_session_name(id_session_type, values["session_start_datetime"]))
            values.setdefault("session_status", TeraSessionStatus.STATUS_INPROGRESS.value)
            values.pop("id_session", None)
            session = TeraSession()
            session.from_json(values)
            TeraSession.insert(session)
            id_session = session.id_session
        session = TeraSession.get_session_by_id(id_session)
        apply_members(session, members)
        return [session.to_json()]


class ServiceQuerySessionEvents(ServiceResource):
    @ns.doc(description="Events of a session (a list).", responses={200: "Success", 400: "Missing id_session"})
    @ns.expect(events_get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get the events of a session."""
        id_session = events_get_parser.parse_args()["id_session"]
        return [event.to_json() for event in TeraSessionEvent.get_events_for_session(id_session)]

    @ns.expect(bodies.SESSION_EVENT)
    @ns.doc(
        description="Create (id_session_event 0) or update an event of an accessible session.",
        responses={200: "Success - list with the event", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | list[dict[str, Any]]:
        """Create or update a session event."""
        values = json_dict("session_event")
        id_event = require_int(values, "id_session_event")
        id_session = require_int(values, "id_session")
        if service_access().readable_session(id_session) is None:
            raise ClientError("Forbidden", 403)
        if id_event == 0:
            require_int(values, "id_session_event_type")
            values.setdefault("session_event_datetime", datetime.now().astimezone().isoformat())
            values.pop("id_session_event", None)
            event = TeraSessionEvent()
            event.from_json(values)
            TeraSessionEvent.insert(event)
        else:
            existing = TeraSessionEvent.get_session_event_by_id(id_event)
            # Upstream checks only the posted id_session; we also check the event's current session.
            if existing is None or service_access().readable_session(existing.id_session) is None:
                raise ClientError("Forbidden", 403)
            TeraSessionEvent.update(id_event, values)
            event = TeraSessionEvent.get_session_event_by_id(id_event)
        return [event.to_json()]


def resolve_session_manage(access: ServiceAccess, manage: dict[str, Any]) -> dict[str, Any]:
    """Fill what the target service needs from the DB, as upstream: session id, type, service, member lists."""
    creators = ("id_creator_service", "id_creator_user", "id_creator_participant", "id_creator_device")
    if "id_session" not in manage and not any(name in manage for name in creators):
        manage["id_creator_service"] = current_service().id_service
    if "id_session" not in manage:
        if "session_uuid" in manage:
            session = TeraSession.get_session_by_uuid(str(manage["session_uuid"]))
            if session is None:
                raise ClientError("Invalid session")
            manage["id_session"] = session.id_session
        else:
            manage["id_session"] = 0
    id_session = require_int(manage, "id_session")
    if id_session != 0:
        session = access.managed_session(id_session)
        if session is None:
            raise ClientError("Service doesn't have access to that session", 403)
        if "id_service" not in manage and session.session_session_type.id_service:
            manage["id_service"] = session.session_session_type.id_service
        manage.setdefault("id_session_type", session.id_session_type)
        manage.setdefault("session_users", [user.user_uuid for user in session.session_users])
        manage.setdefault("session_participants", [p.participant_uuid for p in session.session_participants])
        manage.setdefault("session_devices", [device.device_uuid for device in session.session_devices])
    else:
        if "id_session_type" not in manage:
            raise ClientError("Missing required id_session_type for new sessions")
        session_type = TeraSessionType.get_session_type_by_id(require_int(manage, "id_session_type"))
        if session_type is None:
            raise ClientError("Invalid session type")
        if session_type.id_service:
            manage["id_service"] = session_type.id_service
    return manage


class ServiceSessionManager(ServiceResource):
    @ns.expect(bodies.SESSION_MANAGE)
    @ns.doc(
        description="Start/stop/invite... a session: forwarded to the session's service (RPC session_manage).",
        responses={
            200: "The service's answer",
            400: "Bad body",
            403: "Forbidden",
            501: "No service for that session",
            500: "No answer from service. (upstream's answer when the RPC times out)",
        },
    )
    def post(self) -> Answer | Any:
        """Manage a session through its service."""
        manage = json_dict("session_manage")
        if not isinstance(manage.get("action"), str):
            raise ClientError("Missing action")
        resolve_session_manage(service_access(), manage)
        if "id_service" not in manage:
            raise ClientError("Not implemented yet", 501)
        service = TeraService.get_service_by_id(require_int(manage, "id_service"))
        if service is None:
            raise ClientError("Service not found")
        # Upstream sends the whole body, {"session_manage": {...}} with the filled-in fields, as one string.
        reply = rpc.call_service(
            context.redis_client(), service.service_key, "session_manage", json.dumps(request.get_json())
        )
        if reply is rpc.NO_REPLY or not reply.return_value:
            # Upstream: 500. A silent service is a gateway problem, not ours nor the client's.
            raise ClientError("No answer from service.", 500)
        return reply.return_value, 200
