"""/api/user/sessiontypes: GET accessible session types, POST create/update, DELETE.

Upstream's rules: a new type needs `session_type_sites` (sites one administers) unless one is superadmin; an
update needs admin access to the type (through a project one administers); `session_type_projects` must be
projects one administers, in the type's sites; a service-category type needs an accessible `id_service`.
Links to sites or projects one does not administer are kept when lists are replaced. DELETE needs project
admin of every project using the type (or of some project when none does).

Difference: GET ?id_project= of a project the user has no role in answers [] (upstream lists the user's session
types linked to it, telling which types a hidden project uses, which its /sessiontypes/projects hides).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSite import TeraSite

from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_fields
from teraserver.api.user.namespace import ns
from teraserver.user_access import ADMIN, UserAccess

SERVICE_CATEGORY = TeraSessionType.SessionCategoryEnum.SERVICE.value

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_session_type", type=int, location="args", help="ID of the session type to query")
get_parser.add_argument("id_project", type=int, location="args", help="Session types of that project")
get_parser.add_argument("id_site", type=int, location="args", help="Session types of that site")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Session type ID to delete")


def selected_types(access: UserAccess, args: dict[str, Any]) -> list[TeraSessionType]:
    if args["id_session_type"]:
        if args["id_session_type"] not in access.accessible_session_types_ids():
            return []
        return [TeraSessionType.get_session_type_by_id(args["id_session_type"])]
    if args["id_project"]:
        return [
            link.session_type_project_session_type
            for link in access.session_type_projects_of_project(args["id_project"])
        ]
    if args["id_site"]:
        if args["id_site"] not in access.accessible_sites_ids():
            raise forbidden()
        return [link.session_type_site_session_type for link in access.session_type_sites_of_site(args["id_site"])]
    return access.accessible_session_types()


def id_list(data: dict[str, Any], field: str, item_field: str) -> list[int]:
    items = data.pop(field)
    items = items if isinstance(items, list) else [items]
    if not all(isinstance(item, dict) for item in items):
        raise ClientError(f"Invalid {field}: expected a list of objects")
    return [require_int(item, item_field) for item in items]


def category_of(data: dict[str, Any], existing: TeraSessionType | None) -> int | None:
    if "session_type_category" in data:
        value = require_int(data, "session_type_category")
        if value not in {category.value for category in TeraSessionType.SessionCategoryEnum}:
            raise ClientError(f"Invalid session_type_category: {value}")
        return value
    return existing.session_type_category if existing is not None else None


def check_service(access: UserAccess, data: dict[str, Any], existing: TeraSessionType | None) -> None:
    if category_of(data, existing) != SERVICE_CATEGORY:
        return
    id_service = data.get("id_service") if "id_service" in data else getattr(existing, "id_service", None)
    if not id_service:
        raise ClientError("Missing id_service for session type of type service")
    if id_service not in access.accessible_services_ids():
        raise forbidden()


def check_sites(access: UserAccess, data: dict[str, Any], site_ids: list[int]) -> None:
    for id_site in site_ids:
        if TeraSite.get_site_by_id(id_site) is None:
            raise ClientError(f"Invalid id_site: {id_site}")
    if set(site_ids) - set(access.admin_sites_ids()):
        raise forbidden("No site admin access for at least one site in the list")
    # A site admin may not bring a service into a site by way of a session type (a superadmin may).
    if not access.superadmin and data.get("session_type_category") == SERVICE_CATEGORY and "id_service" in data:
        for id_site in site_ids:
            if (
                TeraServiceSite.get_service_site_for_service_site(site_id=id_site, service_id=data["id_service"])
                is None
            ):
                raise forbidden("At least one site isn't associated with the service of that session type")


def final_ids(current: list[int], wanted: list[int], manageable: list[int]) -> list[int]:
    """After replacing: the wanted ids, plus current ones the user does not manage (kept untouched)."""
    kept = [row_id for row_id in current if row_id not in wanted and row_id not in manageable]
    return sorted(set(wanted) | set(kept))


def check_projects(access: UserAccess, project_ids: list[int], added: list[int], type_site_ids: list[int]) -> None:
    """Every listed project administered by the user; a newly linked one in one of the type's sites."""
    for id_project in project_ids:
        project = TeraProject.get_project_by_id(id_project)
        if project is None:
            raise ClientError(f"Invalid id_project: {id_project}")
        if access.project_role(id_project) != ADMIN:
            raise forbidden("No project admin access for at least one project in the list")
        if id_project in added and project.id_site not in type_site_ids:
            raise ClientError(f"Session type not associated to project site (id_project {id_project})")


class UserQuerySessionTypes(UserResource):
    @ns.doc(
        description="Session types: one (id_session_type), of a project (id_project) or site (id_site), or all "
        "accessible ones.",
        responses={200: "Success - a list", 400: "Unknown parameter", 401: "Unauthorized", 403: "Site forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get session types."""
        args = get_parser.parse_args(strict=True)
        types = selected_types(UserAccess(g.current_user), args)
        return [session_type.to_json(minimal=bool(args["list"])) for session_type in types]

    @ns.doc(
        description='Create (id_session_type 0) or update a session type: {"session_type": {..., '
        "[session_type_sites: [{id_site}]], [session_type_projects: [{id_project}]]}}",
        responses={200: "Success - [session type]", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update a session type."""
        access = UserAccess(g.current_user)
        data = json_object("session_type")
        if not isinstance(data, dict):
            raise ClientError("Invalid session_type: expected an object")
        data = dict(data)
        id_type = require_int(data, "id_session_type")
        existing = None
        if id_type > 0:
            existing = TeraSessionType.get_session_type_by_id(id_type)
            if existing is None:
                raise ClientError(f"Invalid id_session_type: {id_type}")
            if id_type not in access.accessible_session_types_ids(admin_only=True):
                raise forbidden()
        elif "session_type_sites" not in data and not access.superadmin:
            raise ClientError("Missing site(s) to associate that session type to (session_type_sites)")
        site_ids = id_list(data, "session_type_sites", "id_site") if "session_type_sites" in data else None
        project_ids = id_list(data, "session_type_projects", "id_project") if "session_type_projects" in data else None
        data = check_fields(TeraSessionType, data, "session_type", creating=existing is None)
        check_service(access, data, existing)

        current_sites = [site.id_site for site in existing.session_type_sites] if existing else []
        type_sites = current_sites
        if site_ids is not None:
            check_sites(access, data, site_ids)
            type_sites = final_ids(current_sites, site_ids, access.admin_sites_ids())
        current_projects = [project.id_project for project in existing.session_type_projects] if existing else []
        if project_ids is not None:
            added = [id_project for id_project in project_ids if id_project not in current_projects]
            check_projects(access, project_ids, added, type_sites)

        values = {key: value for key, value in data.items() if key != "id_session_type"}
        with database_write("session type"):
            if existing is None:
                session_type = TeraSessionType()
                session_type.from_json(values)
                TeraSessionType.insert(session_type)
                id_type = session_type.id_session_type
            elif values:
                TeraSessionType.update(id_type, values)
            session_type = TeraSessionType.get_session_type_by_id(id_type)
            if site_ids is not None:
                session_type.session_type_sites = [TeraSite.get_site_by_id(id_site) for id_site in type_sites]
                session_type.commit()
                for link in session_type.session_type_session_type_sites:
                    link.check_integrity(link)  # links the type's service to new sites
            if project_ids is not None:
                admin_projects = access.accessible_projects_ids(admin_only=True)
                projects = final_ids(current_projects, project_ids, admin_projects)
                session_type.session_type_projects = [TeraProject.get_project_by_id(p) for p in projects]
                session_type.commit()
                for link in session_type.session_type_session_type_projects:
                    link.check_integrity(link)  # links the type's service to new projects
        return [TeraSessionType.get_session_type_by_id(id_type).to_json()]

    @ns.doc(
        description="Delete a session type (project admin of every project using it).",
        responses={200: "Success", 400: "Not found or sessions of that type exist", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a session type."""
        args = delete_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        session_type = TeraSessionType.get_session_type_by_id(args["id"])
        if session_type is None:
            raise ClientError("Not found")
        projects = session_type.session_type_projects
        if projects and any(access.project_role(project.id_project) != ADMIN for project in projects):
            raise forbidden("Cannot delete because you are not admin in all projects.")
        if not projects and not access.accessible_projects_ids(admin_only=True):
            raise forbidden("Unable to delete - not admin in at least one project")
        with database_write("session type deletion"):
            TeraSessionType.delete(id_todel=args["id"])
        return "", 200
