"""/api/user/usergroups: GET accessible user groups; POST create/update with project and site roles; DELETE.

Roles are OpenTeraServer service roles bound to a project or site: {"user_group": {id_user_group,
user_group_name, user_group_projects_access: [{id_project, project_access_role: "admin"|"user"|null}],
user_group_sites_access: [{id_site, site_access_role}]}} (null removes the group's role there).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.rows import save_row
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

ROLE_NAMES = ("admin", "user")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="User group ID to delete")

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user_group", type=int, location="args", help="ID of the user group to query")
get_parser.add_argument("id_user", type=int, location="args", help="Groups of that user")
get_parser.add_argument("id_project", type=int, location="args", help="Groups with a role in that project")
get_parser.add_argument("id_site", type=int, location="args", help="Groups with a role in that site")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")


def _access_changes(data: dict[str, Any], scope: str) -> list[tuple[int, str | None]]:
    """[(id_<scope>, role name or None)] from user_group_<scope>s_access."""
    key = f"user_group_{scope}s_access"
    if key not in data:
        return []
    items = data.pop(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ClientError(f"Invalid {key}: expected a list of objects")
    changes = []
    for item in items:
        target = require_int(item, f"id_{scope}")
        role = item.get(f"{scope}_access_role")
        if role is not None and role not in ROLE_NAMES:
            raise ClientError(f"Invalid {scope}_access_role: {role!r} (admin, user or null)")
        changes.append((target, role))
    return changes


def _apply(group: TeraUserGroup, scope: str, target: int, role_name: str | None) -> None:
    server_id = TeraService.get_openteraserver_service().id_service
    where = {"id_project": target} if scope == "project" else {"id_site": target}
    roles = TeraServiceRole.query.filter_by(id_service=server_id, **where).all()
    role_ids = {role.id_service_role: role for role in roles}
    for access in TeraServiceAccess.query.filter_by(id_user_group=group.id_user_group).all():
        if access.id_service_role in role_ids:
            TeraServiceAccess.delete(access.id_service_access)
    if role_name is not None:
        wanted = next((role for role in roles if role.service_role_name == role_name), None)
        if wanted is None:
            raise ClientError(f"Invalid id_{scope}: {target}")
        access = TeraServiceAccess()
        access.id_user_group = group.id_user_group
        access.id_service_role = wanted.id_service_role
        TeraServiceAccess.insert(access)


def _sites_access(access: UserAccess, group: TeraUserGroup) -> list[dict[str, Any]]:
    """The group's roles on the sites the caller sees (an inherited one: from a project role)."""
    mine = set(access.accessible_sites_ids())
    result = []
    for site, role in sorted(group.get_sites_roles().items(), key=lambda item: item[0].site_name or ""):
        if site.id_site not in mine:
            continue
        data = site.to_json()
        data["site_access_role"] = role["site_role"]
        if role["inherited"]:
            data["site_access_inherited"] = True
        result.append(data)
    return result


def _projects_access(access: UserAccess, group: TeraUserGroup) -> list[dict[str, Any]]:
    """The group's roles on the projects the caller sees (an inherited one: from a site admin role)."""
    mine = set(access.accessible_projects_ids())
    result = []
    for project, role in sorted(group.get_projects_roles().items(), key=lambda item: item[0].project_name or ""):
        if project.id_project not in mine:
            continue
        data = project.to_json(ignore_fields=["id_site", "site_name"])
        data["project_access_role"] = role["project_role"]
        if role["inherited"]:
            data["project_access_inherited"] = True
        result.append(data)
    return result


class UserQueryUserGroups(UserResource):
    @ns.doc(description="Accessible user groups")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get user groups."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        if args["id_user_group"]:
            groups = [g_ for g_ in access.accessible_usergroups() if g_.id_user_group == args["id_user_group"]]
        elif args["id_user"]:
            if args["id_user"] not in access.accessible_users_ids():
                return []
            groups = access.usergroups_of_user(args["id_user"])
        elif args["id_site"]:
            groups = [
                g_
                for g_ in access.accessible_usergroups(by_sites=True)
                if args["id_site"] in {site.id_site for site in g_.get_sites_roles()}
            ]
        else:
            groups = access.accessible_usergroups()
        if args["id_project"]:
            groups = [g_ for g_ in groups if args["id_project"] in {p.id_project for p in g_.get_projects_roles()}]
        result = []
        for group in groups:
            data = group.to_json(minimal=bool(args["list"]))
            if not args["list"]:
                data["user_group_sites_access"] = _sites_access(access, group)
                data["user_group_projects_access"] = _projects_access(access, group)
            result.append(data)
        return result

    @ns.doc(description="Create / update a user group and its project / site roles")
    def post(self) -> Any:
        """Create / update a user group."""
        access = UserAccess(g.current_user)
        data = json_object("user_group")
        if not isinstance(data, dict):
            raise ClientError("Invalid user_group: expected an object")
        data = dict(data)
        id_group = require_int(data, "id_user_group")
        projects = _access_changes(data, "project")
        sites = _access_changes(data, "site")
        from opentera.db.models.TeraProject import TeraProject

        # As upstream: only a site admin (of some site) writes user groups, and a group's roles on a project
        # need admin of the project's site (a project admin is not enough).
        if not access.admin_sites_ids():
            raise forbidden()
        for id_project, _ in projects:
            project = TeraProject.get_project_by_id(id_project)
            if project is None:
                raise ClientError(f"Invalid id_project: {id_project}")
            if access.site_role(project.id_site) != "admin":
                raise forbidden("No site admin access for at a least one project in the list")
        for id_site, _ in sites:
            if access.site_role(id_site) != "admin":
                raise forbidden("No site admin access for at a least one site in the list")
        if not access.superadmin:
            if id_group == 0 and not (projects or sites):
                raise forbidden()
            if id_group and id_group not in access.accessible_usergroups_ids(admin_only=True):
                raise forbidden()
        if id_group == 0 and not data.get("user_group_name"):
            raise ClientError("Missing user_group_name")
        group = save_row(TeraUserGroup, data, "id_user_group", "user group")
        with database_write("user group roles"):
            for id_project, role in projects:
                _apply(group, "project", id_project, role)
            for id_site, role in sites:
                _apply(group, "site", id_site, role)
        return [group.to_json()]

    @ns.doc(
        description="Delete a user group: a superadmin, or an admin of a site the group holds a role on",
        responses={200: "Deleted", 400: "Unknown group, or users still in it", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a user group."""
        args = delete_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        group = TeraUserGroup.get_user_group_by_id(args["id"])
        if group is None:
            raise ClientError("Invalid id")
        # As upstream: a group with no role anywhere can only be deleted by a superadmin.
        group_sites = {site.id_site for site in group.get_sites_roles()}
        if not access.superadmin and not group_sites & set(access.admin_sites_ids()):
            raise ClientError("", 403)
        in_use = "Can't delete user group: please delete all users part of that user group before deleting."
        with database_write("user group", in_use=in_use):
            TeraUserGroup.delete(id_todel=args["id"])
        return "", 200
