"""/api/user/services/projects: service <-> project links.

Writes need site admin on each project's site (superadmin for the {"service": ...} form), and a project can
only be linked to a service already linked to the project's site (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceSite import TeraServiceSite

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.links import LinkForms, require_some_argument, with_names
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.api.user.service_links import (
    Listed,
    check_exists,
    requested_links,
    roles_json,
    service_fields,
    with_candidates,
)
from teraserver.user_access import UserAccess

KIND = LinkForms("service", "services", "project", TeraServiceProject)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_project", type=int, location="args", help="Project ID to query associated services")
get_parser.add_argument("id_service", type=int, location="args", help="Service ID to query associated projects")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")
get_parser.add_argument(
    "with_projects", type=inputs.boolean, location="args", help="With id_service: also unlinked projects"
)
get_parser.add_argument(
    "with_services", type=inputs.boolean, location="args", help="With id_project: also unlinked services"
)
get_parser.add_argument("with_roles", type=inputs.boolean, location="args", help="Also the roles of each service")
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Also the site of each project")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Service-project link ID to delete")


def links_of_project(access: UserAccess, id_project: int, with_services: bool) -> list[Listed]:
    """The project's links to accessible services; with `with_services`, as upstream, also each service of the
    project's site not linked yet (those the project could be linked to), accessible or not."""
    if id_project not in access.accessible_projects_ids():
        return []
    services = access.accessible_services_ids()
    links = [
        Listed(link.id_service_project, link.id_service, link.id_project)
        for link in TeraServiceProject.get_services_for_project(id_project)
        if link.id_service in services
    ]
    if with_services:
        project = TeraProject.get_project_by_id(id_project)
        site_services = [link.id_service for link in TeraServiceSite.get_services_for_site(project.id_site)]
        links = with_candidates(links, site_services, candidate_is_service=True)
    return links


def links_of_service(access: UserAccess, id_service: int, with_projects: bool) -> list[Listed]:
    """The service's links to accessible projects; with `with_projects` also each accessible project not linked."""
    if id_service not in access.accessible_services_ids():
        return []
    projects = access.accessible_projects_ids()
    links = [
        Listed(link.id_service_project, link.id_service, link.id_project)
        for link in TeraServiceProject.get_projects_for_service(id_service)
        if link.id_project in projects
    ]
    if with_projects:
        links = with_candidates(links, projects, candidate_is_service=False)
    return links


def listed_json(listed: Listed, args: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id_service_project": listed.id_link,
        "id_service": listed.id_service,
        "id_project": listed.id_target,
    }
    if with_names(args):
        project = TeraProject.get_project_by_id(listed.id_target) if listed.id_target is not None else None
        data.update(service_fields(listed.id_service), project_name=project.project_name if project else None)
        if args["with_sites"] and project is not None:
            data.update(id_site=project.id_site, site_name=project.project_site.site_name)
    if args["with_roles"]:
        data["service_roles"] = roles_json(listed.id_service)
    return data


def check_can_link(access: UserAccess, id_service: int, id_project: int) -> None:
    check_exists(id_service, TeraProject, "id_project", id_project)
    project = TeraProject.get_project_by_id(id_project)
    if access.site_role(project.id_site) != "admin":
        raise forbidden("Access denied")
    if TeraServiceSite.get_service_site_for_service_site(site_id=project.id_site, service_id=id_service) is None:
        raise forbidden("Service not associated to project site")


class UserQueryServiceProjects(UserResource):
    @ns.doc(description="Service - project links of a project (id_project) or a service (id_service).")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get service - project links."""
        args = get_parser.parse_args(strict=True)
        require_some_argument(args)
        access = UserAccess(g.current_user)
        if args["id_project"]:
            listed = links_of_project(access, args["id_project"], bool(args["with_services"]))
            listed.sort(key=lambda item: service_fields(item.id_service)["service_name"] or "")
        elif args["id_service"]:
            listed = links_of_service(access, args["id_service"], bool(args["with_projects"]))
            listed.sort(key=lambda item: TeraProject.get_project_by_id(item.id_target).project_name)
        else:
            listed = []
        return [listed_json(item, args) for item in listed]

    @ns.doc(description="Create / replace service - project links (site admin of each project's site).")
    def post(self) -> Any:
        """Create / update service - project links."""
        access = UserAccess(g.current_user)
        to_add, to_delete, form = requested_links(KIND)
        if form == "service" and not access.superadmin:
            raise forbidden()
        for id_service, id_project in to_delete:
            check_exists(id_service, TeraProject, "id_project", id_project)
            if access.site_role(TeraProject.get_project_by_id(id_project).id_site) != "admin":
                raise forbidden("Access denied")
        for link in to_add:
            check_can_link(access, link["id_service"], link["id_project"])
        with database_write("service - project link"):
            for id_service, id_project in to_delete:
                TeraServiceProject.delete_with_ids(service_id=id_service, project_id=id_project)
            for link in to_add:
                existing = TeraServiceProject.get_service_project_for_service_project(
                    link["id_project"], link["id_service"]
                )
                if existing is None:
                    new_link = TeraServiceProject()
                    new_link.id_service = link["id_service"]
                    new_link.id_project = link["id_project"]
                    # Soft-insert models may answer with an earlier (soft-deleted) row brought back instead.
                    existing = TeraServiceProject.insert(new_link) or new_link
                link["id_service_project"] = existing.id_service_project
        return to_add

    @ns.doc(description="Delete a service - project link by its own id (site admin of the project's site).")
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a service - project link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraServiceProject.get_service_project_by_id(args["id"])
        if link is None:
            raise ClientError("Not found")
        if link.service_project_project.id_site not in UserAccess(g.current_user).admin_sites_ids():
            raise forbidden("Operation not completed")
        with database_write("service - project link deletion"):
            TeraServiceProject.delete(id_todel=args["id"])
        return "", 200
