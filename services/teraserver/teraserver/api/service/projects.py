"""/api/service/projects: projects linked to the calling service; create (auto-linked), update, delete."""

from __future__ import annotations

from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraServiceProject import TeraServiceProject

from teraserver.api.common import Answer, ClientError, json_dict, require_int
from teraserver.api.resources import ServiceResource
from teraserver.api.rows import delete_model
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.service_access import service_access
from teraserver.service_auth import current_service

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_project", type=int, location="args", help="ID of the project to query")
get_parser.add_argument("id_site", type=int, location="args", help="Accessible projects of that site")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the project to delete")


class ServiceQueryProjects(ServiceResource):
    @ns.doc(
        description="Return accessible projects (minimal).",
        responses={200: "Success", 400: "No parameter", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get projects by id or site."""
        args = get_parser.parse_args()
        access = service_access()
        if not args["id_project"] and not args["id_site"]:
            raise ClientError("Missing parameter")
        projects: list[TeraProject] = []
        if args["id_project"]:
            if args["id_project"] not in access.projects_ids:
                raise ClientError("Forbidden", 403)
            projects = [TeraProject.get_project_by_id(args["id_project"])]
        if args["id_site"]:  # as upstream, checked after id_project and answering instead of it
            if args["id_site"] not in access.sites_ids:
                raise ClientError("Forbidden", 403)
            # As upstream: every project of an accessible site, linked to the service or not.
            projects = (
                TeraProject.query.filter(TeraProject.id_site == args["id_site"]).order_by(TeraProject.id_project).all()
            )
        return [project.to_json(minimal=True) for project in projects]

    @ns.expect(bodies.PROJECT)
    @ns.doc(
        description="Create (id_project 0, needs id_site) or update a project.",
        responses={200: "Success", 400: "Bad body", 403: "Site or project not accessible"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a project."""
        values = json_dict("project")
        id_project = require_int(values, "id_project")
        access = service_access()
        if id_project == 0:
            id_site = require_int(values, "id_site")
            if id_site not in access.sites_ids:
                raise ClientError("Forbidden", 403)
            project = TeraProject()
            project.from_json(values)
            TeraProject.insert(project)
            # A project created by a service is linked to it, so the service keeps seeing it.
            link = TeraServiceProject()
            link.id_service = current_service().id_service
            link.id_project = project.id_project
            TeraServiceProject.insert(link)
        else:
            if id_project not in access.projects_ids:
                raise ClientError("Forbidden", 403)
            if "id_site" in values and values["id_site"] not in access.sites_ids:
                raise ClientError("Forbidden", 403)
            TeraProject.update(id_project, values)
            project = TeraProject.get_project_by_id(id_project)
        return project.to_json()

    @ns.doc(description="Delete a project.", responses={200: "Success", 400: "Cannot delete", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a project."""
        id_project = delete_parser.parse_args()["id"]
        if id_project not in service_access().projects_ids:
            raise ClientError("Forbidden", 403)
        delete_model(TeraProject, id_project)
        return "", 200
