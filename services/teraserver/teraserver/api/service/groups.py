"""/api/service/groups: participant groups of the projects linked to the calling service."""

from __future__ import annotations

from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup

from teraserver.api.common import Answer, ClientError, json_dict, require_int
from teraserver.api.resources import ServiceResource
from teraserver.api.rows import delete_model
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.service_access import service_access

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_participant_group", type=int, location="args", help="ID of the group (one object)")
get_parser.add_argument("id_project", type=int, location="args", help="Groups of that project (a list)")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the group to delete")


class ServiceQueryParticipantGroups(ServiceResource):
    @ns.doc(
        description="One group (object) by id, or a project's groups (list).",
        responses={200: "Success", 400: "Missing parameter or no group", 403: "Forbidden", 404: "Not found"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | dict[str, Any] | list[dict[str, Any]]:
        """Get participant groups."""
        args = get_parser.parse_args()
        access = service_access()
        # As upstream: 0 counts as absent.
        if args["id_participant_group"]:
            # As upstream: access first, so an unknown group is a 403 too.
            if args["id_participant_group"] not in access.participant_groups_ids:
                raise ClientError("Forbidden", 403)
            group = TeraParticipantGroup.get_participant_group_by_id(args["id_participant_group"])
            if group is None:
                raise ClientError("Not found", 404)
            return group.to_json(minimal=True)
        if args["id_project"]:
            if args["id_project"] not in access.projects_ids:
                raise ClientError("Forbidden", 403)
            groups = TeraParticipantGroup.get_participant_group_for_project(args["id_project"])
            if groups:
                return [group.to_json(minimal=True) for group in groups]
        # Upstream's answer both without a selector and for a project without groups.
        raise ClientError("Missing arguments")

    @ns.expect(bodies.PARTICIPANT_GROUP)
    @ns.doc(
        description="Create (id_participant_group 0) or update a group of an accessible project.",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a participant group."""
        values = json_dict("participant_group")
        id_group = require_int(values, "id_participant_group")
        access = service_access()
        if "id_project" in values and require_int(values, "id_project") not in access.projects_ids:
            raise ClientError("Forbidden", 403)
        if id_group == 0:
            require_int(values, "id_project")
            if values.get("participant_group_name") is None:
                raise ClientError("Missing group name")
            # As upstream: only the name and the project are taken, other fields are ignored.
            group = TeraParticipantGroup()
            group.participant_group_name = values["participant_group_name"]
            group.id_project = values["id_project"]
            TeraParticipantGroup.insert(group)
        else:
            if id_group not in access.participant_groups_ids:
                raise ClientError("Forbidden", 403)
            TeraParticipantGroup.update(id_group, values)
            group = TeraParticipantGroup.get_participant_group_by_id(id_group)
        return group.to_json(minimal=False)

    @ns.doc(description="Delete a group.", responses={200: "Success", 400: "Group not empty", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a participant group."""
        id_group = delete_parser.parse_args()["id"]
        if id_group not in service_access().participant_groups_ids:
            raise ClientError("Forbidden", 403)
        delete_model(TeraParticipantGroup, id_group)
        return "", 200
