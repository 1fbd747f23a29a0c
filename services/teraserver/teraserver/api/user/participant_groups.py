"""/api/user/groups: participant groups, GET / POST create-update / DELETE.

Upstream's rules, as we implement them:

* GET: the groups of the user's projects. `id` is an alias of `id_group`. With no parameter set to a true value
  (nothing, or `id_group=0`): all of them. `id_group` outside them, or `id_project` not one of the user's
  projects: an empty list. A `list` parameter alone selects nothing (upstream's quirk). Without `list` each
  group carries `project_name`; with `list` (whatever its value, as upstream) the minimal form plus
  `group_participant_count`, the number of the group's participants the user sees.
* POST {"group": {...}} or {"participant_group": {...}}: 400 "Missing group"; `id_participant_group` and
  `id_project` both required (400 "Missing id_participant_group or id_project"); the user must be admin of
  `id_project` (403 "Forbidden"). id 0 creates (unknown fields ignored); an id > 0 updates, and a changed
  `id_project` moves the group's participants with it (the model does it). Answer: [the group].
* DELETE `id`: project admin of the group's project (403 "Forbidden"). The group's participants are deleted
  with it; a participant with sessions blocks it. Answer: "" (200).

Deviations: an update also needs admin of the group's current project (upstream checks only the posted
project, so an admin of one project could take another project's group and its participants); an unknown
group id is 400 (upstream: 500); blocked deletes, wrong values and unknown fields in an update are 400 with the
reason (upstream: 500); GET parsing is strict.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup

from teraserver.api.common import ClientError, database_write, forbidden, json_body
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_values, creatable, updatable
from teraserver.api.user.namespace import ns
from teraserver.user_access import ADMIN, UserAccess

IN_USE = "Can't delete participant group: please delete all sessions from all participants before deleting."

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_group", type=int, location="args", help="ID of the participant group to query")
get_parser.add_argument("id_project", type=int, location="args", help="Participant groups of that project")
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_group"')
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Participant group ID to delete")


def selected_groups(access: UserAccess, args: dict[str, Any]) -> list[TeraParticipantGroup]:
    if args["id"]:
        args["id_group"] = args["id"]
    visible = sorted(access.accessible_participant_groups(), key=lambda group: group.id_participant_group)
    if not any(args.values()):
        return visible
    if args["id_group"]:
        return [group for group in visible if group.id_participant_group == args["id_group"]]
    if args["id_project"]:
        if args["id_project"] not in access.accessible_projects_ids():
            return []
        return [group for group in visible if group.id_project == args["id_project"]]
    return []


def group_json(access: UserAccess, group: TeraParticipantGroup, args: dict[str, Any]) -> dict[str, Any]:
    if args["list"] is None:
        return group.to_json()
    data = group.to_json(minimal=True)
    visible = set(access.accessible_participants_ids())
    members = TeraParticipant.query.filter(TeraParticipant.id_participant_group == group.id_participant_group)
    data["group_participant_count"] = len([p for p in members if p.id_participant in visible])
    return data


def require_id(data: dict[str, Any], field: str) -> int:
    value = data[field]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClientError(f"Invalid {field}: {value!r} is not an integer")
    return value


class UserQueryParticipantGroup(UserResource):
    @ns.doc(
        description="Participant groups: one (id_group / id), of a project (id_project), or all of the user's.",
        responses={200: "Success - a list", 400: "Unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get participant groups."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        return [group_json(access, group, args) for group in selected_groups(access, args)]

    @ns.doc(
        description="Create (id_participant_group 0) or update a participant group (project admin): "
        '{"participant_group": {...}} or {"group": {...}}',
        responses={200: "Success - [group]", 400: "Bad body", 403: "Not admin of the project"},
    )
    def post(self) -> Any:
        """Create / update a participant group."""
        body = json_body()
        if "group" not in body and "participant_group" not in body:
            raise ClientError("Missing group")
        data = body["group"] if "group" in body else body["participant_group"]
        if not isinstance(data, dict):
            raise ClientError("Invalid participant_group: expected an object")
        if "id_participant_group" not in data or "id_project" not in data:
            raise ClientError("Missing id_participant_group or id_project")
        id_group = require_id(data, "id_participant_group")
        id_project = require_id(data, "id_project")
        access = UserAccess(g.current_user)
        admin_projects = access.accessible_projects_ids(admin_only=True)
        if id_project not in admin_projects:
            raise forbidden()
        if id_group > 0:
            existing = TeraParticipantGroup.get_participant_group_by_id(id_group)
            if existing is None:
                raise ClientError(f"Invalid id_participant_group: {id_group}")
            if existing.id_project not in admin_projects:
                raise forbidden()
            values = updatable(TeraParticipantGroup, data, "id_participant_group", "participant_group")
            check_values(TeraParticipantGroup, values, creating=False)
            with database_write("participant group"):
                TeraParticipantGroup.update(id_group, values)
        else:
            values = creatable(TeraParticipantGroup, data, "id_participant_group")
            check_values(TeraParticipantGroup, values, creating=True)
            with database_write("participant group"):
                group = TeraParticipantGroup()
                group.from_json(values)
                TeraParticipantGroup.insert(group)
            id_group = group.id_participant_group
        return [TeraParticipantGroup.get_participant_group_by_id(id_group).to_json()]

    @ns.doc(
        description="Delete a participant group and its participants (project admin).",
        responses={200: "Success", 400: "Unknown id, or participants with sessions", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a participant group."""
        args = delete_parser.parse_args(strict=True)
        group = TeraParticipantGroup.get_participant_group_by_id(args["id"])
        if group is None:
            raise ClientError(f"Invalid id: {args['id']}")
        if UserAccess(g.current_user).project_role(group.id_project) != ADMIN:
            raise forbidden()
        with database_write("participant group", in_use=IN_USE):
            TeraParticipantGroup.delete(id_todel=group.id_participant_group)
        return "", 200
