"""/api/user/usergroups: GET accessible user groups; POST create/update with project and site roles.

Roles are OpenTeraServer service roles bound to a project or site: {"user_group": {id_user_group,
user_group_name, user_group_projects_access: [{id_project, project_access_role: "admin"|"user"|null}],
user_group_sites_access: [{id_site, site_access_role}]}} (null removes the group's role there).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import Resource, inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver import auth
from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.user.namespace import ns
from teraserver.api.user.rows import save_row
from teraserver.user_access import UserAccess

ROLE_NAMES = ("admin", "user")

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user_group", type=int, location="args", help="ID of the user group to query")
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


@ns.route("/usergroups")
class UserQueryUserGroups(Resource):
    @ns.doc(description="Accessible user groups")
    @ns.expect(get_parser)
    @auth.user_multi_required
    def get(self) -> Any:
        """Get user groups."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        groups = access.accessible_usergroups()
        if args["id_user_group"]:
            groups = [group for group in groups if group.id_user_group == args["id_user_group"]]
        if args["id_project"]:
            groups = [g_ for g_ in groups if args["id_project"] in {p.id_project for p in g_.get_projects_roles()}]
        if args["id_site"]:
            groups = [g_ for g_ in groups if args["id_site"] in {s.id_site for s in g_.get_sites_roles()}]
        return [group.to_json(minimal=bool(args["list"])) for group in groups]

    @ns.doc(description="Create / update a user group and its project / site roles")
    @auth.user_multi_required
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

        for id_project, _ in projects:
            project = TeraProject.get_project_by_id(id_project)
            if project is None:
                raise ClientError(f"Invalid id_project: {id_project}")
            if access.project_role(id_project) != "admin":
                raise forbidden()
        for id_site, _ in sites:
            if access.site_role(id_site) != "admin":
                raise forbidden()
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
