"""/api/user/testtypes: GET test types, POST create/update, DELETE (upstream's UserQueryTestTypes rules).

Upstream's rules, in our words (access helpers: teraserver.api.user.access_extras):

* GET selectors, first one given wins: id_test_type (404 "Test type not found" when the type does not exist or
  its service is not accessible), test_type_key and test_type_uuid (404 when no such type; a type whose service
  is not accessible gives an empty list), id_project (403 unless the project is accessible: the project's links
  to accessible types), id_site (403 unless the site is accessible: the site's links to types of accessible
  services), else every accessible test type. `list` gives the minimal form; `with_only_token` answers only
  {test_type_uuid, access_token}; `with_urls` adds the access token (30 min, signed with the service token key,
  `can_edit` when the user administers one of the type's projects) and the service URLs of the type.
* POST {"test_type": {...}}: id_test_type 0 creates (a non-superadmin must give `test_type_projects`), > 0
  updates. The type's service (posted id_service, else the existing type's) must be one the user administers in
  upstream's sense (an accessible service with an "admin" role), else 403. `test_type_sites` must all be sites
  the user administers (403), and for a non-superadmin posting id_service, sites already linked to that service
  (403). `test_type_projects` must all be projects the user administers (403). On update, posted links are
  added, and links to the user's own (administered) sites or projects that are not posted are removed; others
  stay. A project newly linked to an existing type must be in one of the type's sites when the sites are not
  posted too (400). New links also link the type's service to the site or project (the models do it).
  Unknown fields are ignored on create and refused on update (400; upstream: 500). Answers [type].
* DELETE ?id=: the user must administer the type's service (same sense as above, 403); a type that still has
  tests is refused (400; upstream answers 500).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraTestTypeProject import TeraTestTypeProject
from opentera.db.models.TeraTestTypeSite import TeraTestTypeSite
from opentera.redis.RedisVars import RedisVars

from teraserver import context
from teraserver.api.common import (
    ClientError,
    database_write,
    external_server_and_port,
    forbidden,
    json_dict,
    require_int,
)
from teraserver.api.resources import UserResource
from teraserver.api.user.access_extras import (
    accessible_test_types,
    accessible_test_types_ids,
    services_with_admin_role_ids,
    visible_test_type,
)
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

TOKEN_LIFETIME = 1800  # seconds, as upstream

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_test_type", type=int, location="args", help="ID of the test type to query")
get_parser.add_argument("test_type_uuid", type=str, location="args", help="UUID of the test type to query")
get_parser.add_argument("test_type_key", type=str, location="args", help="Key of the test type to query")
get_parser.add_argument("id_project", type=int, location="args", help="Test types of that project")
get_parser.add_argument("id_site", type=int, location="args", help="Test types of that site")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")
get_parser.add_argument("with_urls", type=inputs.boolean, location="args", help="Add access token and URLs")
get_parser.add_argument("with_only_token", type=inputs.boolean, location="args", help="Only uuid and access token")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Test type ID to delete")


# --- the queries shared with /testtypes/projects and /testtypes/sites ---------------------------------------------
def type_name(link: Any) -> str:
    test_type = TeraTestType.get_test_type_by_id(link.id_test_type) if link.id_test_type else None
    return (test_type.test_type_name or "") if test_type is not None else ""


def project_links_of_project(
    access: UserAccess, id_project: int, with_unlinked: bool = False
) -> list[TeraTestTypeProject]:
    """A project's links to accessible types of accessible services; with_unlinked adds an unsaved link (no
    id_project) for each other type of the project's site whose service is accessible. By type name."""
    services = list(access.accessible_services_ids())
    types = accessible_test_types_ids(access)
    links = (
        TeraTestTypeProject.query.filter(TeraTestTypeProject.id_project == id_project)
        .filter(TeraTestTypeProject.id_test_type.in_(types))
        .join(TeraTestType, TeraTestType.id_test_type == TeraTestTypeProject.id_test_type)
        .filter(TeraTestType.id_service.in_(services))
        .all()
    )
    if with_unlinked:
        project = TeraProject.get_project_by_id(id_project)
        site_types = (
            TeraTestType.query.filter(TeraTestType.id_service.in_(services))
            .join(TeraTestTypeSite, TeraTestTypeSite.id_test_type == TeraTestType.id_test_type)
            .filter(TeraTestTypeSite.id_site == project.id_site)
            .all()
        )
        linked = {link.id_test_type for link in links}
        for id_type in sorted({t.id_test_type for t in site_types} - linked):
            link = TeraTestTypeProject()
            link.id_test_type = id_type
            link.id_project = None
            links.append(link)
    return sorted(links, key=type_name)


def site_links_of_site(access: UserAccess, id_site: int, with_unlinked: bool = False) -> list[TeraTestTypeSite]:
    """A site's links to types of accessible services; with_unlinked adds an unsaved link (no id_site) for each
    other type (a superadmin: every type; others: types of their sites with an accessible service). By name."""
    services = list(access.accessible_services_ids())
    links = (
        TeraTestTypeSite.query.filter(TeraTestTypeSite.id_site == id_site)
        .join(TeraTestType, TeraTestType.id_test_type == TeraTestTypeSite.id_test_type)
        .filter(TeraTestType.id_service.in_(services))
        .all()
    )
    if with_unlinked:
        if access.superadmin:
            others = {t.id_test_type for t in TeraTestType.query.all()}
        else:
            others = {
                t.id_test_type
                for t in TeraTestType.query.join(
                    TeraTestTypeSite, TeraTestTypeSite.id_test_type == TeraTestType.id_test_type
                )
                .filter(TeraTestTypeSite.id_site.in_(access.accessible_sites_ids()))
                .filter(TeraTestType.id_service.in_(services))
                .all()
            }
        for id_type in sorted(others - {link.id_test_type for link in links}):
            link = TeraTestTypeSite()
            link.id_test_type = id_type
            link.id_site = None
            links.append(link)
    return sorted(links, key=type_name)


def _is_project_admin_of_type(access: UserAccess, test_type: TeraTestType) -> bool:
    projects = {link.id_project for link in TeraTestTypeProject.get_projects_for_test_type(test_type.id_test_type)}
    return bool(projects & set(access.accessible_projects_ids(admin_only=True)))


def selected_types(access: UserAccess, args: dict[str, Any]) -> list[TeraTestType]:
    if args["id_test_type"]:
        test_type = visible_test_type(access, args["id_test_type"])
        if test_type is None:
            raise ClientError("Test type not found", 404)
        return [test_type]
    for arg, finder in (
        ("test_type_key", TeraTestType.get_test_type_by_key),
        ("test_type_uuid", TeraTestType.get_test_type_by_uuid),
    ):
        if args[arg]:
            found = finder(args[arg])
            if found is None:
                raise ClientError("Test type not found", 404)
            visible = visible_test_type(access, found.id_test_type)
            return [visible] if visible is not None else []
    if args["id_project"]:
        if args["id_project"] not in access.accessible_projects_ids():
            raise forbidden()
        return [link.test_type_project_test_type for link in project_links_of_project(access, args["id_project"])]
    if args["id_site"]:
        if args["id_site"] not in access.accessible_sites_ids():
            raise forbidden()
        return [link.test_type_site_test_type for link in site_links_of_site(access, args["id_site"])]
    return accessible_test_types(access)


def types_json(access: UserAccess, types: list[TeraTestType], args: dict[str, Any]) -> list[dict[str, Any]]:
    tokens_needed = args["with_urls"] or args["with_only_token"]
    key = context.redis_client().get(RedisVars.RedisVar_ServiceTokenAPIKey) if tokens_needed else None
    server, port = external_server_and_port()
    result = []
    for test_type in types:
        if args["with_only_token"]:
            item: dict[str, Any] = {"test_type_uuid": test_type.test_type_uuid}
        else:
            item = test_type.to_json(minimal=bool(args["list"]))
        if tokens_needed:
            item["access_token"] = TeraTestType.get_access_token(
                test_type_uuids=test_type.test_type_uuid,
                token_key=key,
                requester_uuid=access.user.user_uuid,
                can_edit=_is_project_admin_of_type(access, test_type),
                expiration=TOKEN_LIFETIME,
            )
        if args["with_urls"]:
            item.update(test_type.get_service_urls(server_url=server, server_port=port))
        result.append(item)
    return result


# --- POST -------------------------------------------------------------------------------------------------------
def _ids(data: dict[str, Any], field: str, id_field: str) -> list[int]:
    items = data.pop(field)
    items = items if isinstance(items, list) else [items]
    if not all(isinstance(item, dict) for item in items):
        raise ClientError(f"Invalid {field}: expected a list of objects")
    return [require_int(item, id_field) for item in items]


def _check_sites(access: UserAccess, data: dict[str, Any], site_ids: list[int]) -> None:
    if set(site_ids) - set(access.admin_sites_ids()):
        raise forbidden("No site admin access for at least one site in the list")
    if not access.superadmin and "id_service" in data:
        for id_site in site_ids:
            if (
                TeraServiceSite.get_service_site_for_service_site(site_id=id_site, service_id=data["id_service"])
                is None
            ):
                raise forbidden("At least one site isn't associated with the service of that test type")


def _save_type(data: dict[str, Any], existing: TeraTestType | None) -> int:
    if existing is None:
        if "id_service" in data and TeraService.get_service_by_id(data["id_service"]) is None:
            raise ClientError(f"Invalid id_service: {data['id_service']}")
        with database_write(
            "test type",
            message="Cannot create test type: missing or invalid fields (test_type_name and id_service needed)",
        ):
            test_type = TeraTestType()
            test_type.from_json(data)  # unknown fields are ignored, as upstream
            TeraTestType.insert(test_type)
        return test_type.id_test_type
    unknown = sorted(set(data) - set(TeraTestType.clean_values(data)))
    if unknown:
        raise ClientError(f"Unknown test_type fields: {', '.join(unknown)}")
    if "id_service" in data and TeraService.get_service_by_id(data["id_service"]) is None:
        raise ClientError(f"Invalid id_service: {data['id_service']}")
    with database_write(
        "test type", message="Cannot update test type: invalid values (a test_type_key must be unique)"
    ):
        TeraTestType.update(existing.id_test_type, data)
    return existing.id_test_type


def _apply_sites(access: UserAccess, test_type: TeraTestType, site_ids: list[int], is_new: bool) -> None:
    current = [site.id_site for site in test_type.test_type_sites]
    if is_new:
        wanted = site_ids
    else:
        removable = set(access.admin_sites_ids()) - set(site_ids)
        wanted = [i for i in current if i not in removable] + [i for i in site_ids if i not in current]
    test_type.test_type_sites = [TeraSite.get_site_by_id(id_site) for id_site in dict.fromkeys(wanted)]
    test_type.commit()
    for link in test_type.test_type_test_type_sites:
        TeraTestTypeSite.check_integrity(link)  # links the type's service to new sites


def _apply_projects(access: UserAccess, test_type: TeraTestType, project_ids: list[int], is_new: bool) -> None:
    current = [project.id_project for project in test_type.test_type_projects]
    if is_new:
        wanted = project_ids
    else:
        removable = set(access.accessible_projects_ids(admin_only=True)) - set(project_ids)
        wanted = [i for i in current if i not in removable] + [i for i in project_ids if i not in current]
    test_type.test_type_projects = [TeraProject.get_project_by_id(p) for p in dict.fromkeys(wanted)]
    test_type.commit()
    for link in test_type.test_type_test_type_projects:
        TeraTestTypeProject.check_integrity(link)  # links the type's service to new projects


class UserQueryTestTypes(UserResource):
    @ns.doc(
        description="Test types: one (id_test_type, test_type_key, test_type_uuid), of a project (id_project) or "
        "site (id_site), or all accessible ones.",
        responses={200: "Success - a list", 400: "Unknown parameter", 403: "Project or site forbidden", 404: "No type"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get test types."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        return types_json(access, selected_types(access, args), args)

    @ns.doc(
        description='Create (id_test_type 0) or update a test type: {"test_type": {..., [test_type_sites: '
        "[{id_site}]], [test_type_projects: [{id_project}]]}}",
        responses={200: "Success - [test type]", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update a test type."""
        access = UserAccess(g.current_user)
        data = dict(json_dict("test_type"))
        if "id_test_type" not in data:
            raise ClientError("Missing id_test_type")
        id_type = require_int(data, "id_test_type")
        existing = None
        if id_type > 0:
            existing = TeraTestType.get_test_type_by_id(id_type)
        elif "test_type_projects" not in data and not access.superadmin:
            raise ClientError("Missing project(s) to associate that test type to")
        if "id_service" in data:
            require_int(data, "id_service")
        service_id = data["id_service"] if "id_service" in data else getattr(existing, "id_service", None)
        if service_id not in services_with_admin_role_ids(access):
            raise forbidden()
        if id_type > 0 and existing is None:
            raise ClientError(f"Invalid id_test_type: {id_type}")

        site_ids = _ids(data, "test_type_sites", "id_site") if "test_type_sites" in data else None
        if site_ids is not None:
            _check_sites(access, data, site_ids)
        project_ids = _ids(data, "test_type_projects", "id_project") if "test_type_projects" in data else None
        if project_ids is not None:
            # Unknown ids are not among the administered ones either: 403, as upstream.
            if set(project_ids) - set(access.accessible_projects_ids(admin_only=True)):
                raise forbidden("No project admin access for at a least one project in the list")
            if existing is not None and site_ids is None:
                type_sites = {site.id_site for site in existing.test_type_sites}
                current = {project.id_project for project in existing.test_type_projects}
                for id_project in project_ids:
                    if (
                        id_project not in current
                        and TeraProject.get_project_by_id(id_project).id_site not in type_sites
                    ):
                        raise ClientError("Session type not associated to project site")

        id_type = _save_type(data, existing)
        test_type = TeraTestType.get_test_type_by_id(id_type)
        with database_write("test type", message="Cannot link test type to those sites or projects"):
            if site_ids is not None:
                _apply_sites(access, test_type, site_ids, existing is None)
            if project_ids is not None:
                _apply_projects(access, test_type, project_ids, existing is None)
        return [TeraTestType.get_test_type_by_id(id_type).to_json()]

    @ns.doc(
        description="Delete a test type (admin of its service; no test of that type may exist).",
        responses={200: "Success", 400: "Not found or tests of that type exist", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a test type."""
        args = delete_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        test_type = TeraTestType.get_test_type_by_id(args["id"])
        if test_type is None:
            raise ClientError("Not found")
        if test_type.id_service not in services_with_admin_role_ids(access):
            raise forbidden("Unable to delete - not admin in the related test type service")
        with database_write(
            "test type", message="Can't delete test type: please delete all tests of that type before deleting."
        ):
            TeraTestType.delete(id_todel=args["id"])
        return "", 200
