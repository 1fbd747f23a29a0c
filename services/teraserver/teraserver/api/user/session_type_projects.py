"""/api/user/sessiontypes/projects: which projects use a session type.

Writing needs project admin of every project touched, and a project can only use a session type already
linked to the project's site (403 otherwise). Linking a service-category type to a project also links its
service to the project (the model does it).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraSessionTypeProject import TeraSessionTypeProject
from opentera.db.models.TeraSessionTypeSite import TeraSessionTypeSite

from teraserver.api.common import ClientError, forbidden
from teraserver.api.links import require_some_argument, with_names
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.api.user.session_type_links import TypeLink
from teraserver.user_access import ADMIN, UserAccess

LINK = TypeLink(TeraSessionTypeProject, "project", TeraProject)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_project", type=int, location="args", help="Session types of that project")
get_parser.add_argument("id_session_type", type=int, location="args", help="Projects of that session type")
get_parser.add_argument(
    "with_projects", type=inputs.boolean, location="args", help="With id_session_type: also projects not linked"
)
get_parser.add_argument(
    "with_session_type", type=inputs.boolean, location="args", help="With id_project: also types not linked"
)
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Also each project's site")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the link itself")


def links_for(access: UserAccess, args: dict[str, Any]) -> list[Any]:
    if args["id_project"]:
        links = access.session_type_projects_of_project(args["id_project"])
        if args["with_session_type"] and args["id_project"] in access.accessible_projects_ids():
            # As upstream: the types the project could use, those of its site (accessible or not).
            project = TeraProject.get_project_by_id(args["id_project"])
            site_types = [
                link.id_session_type for link in TeraSessionTypeSite.get_sessions_types_for_site(project.id_site)
            ]
            links = LINK.with_unlinked_types(links, site_types)
        return LINK.by_type_name(links)
    if args["id_session_type"]:
        id_type = args["id_session_type"]
        if id_type not in access.accessible_session_types_ids():
            return []
        links = access.session_type_projects_of_type(id_type)
        if args["with_projects"]:
            links = LINK.with_unlinked_others(links, access.accessible_projects_ids())
        return LINK.by_other_name(links)
    return []


class UserQuerySessionTypeProjects(UserResource):
    @ns.doc(
        description="Session type - project links of a project (id_project) or a session type (id_session_type).",
        responses={200: "Success - a list", 400: "No id or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get session type - project links."""
        args = get_parser.parse_args(strict=True)
        require_some_argument(args)
        links = links_for(UserAccess(g.current_user), args)
        with_sites = bool(args["with_sites"])
        return [LINK.link_json(link, minimal=not with_names(args), with_sites=with_sites) for link in links]

    @ns.doc(
        description='Link session types and projects: {"session_type": {id_session_type, projects: '
        '[{id_project}]}}, {"project": {id_project, sessiontypes: [{id_session_type}]}} (both replace) or '
        '{"session_type_project": obj|list}.',
        responses={200: "Success - the links", 400: "Bad body", 403: "Not project admin / type not in site"},
    )
    def post(self) -> Any:
        """Create / replace session type - project links."""
        access = UserAccess(g.current_user)
        admin_projects = set(access.accessible_projects_ids(admin_only=True))
        form, target, to_add, to_delete = LINK.requested()
        if form == "session_type":
            if target not in access.accessible_session_types_ids(admin_only=True):
                raise forbidden("Access denied")
            to_delete = [(t, project) for t, project in to_delete if project in admin_projects]
        elif form == "project" and access.project_role(target) != ADMIN:
            raise forbidden("Access denied")
        LINK.check_rows_exist(to_add)
        for link in to_add:
            if link["id_project"] not in admin_projects:
                raise forbidden()
            project = TeraProject.get_project_by_id(link["id_project"])
            site_link = TeraSessionTypeSite.get_session_type_site_for_session_type_and_site(
                site_id=project.id_site, session_type_id=link["id_session_type"]
            )
            if site_link is None:
                raise forbidden("At least one session type is not associated to the site of its project")
        return LINK.apply(to_add, to_delete)

    @ns.doc(
        description="Delete a session type - project link by its own id (admin of the session type).",
        responses={200: "Success", 400: "Not found or still used", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a session type - project link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraSessionTypeProject.get_session_type_project_by_id(args["id"])
        if link is None:
            raise ClientError("Not found")
        if link.id_session_type not in UserAccess(g.current_user).accessible_session_types_ids(admin_only=True):
            raise forbidden("Access denied")
        LINK.delete_by_id(link)
        return "", 200
