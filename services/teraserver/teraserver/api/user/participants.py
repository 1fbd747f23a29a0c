"""/api/user/participants: GET participants of accessible projects, POST create/update (needs a project role),
DELETE (project admin only; refused while the participant still has sessions, assets or tests)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import Resource, inputs, reqparse
from opentera.db.models.TeraParticipant import TeraParticipant
from sqlalchemy.exc import IntegrityError

from teraserver import auth
from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.user.namespace import ns
from teraserver.api.user.rows import save_row
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_participant", type=int, location="args", help="ID of the participant to query")
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_participant"')
get_parser.add_argument("participant_uuid", type=str, location="args", help="Participant UUID to query")
get_parser.add_argument("uuid", type=str, location="args", help='Alias for "participant_uuid"')
get_parser.add_argument("id_project", type=int, location="args", help="Participants of that project")
get_parser.add_argument("id_group", type=int, location="args", help="Participants of that participant group")
get_parser.add_argument("name", type=str, location="args", help="Participants with that name")
get_parser.add_argument("enabled", type=inputs.boolean, location="args", help="Only (not) enabled participants")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Participant ID to delete")


@ns.route("/participants")
class UserQueryParticipants(Resource):
    @ns.doc(description="Participants of accessible projects")
    @ns.expect(get_parser)
    @auth.user_multi_required
    def get(self) -> Any:
        """Get participants."""
        args = get_parser.parse_args(strict=True)
        participants = UserAccess(g.current_user).accessible_participants()
        id_participant = args["id_participant"] or args["id"]
        participant_uuid = args["participant_uuid"] or args["uuid"]
        filters = {
            "id_participant": id_participant,
            "participant_uuid": participant_uuid,
            "id_project": args["id_project"],
            "id_participant_group": args["id_group"],
            "participant_name": args["name"],
        }
        for field, value in filters.items():
            if value:
                participants = [p for p in participants if getattr(p, field) == value]
        if args["enabled"] is not None:
            participants = [p for p in participants if p.participant_enabled == args["enabled"]]
        return [participant.to_json(minimal=bool(args["list"])) for participant in participants]

    @ns.doc(description='Create (id_participant 0) or update a participant: {"participant": {...}}')
    @auth.user_multi_required
    def post(self) -> Any:
        """Create / update a participant."""
        access = UserAccess(g.current_user)
        data = json_object("participant")
        if not isinstance(data, dict):
            raise ClientError("Invalid participant: expected an object")
        data = dict(data)
        id_participant = require_int(data, "id_participant")
        projects = set(access.accessible_projects_ids())
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
        return [participant.to_json()]

    @ns.doc(
        description="Delete a participant (project admin). Publishes the participant DB_DELETE event.",
        responses={200: "Success", 400: "Unknown participant, or it still has sessions", 403: "Not project admin"},
    )
    @ns.expect(delete_parser)
    @auth.user_multi_required
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
