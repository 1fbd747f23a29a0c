"""/api/service/sessiontypes and /api/service/sessiontypes/projects."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource, inputs, reqparse
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeProject import TeraSessionTypeProject
from opentera.db.models.TeraSessionTypeSite import TeraSessionTypeSite

from teraserver.api.service import bodies
from teraserver.api.service.common import (
    Answer,
    ClientError,
    client_errors,
    json_body,
    json_object,
    required_int,
    service_access,
)
from teraserver.api.service.namespace import ns
from teraserver.api.service.type_projects import TypeProjectLinks
from teraserver.service_auth import current_service, service_token_required

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_site", type=int, location="args", help="Session types used in that site")
get_parser.add_argument("id_project", type=int, location="args", help="Session types used in that project")
get_parser.add_argument("id_participant", type=int, location="args", help="Session types of that participant")
get_parser.add_argument("id_session_type", type=int, location="args", help="ID of the session type")

projects_get_parser = reqparse.RequestParser()
projects_get_parser.add_argument("id_project", type=int, location="args", help="Associations of that project")
projects_get_parser.add_argument("id_session_type", type=int, location="args", help="Associations of that type")
projects_get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Add id_site, site_name")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the association")

SESSION_TYPE_PROJECTS = TypeProjectLinks(
    link_model=TeraSessionTypeProject,
    site_link_model=TeraSessionTypeSite,
    type_model=TeraSessionType,
    type_id="id_session_type",
    type_name="session_type_name",
    link_id="id_session_type_project",
    type_key="session_type",
    project_types_key="sessions_types",
    links_key="sessions_types_projects",
    accessible_types=lambda access: access.session_types_ids,
)


def session_types_in_projects(projects_ids: list[int]) -> list[TeraSessionType]:
    access = service_access()
    linked = TeraSessionTypeProject.query.filter(TeraSessionTypeProject.id_project.in_(projects_ids))
    ids = {link.id_session_type for link in linked.all()}
    return access.session_types_query().filter(TeraSessionType.id_session_type.in_(ids)).all()


@ns.route("/sessiontypes")
class ServiceQuerySessionTypes(Resource):
    @ns.doc(
        description="Session types of the calling service (primary or secondary), optionally filtered.",
        responses={200: "Success", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    @service_token_required
    @client_errors
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get session types."""
        args = get_parser.parse_args()
        access = service_access()
        if args["id_session_type"] is not None:
            if args["id_session_type"] not in access.session_types_ids:
                return "Forbidden", 403
            types = [TeraSessionType.get_session_type_by_id(args["id_session_type"])]
        elif args["id_project"] is not None:
            if args["id_project"] not in access.projects_ids:
                return "Forbidden", 403
            types = session_types_in_projects([args["id_project"]])
        elif args["id_participant"] is not None:
            if args["id_participant"] not in access.participants_ids:
                return "Forbidden", 403
            participant = TeraParticipant.get_participant_by_id(args["id_participant"])
            types = session_types_in_projects([participant.id_project])
        elif args["id_site"] is not None:
            if args["id_site"] not in access.sites_ids:
                return "Forbidden", 403
            linked = TeraSessionTypeSite.query.filter(TeraSessionTypeSite.id_site == args["id_site"]).all()
            ids = {link.id_session_type for link in linked}
            types = access.session_types_query().filter(TeraSessionType.id_session_type.in_(ids)).all()
        else:
            types = access.session_types_query().all()
        return [session_type.to_json() for session_type in sorted(types, key=lambda t: t.session_type_name)]

    @ns.expect(bodies.SESSION_TYPE)
    @ns.doc(
        description="Create (id_session_type 0, owned by the caller) or update an own session type, and "
        "link it to sites (id_sites) and projects (id_projects, or the projects of id_participants).",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    @service_token_required
    @client_errors
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a session type."""
        body = json_object("service_session_type")
        values = body.get("session_type")
        if not isinstance(values, dict):
            raise ClientError("Missing session_type")
        id_type = required_int(values, "id_session_type")
        access = service_access()
        sites = _int_list(body, "id_sites")
        projects = _int_list(body, "id_projects")
        for id_participant in _int_list(body, "id_participants"):
            if id_participant not in access.participants_ids:
                raise ClientError("Forbidden", 403)
            projects.append(TeraParticipant.get_participant_by_id(id_participant).id_project)
        if any(site not in access.sites_ids for site in sites) or any(p not in access.projects_ids for p in projects):
            raise ClientError("Forbidden", 403)
        values["id_service"] = current_service().id_service
        if id_type == 0:
            values.pop("id_session_type")
            session_type = TeraSessionType()
            session_type.from_json(values)
            TeraSessionType.insert(session_type)
            id_type = session_type.id_session_type
        else:
            existing = TeraSessionType.get_session_type_by_id(id_type)
            if existing is None or existing.id_service != current_service().id_service:
                raise ClientError("Forbidden", 403)
            TeraSessionType.update(id_type, values)
        for id_site in sites:
            if TeraSessionTypeSite.get_session_type_site_for_session_type_and_site(id_site, id_type) is None:
                link = TeraSessionTypeSite()
                link.id_session_type, link.id_site = id_type, id_site
                TeraSessionTypeSite.insert(link)
        for id_project in dict.fromkeys(projects):
            SESSION_TYPE_PROJECTS.link(id_type, id_project)
        return TeraSessionType.get_session_type_by_id(id_type).to_json()


def _int_list(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ClientError(f"Invalid {name}: a list of integers is expected")
    return list(value)


@ns.route("/sessiontypes/projects")
class ServiceQuerySessionTypeProjects(Resource):
    @ns.doc(
        description="Session type - project associations (list).",
        responses={200: "Success", 400: "Missing parameter", 403: "Forbidden"},
    )
    @ns.expect(projects_get_parser)
    @service_token_required
    @client_errors
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get session type - project associations."""
        return SESSION_TYPE_PROJECTS.get(projects_get_parser.parse_args())

    @ns.expect(bodies.SESSION_TYPE_PROJECTS)
    @ns.doc(
        description="Replace a type's projects ({session_type: {id_session_type, projects}}), a project's "
        "types ({project: {id_project, sessions_types}}) or add ({sessions_types_projects}).",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    @service_token_required
    @client_errors
    def post(self) -> Answer | list[dict[str, Any]]:
        """Set session type - project associations."""
        body = json_body()
        return SESSION_TYPE_PROJECTS.post(body)

    @ns.doc(description="Delete an association.", responses={200: "Success", 400: "Bad id", 403: "Forbidden"})
    @ns.expect(delete_parser)
    @service_token_required
    @client_errors
    def delete(self) -> Answer:
        """Delete a session type - project association."""
        SESSION_TYPE_PROJECTS.delete(delete_parser.parse_args()["id"])
        return "", 200
