"""/api/user/stats: counts about one user group, user, site, project, participant group, session, participant or
device (upstream's UserQueryUserStats, in our words).

The first parameter given, in that order, is used; the row must be visible to the caller (403 "Forbidden"):
id_user_group, id_user, id_site, id_project, id_group (participant group), id_session (the one-session rule),
id_participant, id_device. None: 400 "Missing id argument".

* user group: its users the caller sees (total, enabled), its project roles on the caller's projects (total,
  admin) and its site roles on the caller's sites (total, admin). Upstream's enabled filter there is always
  false (it counts 0); we count the enabled users.
* user: sessions created by the user; sessions where the user is a member or the creator, and the participants
  of those sessions (total, enabled).
* site: visible users with a role on the site, superadmins excepted (total, enabled), the caller's projects of
  the site, and for those projects the participant groups, participants (total, enabled), sessions of their
  participants (one per participant and session) and the devices attached to the site. with_participants adds
  the per-participant list below for the site's visible participants. with_warnings adds: enabled participants
  whose last session is 6 months old or more, enabled participants without a session last changed a month ago
  or more, enabled non-superadmin users last online 3 months ago or more, and those never online whose row
  changed a month ago or more (months counted by calendar month).
* project: visible users with a role in the project, superadmins excepted (total, enabled), participant groups,
  participants (total, enabled), devices (total, enabled), sessions_total_count 0 (as upstream);
  with_participants adds the per-participant list.
* participant group: its visible participants (total, enabled), their sessions; with_participants as above.
* session: its users, participants, devices, assets, events and tests.
* participant: its sessions (total, total and mean duration, per status), its assets, tests_total_count 0.
* device: its assets, projects, participants and sessions.

Per participant: id, uuid, name, enabled, sessions count, first and last session start, last online.
"""

from __future__ import annotations

import datetime
from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceSite import TeraDeviceSite
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraSession import TeraSession, TeraSessionStatus
from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import ClientError, forbidden
from teraserver.api.resources import UserResource
from teraserver.api.user import project_access, site_access
from teraserver.api.user.access_extras import visible_session
from teraserver.api.user.namespace import ns
from teraserver.api.user.user_usergroups import users_of_group
from teraserver.user_access import ADMIN, UserAccess

get_parser = reqparse.RequestParser()
for _name, _what in (
    ("id_user_group", "user group"),
    ("id_user", "user"),
    ("id_site", "site"),
    ("id_project", "project"),
    ("id_group", "participant group"),
    ("id_session", "session"),
    ("id_participant", "participant"),
    ("id_device", "device"),
):
    get_parser.add_argument(_name, type=int, location="args", help=f"ID of the {_what} to query stats for")
get_parser.add_argument(
    "with_participants", type=inputs.boolean, location="args", help="Also per-participant stats (site, project, group)"
)
get_parser.add_argument("with_warnings", type=inputs.boolean, location="args", help="Also warnings (site only)")


def months_between(later: datetime.date, earlier: datetime.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def participant_summary(participant: TeraParticipant) -> dict[str, Any]:
    first, last = participant.get_first_session(), participant.get_last_session()
    return {
        "id_participant": participant.id_participant,
        "participant_uuid": participant.participant_uuid,
        "participant_name": participant.participant_name,
        "participant_enabled": participant.participant_enabled,
        "participant_sessions_count": TeraSessionParticipants.get_session_count_for_participant(
            participant.id_participant
        ),
        "participant_first_session": _iso(first.session_start_datetime) if first else None,
        "participant_last_session": _iso(last.session_start_datetime) if last else None,
        "participant_last_online": _iso(participant.participant_lastonline),
    }


def _visible_participants(access: UserAccess, **where: Any) -> list[TeraParticipant]:
    query = TeraParticipant.query.filter(TeraParticipant.id_participant.in_(access.accessible_participants_ids()))
    if "id_site" in where:
        query = query.join(TeraProject, TeraProject.id_project == TeraParticipant.id_project).filter(
            TeraProject.id_site == where["id_site"]
        )
    if "id_project" in where:
        query = query.filter(TeraParticipant.id_project == where["id_project"])
    if "id_participant_group" in where:
        query = query.filter(TeraParticipant.id_participant_group == where["id_participant_group"])
    return query.order_by(TeraParticipant.participant_name.asc()).all()


def _users_with_role(access: UserAccess, *, id_site: int | None = None, id_project: int | None = None) -> list[Any]:
    """Visible users (site admins of the caller's projects included), superadmins excepted, holding a role on
    the site or in the project."""
    users = []
    for user in access.accessible_users(include_site_access=True):
        if user.user_superadmin:
            continue
        if id_site is not None and id_site in {site.id_site for site in user.get_sites_roles()}:
            users.append(user)
        if id_project is not None and id_project in {project.id_project for project in user.get_projects_roles()}:
            users.append(user)
    return users


def user_group_stats(access: UserAccess, id_group: int) -> dict[str, Any]:
    users = users_of_group(access, id_group)
    return {
        "users_total_count": len(users),
        "users_enabled_count": len([user for user in users if user.user_enabled]),
        "projects_total_count": len(project_access.roles_of_group(access, id_group, False, False)),
        "projects_admin_count": len(project_access.roles_of_group(access, id_group, True, False)),
        "sites_total_count": len(site_access.roles_of_group(access, id_group, False, False)),
        "sites_admin_count": len(site_access.roles_of_group(access, id_group, True, False)),
    }


def user_stats(id_user: int) -> dict[str, Any]:
    sessions = TeraSession.get_sessions_for_user(id_user)
    participants = {participant for session in sessions for participant in session.session_participants}
    return {
        "sessions_created_total_count": TeraSession.get_count(filters={"id_creator_user": id_user}),
        "sessions_total_count": len(sessions),
        "participants_total_count": len(participants),
        "participants_enabled_count": len([p for p in participants if p.participant_enabled]),
    }


def site_stats(access: UserAccess, id_site: int, with_participants: bool, with_warnings: bool) -> dict[str, Any]:
    projects = [project for project in access.accessible_projects() if project.id_site == id_site]
    users = _users_with_role(access, id_site=id_site)
    groups = participants = enabled = sessions = 0
    for project in projects:
        groups += TeraParticipantGroup.get_count(filters={"id_project": project.id_project})
        participants += TeraParticipant.get_count(filters={"id_project": project.id_project})
        enabled += TeraParticipant.get_count(filters={"id_project": project.id_project, "participant_enabled": True})
        for participant in project.project_participants:
            sessions += TeraSessionParticipants.get_session_count_for_participant(participant.id_participant)
    stats: dict[str, Any] = {
        "users_total_count": len(users),
        "users_enabled_count": len([user for user in users if user.user_enabled]),
        "projects_count": len(projects),
        "participants_groups_count": groups,
        "participants_total_count": participants,
        "participants_enabled_count": enabled,
        "sessions_total_count": sessions,
        "devices_total_count": TeraDeviceSite.get_count(filters={"id_site": id_site}),
    }
    site_participants = _visible_participants(access, id_site=id_site) if with_participants or with_warnings else []
    if with_participants:
        stats["participants"] = [participant_summary(p) for p in site_participants]
    if with_warnings:
        stats.update(site_warnings(users, site_participants))
    return stats


def site_warnings(users: list[TeraUser], participants: list[TeraParticipant]) -> dict[str, Any]:
    today = datetime.datetime.now().date()
    old_session, no_session = [], []
    for participant in participants:
        if not participant.participant_enabled:
            continue
        last = participant.get_last_session()
        if last is not None:
            months = months_between(today, last.session_start_datetime)
            if months >= 6:
                old_session.append(
                    {
                        "id_participant": participant.id_participant,
                        "participant_name": participant.participant_name,
                        "project_name": participant.participant_project.project_name,
                        "last_session": last.session_start_datetime.isoformat(),
                        "months": months,
                    }
                )
        else:
            changed = datetime.datetime.fromtimestamp(participant.version_id / 1000)
            months = months_between(today, changed)
            if months >= 1:
                no_session.append(
                    {
                        "id_participant": participant.id_participant,
                        "participant_name": participant.participant_name,
                        "project_name": participant.participant_project.project_name,
                        "last_updated": changed.isoformat(),
                        "months": months,
                    }
                )
    inactive, never = [], []
    for user in users:
        if not user.user_enabled or user.user_superadmin:
            continue
        if user.user_lastonline:
            months = months_between(today, user.user_lastonline)
            if months >= 3:
                inactive.append(
                    {
                        "id_user": user.id_user,
                        "user_fullname": user.get_fullname(),
                        "user_lastonline": user.user_lastonline.isoformat(),
                        "months": months,
                    }
                )
        else:
            changed = datetime.datetime.fromtimestamp(user.version_id / 1000)
            months = months_between(today, changed)
            if months >= 1:
                never.append(
                    {
                        "id_user": user.id_user,
                        "user_fullname": user.get_fullname(),
                        "last_updated": changed.isoformat(),
                        "months": months,
                    }
                )
    return {
        "warning_participants_count": len(old_session),
        "warning_participants": old_session,
        "warning_nosession_participants_count": len(no_session),
        "warning_nosession_participants": no_session,
        "warning_users_count": len(inactive),
        "warning_users": inactive,
        "warning_neverlogged_users_count": len(never),
        "warning_neverlogged_users": never,
    }


def project_stats(access: UserAccess, id_project: int, with_participants: bool) -> dict[str, Any]:
    project = TeraProject.get_project_by_id(id_project)
    users = _users_with_role(access, id_project=id_project)
    stats: dict[str, Any] = {
        "users_total_count": len(users),
        "users_enabled_count": len([user for user in users if user.user_enabled]),
        "participants_groups_count": len(project.project_participants_groups),
        "participants_total_count": len(project.project_participants),
        "participants_enabled_count": len([p for p in project.project_participants if p.participant_enabled]),
        "devices_total_count": len(project.project_devices),
        "devices_enabled_count": len([d for d in project.project_devices if d.device_enabled]),
        "sessions_total_count": 0,
    }
    if with_participants:
        stats["participants"] = [participant_summary(p) for p in _visible_participants(access, id_project=id_project)]
    return stats


def participant_group_stats(access: UserAccess, id_group: int, with_participants: bool) -> dict[str, Any]:
    participants = _visible_participants(access, id_participant_group=id_group)
    stats: dict[str, Any] = {
        "participants_total_count": len(participants),
        "participants_enabled_count": len([p for p in participants if p.participant_enabled]),
        "sessions_total_count": sum(
            TeraSessionParticipants.get_session_count_for_participant(p.id_participant) for p in participants
        ),
    }
    if with_participants:
        stats["participants"] = [participant_summary(p) for p in participants]
    return stats


def session_stats(session: TeraSession) -> dict[str, Any]:
    return {
        "users_total_count": len(session.session_users),
        "participants_total_count": len(session.session_participants),
        "devices_total_count": len(session.session_devices),
        "assets_total_count": len(session.session_assets),
        "events_total_count": len(session.session_events),
        "tests_total_count": len(session.session_tests),
    }


def participant_stats(id_participant: int) -> dict[str, Any]:
    participant = TeraParticipant.get_participant_by_id(id_participant)
    sessions = participant.participant_sessions
    total_time = sum(session.session_duration or 0 for session in sessions)

    def with_status(status: TeraSessionStatus) -> int:
        return len([session for session in sessions if session.session_status == status.value])

    return {
        "sessions_total_count": len(sessions),
        "sessions_total_time": total_time,
        "sessions_mean_time": total_time / len(sessions) if sessions else 0,
        "sessions_planned_count": with_status(TeraSessionStatus.STATUS_NOTSTARTED),
        "sessions_completed_count": with_status(TeraSessionStatus.STATUS_COMPLETED),
        "sessions_inprogress_count": with_status(TeraSessionStatus.STATUS_INPROGRESS),
        "sessions_cancelled_count": with_status(TeraSessionStatus.STATUS_CANCELLED),
        "sessions_terminated_count": with_status(TeraSessionStatus.STATUS_TERMINATED),
        "assets_total_count": len(TeraAsset.get_assets_for_participant(id_participant)),
        "tests_total_count": 0,
    }


def device_stats(id_device: int) -> dict[str, Any]:
    device = TeraDevice.get_device_by_id(id_device)
    return {
        "assets_total_count": len(device.device_assets),
        "projects_total_count": len(device.device_projects),
        "participants_total_count": len(device.device_participants),
        "sessions_total_count": len(device.device_sessions),
    }


def _require(allowed: bool) -> None:
    if not allowed:
        raise forbidden()


class UserQueryUserStats(UserResource):
    @ns.doc(
        description="Counts about one user group, user, site, project, participant group (id_group), session, "
        "participant or device.",
        responses={200: "Success - an object", 400: "No id or unknown parameter", 403: "Not visible"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get stats."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        with_participants = bool(args["with_participants"])
        if args["id_user_group"]:
            _require(args["id_user_group"] in access.accessible_usergroups_ids())
            return user_group_stats(access, args["id_user_group"])
        if args["id_user"]:
            _require(args["id_user"] in access.accessible_users_ids())
            return user_stats(args["id_user"])
        if args["id_site"]:
            _require(args["id_site"] in access.accessible_sites_ids())
            return site_stats(access, args["id_site"], with_participants, bool(args["with_warnings"]))
        if args["id_project"]:
            _require(args["id_project"] in access.accessible_projects_ids())
            return project_stats(access, args["id_project"], with_participants)
        if args["id_group"]:
            _require(args["id_group"] in access.accessible_participant_groups_ids())
            return participant_group_stats(access, args["id_group"], with_participants)
        if args["id_session"]:
            session = visible_session(access, args["id_session"])
            _require(session is not None)
            return session_stats(session)
        if args["id_participant"]:
            _require(args["id_participant"] in access.accessible_participants_ids())
            return participant_stats(args["id_participant"])
        if args["id_device"]:
            _require(args["id_device"] in access.accessible_devices_ids())
            return device_stats(args["id_device"])
        raise ClientError("Missing id argument")


__all__ = ["ADMIN", "UserQueryUserStats"]
