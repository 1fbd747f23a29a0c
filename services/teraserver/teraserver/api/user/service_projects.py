"""/api/user/services/projects: service <-> project links.

Writes need site admin on each project's site (superadmin for the {"service": ...} form), and a project can
only be linked to a service already linked to the project's site (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceSite import TeraServiceSite

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.links import LinkForms
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.api.user.service_links import check_exists, requested_links, roles_json
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


def link_json(
    id_link: int | None, service: TeraService, project: TeraProject, *, minimal: bool, with_sites: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id_service_project": id_link,
        "id_service": service.id_service,
        "id_project": project.id_project,
    }
    if not minimal:
        data.update(service_name=service.service_name, project_name=project.project_name)
    if with_sites:
        data.update(id_site=project.id_site, site_name=project.project_site.site_name)
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
        access = UserAccess(g.current_user)
        options = {"minimal": bool(args["list"]), "with_sites": bool(args["with_sites"])}
        result: list[dict[str, Any]] = []
        if args["id_project"]:
            if args["id_project"] in access.accessible_projects_ids():
                project = TeraProject.get_project_by_id(args["id_project"])
                linked = {lk.id_service: lk for lk in TeraServiceProject.get_services_for_project(project.id_project)}
                services = access.accessible_services()
                if args["with_services"]:
                    # Only services linked to the project's site can be linked to the project.
                    site_services = {lk.id_service for lk in TeraServiceSite.get_services_for_site(project.id_site)}
                    services = [s for s in services if s.id_service in site_services or s.id_service in linked]
                else:
                    services = [s for s in services if s.id_service in linked]
                for service in services:
                    link = linked.get(service.id_service)
                    result.append(link_json(link and link.id_service_project, service, project, **options))
        elif args["id_service"]:
            if args["id_service"] in access.accessible_services_ids():
                service = TeraService.get_service_by_id(args["id_service"])
                linked = {lk.id_project: lk for lk in TeraServiceProject.get_projects_for_service(service.id_service)}
                projects = access.accessible_projects()
                if not args["with_projects"]:
                    projects = [p for p in projects if p.id_project in linked]
                for project in projects:
                    link = linked.get(project.id_project)
                    result.append(link_json(link and link.id_service_project, service, project, **options))
        else:
            raise ClientError("Missing arguments")
        if args["with_roles"]:
            for item in result:
                item["service_roles"] = roles_json(item["id_service"])
        return result

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
