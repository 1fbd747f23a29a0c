"""/api/service/sessiontypes and /api/service/sessiontypes/projects."""

from __future__ import annotations

from typing import Any

from flask_restx import inputs, reqparse
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeProject import TeraSessionTypeProject
from opentera.db.models.TeraSessionTypeSite import TeraSessionTypeSite

from teraserver.api.common import Answer, ClientError, json_body, json_dict, require_int
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.api.service.type_projects import TypeProjectLinks
from teraserver.service_access import service_access
from teraserver.service_auth import current_service

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_site", type=int, location="args", help="Session types used in that site")
get_parser.add_argument("id_project", type=int, location="args", help="Session types used in that project")
get_parser.add_argument("id_participant", type=int, location="args", help="Session types of that participant")
get_parser.add_argument("id_session_type", type=int, location="args", help="ID of the session type")

projects_get_parser = reqparse.RequestParser()
projects_get_parser.add_argument("id_project", type=int, location="args", help="Associations of that project")
projects_get_parser.add_argument("id_session_type", type=int, location="args", help="Associations of that type")
projects_get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Add id_site, site_name")

# What upstream's POST schema allows (additionalProperties: false at both levels).
BODY_FIELDS = {"session_type", "id_sites", "id_projects", "id_participants"}
SESSION_TYPE_FIELDS = {
    "id_session_type",
    "id_service",
    "session_type_name",
    "session_type_online",
    "session_type_config",
    "session_type_color",
    "session_type_category",
}

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


def linked_session_types(link_model: Any, column: str, value: int, relation: str) -> list[TeraSessionType]:
    """Every session type linked to that site or project (any service's), in link order, as upstream."""
    links = link_model.query.filter(getattr(link_model, column) == value).order_by(
        getattr(link_model, link_model.get_primary_key_name())
    )
    return [getattr(link, relation) for link in links.all()]


class ServiceQuerySessionTypes(ServiceResource):
    @ns.doc(
        description="Session types of the calling service (primary or secondary) by name, or every type linked "
        "to an accessible site, project or participant's project.",
        responses={200: "Success (an empty list for what the service cannot access)"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get session types."""
        args = get_parser.parse_args()
        access = service_access()
        # Upstream's precedence (site, project, participant, type); a site, project, participant or type the
        # caller cannot access gives an empty list, not a 403. Through a site, project or participant, every
        # session type linked there is listed, whatever its service.
        types: list[TeraSessionType] = []
        if args["id_site"]:
            if args["id_site"] in access.sites_ids:
                types = linked_session_types(
                    TeraSessionTypeSite, "id_site", args["id_site"], "session_type_site_session_type"
                )
        elif args["id_project"]:
            if args["id_project"] in access.projects_ids:
                types = linked_session_types(
                    TeraSessionTypeProject, "id_project", args["id_project"], "session_type_project_session_type"
                )
        elif args["id_participant"]:
            if args["id_participant"] in access.participants_ids:
                participant = TeraParticipant.get_participant_by_id(args["id_participant"])
                types = linked_session_types(
                    TeraSessionTypeProject, "id_project", participant.id_project, "session_type_project_session_type"
                )
        elif args["id_session_type"]:
            if args["id_session_type"] in access.session_types_ids:
                types = [TeraSessionType.get_session_type_by_id(args["id_session_type"])]
        else:
            types = access.session_types()  # by name, as upstream
        return [session_type.to_json() for session_type in types]

    @ns.expect(bodies.SESSION_TYPE)
    @ns.doc(
        description="Create a session type (id_session_type 0, owned by the caller), or take an accessible one, "
        "and link it to sites (id_sites) and projects (id_projects, or the projects of id_participants). "
        "An existing type's fields are not changed.",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a session type."""
        body = json_dict("service_session_type")
        # Upstream validates the body against a closed JSON schema: unknown fields are refused, on creation too.
        unknown = sorted(set(body) - BODY_FIELDS)
        values = body.get("session_type")
        if not isinstance(values, dict):
            raise ClientError("Missing session_type")
        unknown += sorted(set(values) - SESSION_TYPE_FIELDS)
        if unknown:
            raise ClientError(f"Invalid arguments: unknown fields {', '.join(unknown)}")
        id_type = require_int(values, "id_session_type")
        access = service_access()
        sites = _int_list(body, "id_sites")
        projects = _int_list(body, "id_projects")
        participants = _int_list(body, "id_participants")
        if any(site not in access.sites_ids for site in sites):
            raise ClientError("Service doesn't have access to all listed sites", 403)
        if any(project not in access.projects_ids for project in projects):
            raise ClientError("Service doesn't have access to all listed projects", 403)
        if any(participant not in access.participants_ids for participant in participants):
            raise ClientError("Service doesn't have access to all listed participants", 403)
        projects += [
            TeraParticipant.get_participant_by_id(id_participant).id_project for id_participant in participants
        ]
        if id_type == 0:
            values.pop("id_session_type")
            session_type = TeraSessionType()
            session_type.from_json(values)
            session_type.id_service = current_service().id_service  # as upstream: always the caller
            TeraSessionType.insert(session_type)
            id_type = session_type.id_session_type
        elif id_type not in access.session_types_ids:
            raise ClientError("Service doesn't have access to this session type", 403)
        # As upstream, an existing type's fields are not changed here: only its links are added.
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


class ServiceQuerySessionTypeProjects(ServiceResource):
    @ns.doc(
        description="Session type - project associations (list).",
        responses={200: "Success", 400: "Missing parameter", 403: "Forbidden"},
    )
    @ns.expect(projects_get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get session type - project associations."""
        return SESSION_TYPE_PROJECTS.get(projects_get_parser.parse_args())

    @ns.expect(bodies.SESSION_TYPE_PROJECTS)
    @ns.doc(
        description="Replace a type's projects ({session_type: {id_session_type, projects}}), a project's "
        "types ({project: {id_project, sessions_types}}) or add ({sessions_types_projects}).",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | list[dict[str, Any]]:
        """Set session type - project associations."""
        body = json_body()
        return SESSION_TYPE_PROJECTS.post(body)

    @ns.doc(description="Delete an association.", responses={200: "Success", 400: "Bad id", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a session type - project association."""
        SESSION_TYPE_PROJECTS.delete(delete_parser.parse_args()["id"])
        return "", 200
