"""/api/user/participants: GET participants of accessible projects, POST create/update (needs a project role),
DELETE (project admin only; refused while the participant still has sessions, assets or tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraSession import TeraSession
from sqlalchemy.exc import IntegrityError

from teraserver import context, presence
from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import UserResource
from teraserver.api.rows import save_row
from teraserver.api.user.namespace import ns
from teraserver.database import reads_without_transaction
from teraserver.user_access import UserAccess

get_parser = QueryParser()
get_parser.add_argument("id_participant", type=int, location="args", help="ID of the participant to query")
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_participant"')
get_parser.add_argument("username", type=str, location="args", help="Username of the participant to query")
get_parser.add_argument("participant_uuid", type=str, location="args", help="Participant UUID to query")
get_parser.add_argument("uuid", type=str, location="args", help='Alias for "participant_uuid"')
get_parser.add_argument("id_site", type=int, location="args", help="Participants of that site")
get_parser.add_argument("id_project", type=int, location="args", help="Participants of that project")
get_parser.add_argument("id_group", type=int, location="args", help="Participants of that participant group")
get_parser.add_argument("id_session", type=int, location="args", help="Participants of that session")
get_parser.add_argument("id_device", type=int, location="args", help="Participants associated with that device")
get_parser.add_argument("name", type=str, location="args", help="Participant with that name")
get_parser.add_argument("enabled", type=inputs.boolean, location="args", help="Only (not) enabled participants")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")
get_parser.add_argument("full", type=inputs.boolean, location="args", help="Add group, devices, project, last session")
get_parser.add_argument("orderby_recents", type=inputs.boolean, location="args", help="Most recently updated first")
get_parser.add_argument("limit", type=int, location="args", help="At most that many participants")
get_parser.add_argument("no_group", type=inputs.boolean, location="args", help="Only participants without a group")
# Upstream declares it but its parser no longer reads it: every answer carries the status, and the flag alone is
# still "Missing arguments". Accepted and ignored likewise.
get_parser.add_argument(
    "with_status", type=inputs.boolean, location="args", help="Ignored: the status is always included"
)

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Participant ID to delete")


def select_participants(access: UserAccess, args: dict[str, Any]) -> list[TeraParticipant | None]:
    """Upstream's precedence: id, username, uuid, site, project, group, device, session, name; only visible
    participants (None stands for a row not found, which upstream answers as an empty list rather than null)."""
    id_participant = args["id_participant"] or args["id"]
    participant_uuid = args["participant_uuid"] or args["uuid"]
    # With only a project selector, its participants alone are read (the most frequent list, issue 14).
    project_only = args["id_project"] and not (
        id_participant or args["username"] is not None or participant_uuid is not None or args["id_site"]
    )
    visible = (
        access.accessible_participants_of_project(args["id_project"])
        if project_only
        else access.accessible_participants()
    )
    visible_ids = {p.id_participant for p in visible}
    by_name = sorted(visible, key=lambda p: (p.participant_name or "", p.id_participant))
    if id_participant:
        return [p for p in visible if p.id_participant == id_participant]
    if args["username"] is not None:
        found = TeraParticipant.get_participant_by_username(args["username"])
        # Upstream answers any participant by username; we keep to visible ones (README, deviations).
        return [found if found is not None and found.id_participant in visible_ids else None]
    if participant_uuid is not None:
        return [p for p in visible if p.participant_uuid == participant_uuid]
    # With `enabled` given, upstream's site and project queries first keep the enabled participants only.
    enabled_only = args["enabled"] is not None
    if args["id_site"]:
        return [
            p
            for p in by_name
            if p.participant_project.id_site == args["id_site"] and (p.participant_enabled or not enabled_only)
        ]
    if args["id_project"]:
        return [
            p for p in by_name if p.id_project == args["id_project"] and (p.participant_enabled or not enabled_only)
        ]
    if args["id_group"]:
        return [p for p in by_name if p.id_participant_group == args["id_group"]]
    if args["id_device"]:
        if args["id_device"] not in access.accessible_devices_ids():
            return []
        device = TeraDevice.get_device_by_id(args["id_device"])
        return [p for p in device.device_participants if p.id_participant in visible_ids]
    if args["id_session"]:
        session = TeraSession.get_session_by_id(args["id_session"])
        if session is None:
            return []  # upstream: 500
        return [p for p in session.session_participants if p.id_participant in visible_ids]
    if args["name"]:
        found = TeraParticipant.get_participant_by_name(args["name"])
        return [found] if found is not None and found.id_participant in visible_ids else []
    return []


def with_status(data: dict[str, Any], participant_uuid: str, statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`participant_busy` / `participant_online` from the presence state (offline and free when not in it)."""
    entry = statuses.get(participant_uuid, {})
    data["participant_busy"] = entry.get("busy", False)
    data["participant_online"] = entry.get("online", False)
    return data


def participant_json(
    participant: TeraParticipant, args: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    data = participant.to_json(minimal=bool(args["list"]))
    if args["list"] is None:
        if args["id_participant"] or args["id"]:
            data["id_site"] = participant.participant_project.id_site
        if args["id_group"] or args["id_participant"] or args["id"]:
            sessions = TeraSession.get_sessions_for_participant(participant.id_participant)
            data["participant_lastsession"] = sessions[0].session_start_datetime.isoformat() if sessions else None
        if args["full"] is not None:
            if participant.id_participant_group is not None:
                data["participant_participant_group"] = participant.participant_participant_group.to_json()
            data["participant_devices"] = [device.to_json() for device in participant.participant_devices]
            data["participant_project"] = participant.participant_project.to_json()
            last = participant.get_last_session()
            data["participant_lastsession"] = last.session_start_datetime.isoformat() if last else None
    return with_status(data, participant.participant_uuid, statuses)


def participants_answer(
    access: UserAccess, args: dict[str, Any], statuses: Callable[[], dict[str, dict[str, Any]]]
) -> list[dict[str, Any]] | None:
    """The GET's answer for the parsed `args`; `statuses` reads the presence state (api/direct.py reads it with
    the token check's values, in one Redis round trip)."""
    args.pop("with_status")
    if not any(value for value in args.values()):
        raise ClientError("Missing arguments")
    participants = select_participants(access, args)
    if args["orderby_recents"]:
        participants = sorted(participants, key=lambda p: (p.version_id or 0) if p else 0, reverse=True)
    if args["limit"]:
        participants = participants[: args["limit"]]
    if not participants:
        return None  # upstream answers null when nothing was selected
    # As upstream, one read of the presence state (the UserManager's status_participants) for the whole list.
    read_statuses = statuses()
    result = []
    for participant in participants:
        if participant is None:
            continue
        if args["enabled"] is not None and participant.participant_enabled != args["enabled"]:
            continue
        if args["no_group"] is not None and participant.id_participant_group is not None:
            continue
        result.append(participant_json(participant, args, read_statuses))
    return result


class UserQueryParticipants(UserResource):
    @ns.doc(
        description="Participants of accessible projects, selected by one parameter; null when none was selected "
        "(as upstream), 400 without any parameter."
    )
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Any:
        """Get participants."""
        args = get_parser.parse_args(strict=True)
        return participants_answer(
            UserAccess(g.current_user), args, lambda: presence.status(context.redis_client(), "participant")
        )

    @ns.doc(description='Create (id_participant 0) or update a participant: {"participant": {...}}')
    def post(self) -> Any:
        """Create / update a participant."""
        access = UserAccess(g.current_user)
        data = json_object("participant")
        if not isinstance(data, dict):
            raise ClientError("Invalid participant: expected an object")
        data = dict(data)
        id_participant = require_int(data, "id_participant")
        projects = set(access.accessible_projects_ids())
        # As upstream: a group must be one of ours, and gives the participant its project.
        if data.get("id_participant_group") == 0:
            data["id_participant_group"] = None
        if data.get("id_participant_group") is not None:
            id_group = require_int(data, "id_participant_group")
            if id_group not in access.accessible_participant_groups_ids():
                raise forbidden("No admin access to group")
            group = TeraParticipantGroup.get_participant_group_by_id(id_group)
            if data.get("id_project") not in (None, 0, group.id_project):
                raise ClientError("Mismatch between id_project and group's project")
            data["id_project"] = group.id_project
        if id_participant == 0:
            if require_int(data, "id_project") not in projects:
                raise forbidden()
            if not data.get("participant_name"):
                raise ClientError("Missing participant_name")
        else:
            if id_participant not in access.accessible_participants_ids():
                raise forbidden()
            if "id_project" in data and data["id_project"] not in projects:
                raise forbidden()
        data.pop("participant_uuid", None)
        participant = save_row(TeraParticipant, data, "id_participant", "participant")
        # Upstream's answer to a write carries the participant's status too.
        statuses = presence.status(context.redis_client(), "participant")
        return [with_status(participant.to_json(), participant.participant_uuid, statuses)]

    @ns.doc(
        description="Delete a participant (project admin). Publishes the participant DB_DELETE event.",
        responses={200: "Success", 400: "Unknown participant, or it still has sessions", 403: "Not project admin"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a participant."""
        id_participant = delete_parser.parse_args(strict=True)["id"]
        participant = TeraParticipant.get_participant_by_id(id_participant)
        if participant is None:
            raise ClientError(f"Invalid id: no participant {id_participant}")  # upstream: 500
        if UserAccess(g.current_user).project_role(participant.id_project) != "admin":
            raise forbidden()
        with database_write("participant deletion"):
            try:
                TeraParticipant.delete(id_todel=id_participant)
            except IntegrityError as exc:
                # The model refuses while sessions, assets or tests still name the participant (upstream: 500).
                TeraParticipant.db().session.rollback()
                raise ClientError("Can't delete participant: please delete all sessions before deleting.") from exc
        return "", 200
