"""/api/user/projectaccess: which user groups (and users) hold which role in projects (upstream's rules).

A project role is an OpenTeraServer service role bound to the project, held by a user group through a
t_services_access row; a group admin of a site is admin ("inherited") of every project of that site.

* GET needs one parameter with a true value (400 "Missing arguments"). id_user (a user the caller sees): that
  user's project roles in the caller's projects; id_user_group (a group the caller sees): the group's roles in
  the caller's projects, with_empty adding the caller's other projects with a null role; id_project: the role
  each group the caller sees holds in that project (with_empty: groups without a role too). When several are
  given the last of id_user, id_user_group, id_project wins. `admins` keeps admin roles only (a false value does
  not). Items: the project (or group, for id_project) JSON plus project_access_role and, when inherited,
  project_access_inherited; with_sites adds id_site and site_name. With by_users (not with id_user): one item per
  (user of the group(s) the caller sees, project): {id_user, id_project, user_name, user_enabled,
  project_access_role, project_access_inherited} (+ site). Project lists are sorted by project name (site
  name first with with_sites). Nothing the caller may see: [].
* POST {"project_access": obj|list} with id_user_group, id_project and project_access_role (a role name; ""
  removes the group's role in the project) or, when id_project_role is present, id_service_role (0 removes).
  The caller must be admin of the project (403 "Forbidden"). Answers the saved rows (service access JSON plus
  id_project_access and project_access_role). Deviation: a role given by id_service_role must be an
  OpenTeraServer role of that project (upstream takes any role id); every item is checked before any write.
* DELETE ?id= (a t_services_access id): admin of the role's project (403), 400 when no such row.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver.api.common import ClientError, database_write, forbidden, json_object, object_or_list
from teraserver.api.resources import UserResource
from teraserver.api.user.access_extras import openteraserver_id
from teraserver.api.user.namespace import ns
from teraserver.api.user.user_usergroups import users_of_group
from teraserver.user_access import ADMIN, UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user", type=int, location="args", help="Project roles of that user")
get_parser.add_argument("id_user_group", type=int, location="args", help="Project roles of that user group")
get_parser.add_argument("id_project", type=int, location="args", help="Roles of user groups in that project")
get_parser.add_argument("admins", type=inputs.boolean, location="args", help="Admin roles only")
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Add each project's site")
get_parser.add_argument("by_users", type=inputs.boolean, location="args", help="Roles by users, not by groups")
get_parser.add_argument("with_empty", type=inputs.boolean, location="args", help="Also projects/groups without role")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Project access ID to delete")


def _only_admin(roles: dict[Any, Any], admin_only: bool) -> dict[Any, Any]:
    return {key: role for key, role in roles.items() if not admin_only or role["project_role"] == ADMIN}


def roles_of_user(access: UserAccess, id_user: int, admin_only: bool) -> dict[Any, Any]:
    roles = _only_admin(TeraUser.get_user_by_id(id_user).get_projects_roles(), admin_only)
    mine = set(access.accessible_projects(admin_only))
    return {project: role for project, role in roles.items() if project in mine}


def roles_of_group(access: UserAccess, id_group: int, admin_only: bool, with_empty: bool) -> dict[Any, Any]:
    roles = _only_admin(TeraUserGroup.get_user_group_by_id(id_group).get_projects_roles(), admin_only)
    mine = access.accessible_projects(admin_only)
    result = {project: roles[project] for project in mine if project in roles}
    if with_empty:
        result.update({project: None for project in mine if project not in roles})
    return result


def groups_in_project(access: UserAccess, id_project: int, admin_only: bool, with_empty: bool) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for group in access.accessible_usergroups(admin_only):
        roles = {p.id_project: r for p, r in _only_admin(group.get_projects_roles(), admin_only).items()}
        if id_project in roles:
            result[group] = roles[id_project]
        elif with_empty:
            result[group] = None
    return result


def user_project_role(access: UserAccess, id_user: int, id_project: int) -> dict[str, Any] | None:
    if id_user not in access.accessible_users_ids():
        return None
    roles = TeraUser.get_user_by_id(id_user).get_projects_roles()
    return next((role for project, role in roles.items() if project.id_project == id_project), None)


def _site_fields(project: TeraProject) -> dict[str, Any]:
    return {"id_site": project.id_site, "site_name": project.project_site.site_name}


def access_list(access: UserAccess, args: dict[str, Any]) -> list[dict[str, Any]]:
    found = None
    admin_only = bool(args["admins"])
    if args["id_user"] and args["id_user"] in access.accessible_users_ids():
        found = roles_of_user(access, args["id_user"], admin_only)
    if args["id_user_group"] and args["id_user_group"] in access.accessible_usergroups_ids():
        found = roles_of_group(access, args["id_user_group"], admin_only, bool(args["with_empty"]))
    project_asked = TeraProject.get_project_by_id(args["id_project"]) if args["id_project"] else None
    if args["id_project"]:
        if project_asked is None:  # an unknown project: nothing to list (it never reaches the lookups below)
            return []
        found = groups_in_project(access, args["id_project"], admin_only, bool(args["with_empty"]))
    if found is None:
        return []
    result: list[dict[str, Any]] = []
    if not args["by_users"] or args["id_user"]:
        for row, role in found.items():
            item = row.to_json(ignore_fields=[] if args["with_sites"] else ["id_site", "site_name"])
            if args["with_sites"]:
                project = row if not args["id_project"] else project_asked
                item.update(_site_fields(project))
            item["project_access_role"] = role["project_role"] if role else None
            if role and role["inherited"]:
                item["project_access_inherited"] = True
            result.append(item)
    else:
        users: list[TeraUser] = []
        projects: list[TeraProject] = []
        if args["id_project"]:
            for group in found:
                users.extend(users_of_group(access, group.id_user_group))
            projects = [project_asked]
        if args["id_user_group"]:
            users = users_of_group(access, args["id_user_group"])
            projects = sorted(found, key=lambda project: project.project_name or "")
        seen: set[int] = set()
        for user in users:
            if user.id_user in seen:
                continue
            seen.add(user.id_user)
            for project in projects:
                role = user_project_role(access, user.id_user, project.id_project)
                item = {
                    "id_user": user.id_user,
                    "id_project": project.id_project,
                    "user_name": user.get_fullname(),
                    "user_enabled": user.user_enabled,
                    "project_access_role": role["project_role"] if role else None,
                    "project_access_inherited": role["inherited"] if role else None,
                }
                if args["with_sites"]:
                    item.update(_site_fields(project))
                result.append(item)
    if result and "project_name" in result[0]:
        if args["with_sites"]:
            result.sort(key=lambda item: (item["site_name"] or "", item["project_name"] or ""))
        else:
            result.sort(key=lambda item: item["project_name"] or "")
    return result


def _planned(access: UserAccess, item: dict[str, Any], server: int) -> tuple[int, int, TeraServiceRole | None]:
    """(group, project, role to grant or None to remove) for one posted item; ClientError when refused."""
    for field in ("id_user_group", "id_project"):
        if field not in item:
            raise ClientError(f"Missing {field}")
        if isinstance(item[field], bool) or not isinstance(item[field], int):
            raise ClientError(f"Invalid {field}: {item[field]!r} is not an integer")
    if "project_access_role" not in item and "id_project_role" not in item:
        raise ClientError("Missing role name or id")
    if access.project_role(item["id_project"]) != ADMIN:
        raise forbidden()
    if TeraUserGroup.get_user_group_by_id(item["id_user_group"]) is None:
        raise ClientError(f"Invalid id_user_group: {item['id_user_group']}")
    role = None
    if "project_access_role" in item:
        if item["project_access_role"] == "":
            return item["id_user_group"], item["id_project"], None
        role = TeraServiceRole.get_service_role_by_name(
            service_id=server, project_id=item["id_project"], rolename=str(item["project_access_role"])
        )
    if "id_service_role" in item:
        if item["id_service_role"] == 0:
            return item["id_user_group"], item["id_project"], None
        role = None
        if isinstance(item["id_service_role"], int) and not isinstance(item["id_service_role"], bool):
            role = TeraServiceRole.get_service_role_by_id(item["id_service_role"])
        if role is not None and (role.id_service != server or role.id_project != item["id_project"]):
            role = None
    if role is None:
        raise ClientError("Invalid role name or id for that project")
    return item["id_user_group"], item["id_project"], role


class UserQueryProjectAccess(UserResource):
    @ns.doc(
        description="Project roles of a user (id_user), of a user group (id_user_group) or in a project (id_project).",
        responses={200: "Success - a list", 400: "No argument or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get project roles."""
        args = get_parser.parse_args(strict=True)
        if not any(args.values()):
            raise ClientError("Missing arguments")
        return access_list(UserAccess(g.current_user), args)

    @ns.doc(
        description='Grant or remove a user group\'s role in projects: {"project_access": obj|list} with '
        "id_user_group, id_project and project_access_role ('' removes) or id_service_role (0 removes).",
        responses={200: "Success - the saved rows", 400: "Bad body", 403: "Not admin of the project"},
    )
    def post(self) -> Any:
        """Create / update / remove project roles of user groups."""
        access = UserAccess(g.current_user)
        items = object_or_list(json_object("project_access"), "project_access")
        server = openteraserver_id()
        plans = [_planned(access, item, server) for item in items]
        saved = []
        for id_group, id_project, role in plans:
            with database_write("project access", message="Cannot save project access"):
                if role is None:
                    TeraServiceAccess.delete_service_access_for_user_group(
                        id_service=server, id_user_group=id_group, id_project=id_project
                    )
                    continue
                row = TeraServiceAccess.update_service_access_for_user_group(
                    id_service=server,
                    id_user_group=id_group,
                    id_service_role=role.id_service_role,
                    id_project=id_project,
                )
            item = row.to_json()
            item["id_project_access"] = row.id_service_access
            item["project_access_role"] = row.service_access_role.service_role_name
            saved.append(item)
        return saved

    @ns.doc(
        description="Delete a project access row (admin of its project).",
        responses={200: "Success", 400: "No such row", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a project access row."""
        args = delete_parser.parse_args(strict=True)
        row = TeraServiceAccess.get_service_access_by_id(args["id"])
        if row is None:
            raise ClientError("No project access to delete.")
        id_project = row.service_access_role.id_project
        if id_project is None or UserAccess(g.current_user).project_role(id_project) != ADMIN:
            raise forbidden()
        with database_write("project access", message="Cannot delete that project access"):
            TeraServiceAccess.delete(id_todel=args["id"])
        return "", 200
