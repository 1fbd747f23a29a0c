"""GET /api/projects and /api/participants: what the user can see, as TeraServer decides it."""

from __future__ import annotations

from flask_restx import Namespace, Resource, reqparse
from opentera.services.ServiceAccessManager import current_user_client
from service_kit import access
from service_kit.auth import user_required
from service_kit.web import answers_access_errors, current_service

ns = Namespace("projects", path="/", description="Projects and participants visible to you and this service")

participants_parser = reqparse.RequestParser()
participants_parser.add_argument("id_project", type=int, required=True, location="args", help="Project id")


@ns.route("/projects")
class Projects(Resource):
    @ns.doc(responses={200: "Projects you can see that this service is linked to", 401: "No token", 403: "No access"})
    @user_required()
    @answers_access_errors
    def get(self) -> list:
        return [
            {
                "id_project": project["id_project"],
                "project_name": project["project_name"],
                "id_site": project["id_site"],
                "project_role": project.get("project_role"),
            }
            for project in access.visible_projects(current_service(), current_user_client)
        ]


@ns.route("/participants")
class Participants(Resource):
    @ns.doc(responses={200: "Participants of the project", 400: "id_project missing", 403: "No access"})
    @ns.expect(participants_parser)
    @user_required()
    @answers_access_errors
    def get(self) -> list:
        args = participants_parser.parse_args()
        participants = access.project_participants(current_service(), current_user_client, args["id_project"])
        return [
            {
                "participant_uuid": participant["participant_uuid"],
                "participant_name": participant["participant_name"],
                "id_project": participant.get("id_project", args["id_project"]),
            }
            for participant in participants
        ]
