"""/api/service/groups: participant groups of the projects linked to the calling service."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource, reqparse
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup

from teraserver.api.service import bodies
from teraserver.api.service.common import Answer, client_errors, json_object, required_int, service_access
from teraserver.api.service.namespace import ns
from teraserver.api.service.projects import delete_model
from teraserver.service_auth import service_token_required

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_participant_group", type=int, location="args", help="ID of the group (one object)")
get_parser.add_argument("id_project", type=int, location="args", help="Groups of that project (a list)")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the group to delete")


@ns.route("/groups")
class ServiceQueryParticipantGroups(Resource):
    @ns.doc(
        description="One group (object) by id, or a project's groups (list).",
        responses={200: "Success", 400: "Missing parameter or no group", 403: "Forbidden", 404: "Not found"},
    )
    @ns.expect(get_parser)
    @service_token_required
    @client_errors
    def get(self) -> Answer | dict[str, Any] | list[dict[str, Any]]:
        """Get participant groups."""
        args = get_parser.parse_args()
        access = service_access()
        if args["id_participant_group"] is not None:
            # As upstream: access first, so an unknown group is a 403 too.
            if args["id_participant_group"] not in access.participant_groups_ids:
                return "Forbidden", 403
            group = TeraParticipantGroup.get_participant_group_by_id(args["id_participant_group"])
            if group is None:
                return "Not found", 404
            return group.to_json(minimal=True)
        if args["id_project"] is not None:
            if args["id_project"] not in access.projects_ids:
                return "Forbidden", 403
            groups = TeraParticipantGroup.get_participant_group_for_project(args["id_project"])
            if not groups:
                return "No group in that project", 400  # upstream's answer for a project without groups
            return [group.to_json(minimal=True) for group in groups]
        return "Missing parameter: id_participant_group or id_project", 400

    @ns.expect(bodies.PARTICIPANT_GROUP)
    @ns.doc(
        description="Create (id_participant_group 0) or update a group of an accessible project.",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    @service_token_required
    @client_errors
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a participant group."""
        values = json_object("participant_group")
        id_group = required_int(values, "id_participant_group")
        access = service_access()
        if "id_project" in values and required_int(values, "id_project") not in access.projects_ids:
            return "Forbidden", 403
        if id_group == 0:
            required_int(values, "id_project")
            if values.get("participant_group_name") is None:
                return "Missing group name", 400
            # As upstream: only the name and the project are taken, other fields are ignored.
            group = TeraParticipantGroup()
            group.participant_group_name = values["participant_group_name"]
            group.id_project = values["id_project"]
            TeraParticipantGroup.insert(group)
        else:
            if id_group not in access.participant_groups_ids:
                return "Forbidden", 403
            TeraParticipantGroup.update(id_group, values)
            group = TeraParticipantGroup.get_participant_group_by_id(id_group)
        return group.to_json(minimal=False)

    @ns.doc(description="Delete a group.", responses={200: "Success", 400: "Group not empty", 403: "Forbidden"})
    @ns.expect(delete_parser)
    @service_token_required
    @client_errors
    def delete(self) -> Answer:
        """Delete a participant group."""
        id_group = delete_parser.parse_args()["id"]
        if id_group not in service_access().participant_groups_ids:
            return "Forbidden", 403
        delete_model(TeraParticipantGroup, id_group)
        return "", 200
