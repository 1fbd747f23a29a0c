"""/api/user/users: GET accessible users (oneself with `sites` and `projects` roles), POST create/update, DELETE."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from flask_restx import inputs, reqparse
from opentera.db.models.TeraUser import TeraUser, UserNewPasswordSameAsOld, UserPasswordInsecure
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver import context, presence
from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_fields
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="User ID to delete")

# Why a user cannot be deleted, by the table the model's integrity check (or the database) names.
_STILL_REFERRED = {
    "t_sessions_users": "please remove all sessions that this user is part of before deleting.",
    "t_sessions": "please remove all sessions created by this user before deleting.",
    "t_tests": "please remove all tests created by this user before deleting.",
    "t_assets": "please remove all assets created by this user before deleting.",
}


def _user_in_use(error: Exception) -> str:
    text = str(getattr(error, "orig", error))
    table = text if text in _STILL_REFERRED else next((name for name in _STILL_REFERRED if name in text), "t_assets")
    return f"Can't delete user: {_STILL_REFERRED[table]}"


get_parser = reqparse.RequestParser()
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_user"')
get_parser.add_argument("id_user", type=int, location="args", help="ID of the user to query")
get_parser.add_argument("id_user_group", type=int, location="args", help="Users of that user group")
get_parser.add_argument("id_project", type=int, location="args", help="Users with access to that project")
get_parser.add_argument("user_uuid", type=str, location="args", help="User UUID to query")
get_parser.add_argument("uuid", type=str, location="args", help='Alias for "user_uuid"')
get_parser.add_argument("username", type=str, location="args", help="Username of the user to query")
get_parser.add_argument("self", type=inputs.boolean, location="args", help="The current user")
get_parser.add_argument("enabled", type=inputs.boolean, location="args", help="Only users with that enabled status")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")
get_parser.add_argument("with_usergroups", type=inputs.boolean, location="args", help="Include each user's groups")
get_parser.add_argument("with_status", type=inputs.boolean, location="args", help="Include online / busy status")


def select_users(access: UserAccess, args: dict[str, Any]) -> list[TeraUser]:
    """Upstream's precedence: uuid, id, project, self, username, group, else every visible user. A hidden
    subject gives an empty list."""
    user_uuid = args["user_uuid"] or args["uuid"]
    id_user = args["id_user"] or args["id"]
    if user_uuid:
        return [u for u in access.accessible_users() if u.user_uuid == user_uuid]
    if id_user:
        return [u for u in access.accessible_users() if u.id_user == id_user]
    if args["id_project"]:
        if args["id_project"] not in access.accessible_projects_ids():
            return []
        return access.users_for_project(args["id_project"])
    if args["self"] is not None:
        return [access.user]
    if args["username"] is not None:
        return [u for u in access.accessible_users() if u.user_username == args["username"]]
    if args["id_user_group"]:
        if args["id_user_group"] not in access.accessible_usergroups_ids():
            return []
        return access.users_of_usergroup(args["id_user_group"])
    return access.accessible_users()


def self_roles(access: UserAccess) -> dict[str, list[dict[str, Any]]]:
    sites = []
    for site in access.accessible_sites():
        data = site.to_json()
        data["site_role"] = access.site_role(site.id_site)
        sites.append(data)
    projects = []
    for project in access.accessible_projects():
        data = project.to_json()
        data["project_role"] = access.project_role(project.id_project)
        projects.append(data)
    return {"sites": sites, "projects": projects}


class UserQueryUsers(UserResource):
    @ns.doc(description="Accessible users; the current user's entry also lists its sites and projects roles")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get users."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        # As upstream, one read of the presence state (the UserManager's status_users) for the whole list.
        statuses = presence.status(context.redis_client(), "user") if args["with_status"] else {}
        result = []
        for user in select_users(access, args):
            if args["enabled"] is not None and user.user_enabled != args["enabled"]:
                continue
            data = user.to_json(minimal=bool(args["list"]))
            if args["list"] is None and user.id_user == access.user.id_user:
                data.update(self_roles(access))
            if args["with_usergroups"]:
                groups = access.usergroups_of_user(user.id_user)
                data["user_user_groups"] = [group.to_json(minimal=True) for group in groups]
            if args["with_status"]:
                entry = statuses.get(user.user_uuid, {})
                data["user_busy"] = entry.get("busy", False)
                data["user_online"] = entry.get("online", False)
            result.append(data)
        return jsonify(result)

    @ns.doc(
        description='Create (id_user 0, needs a password) or update a user: {"user": {...}}; "user_user_groups" '
        "sets the groups. Superadmins only, or site admins for users of their groups."
    )
    def post(self) -> Any:
        """Create / update a user."""
        access = UserAccess(g.current_user)
        data = json_object("user")
        if not isinstance(data, dict):
            raise ClientError("Invalid user: expected an object")
        data = dict(data)
        id_user = require_int(data, "id_user")
        groups = self._requested_groups(access, data)
        if not access.superadmin and "user_superadmin" in data:
            data["user_superadmin"] = False
        values = {key: value for key, value in data.items() if key != "id_user"}
        values = check_fields(TeraUser, values, "user", creating=id_user == 0)
        try:
            if id_user == 0:
                user = self._create(access, values, groups)
            else:
                user = self._update(access, id_user, values)
                if groups is not None and not user.user_superadmin:
                    with database_write("user groups"):
                        user.user_user_groups = groups
                        TeraUser.commit()
        except (UserPasswordInsecure, UserNewPasswordSameAsOld) as exc:
            TeraUser.db().session.rollback()
            details = getattr(exc, "weaknesses", None)
            raise ClientError(f"Invalid password: {exc}" + (f" {details}" if details else "")) from exc
        return [user.to_json()]

    @staticmethod
    def _requested_groups(access: UserAccess, data: dict[str, Any]) -> list[TeraUserGroup] | None:
        if "user_user_groups" not in data:
            return None
        items = data.pop("user_user_groups")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ClientError("Invalid user_user_groups: expected a list of objects")
        allowed = set(access.accessible_usergroups_ids(admin_only=True))
        groups = []
        for item in items:
            id_group = require_int(item, "id_user_group")
            if id_group not in allowed:
                raise forbidden("No access for at a least one user group in the list")
            groups.append(TeraUserGroup.get_user_group_by_id(id_group))
        return groups

    @staticmethod
    def _create(access: UserAccess, values: dict[str, Any], groups: list[TeraUserGroup] | None) -> TeraUser:
        if not access.superadmin and not groups:
            raise forbidden()
        required = ("user_username", "user_firstname", "user_lastname", "user_password", "user_enabled")
        missing = [field for field in required if values.get(field) in (None, "")]
        if missing:
            raise ClientError(f"Missing required fields: {missing}")
        if TeraUser.get_user_by_username(values["user_username"]) is not None:
            raise ClientError("Username unavailable.", 409)
        values.setdefault("user_profile", "")
        with database_write("user"):
            user = TeraUser()
            user.from_json(values)
            TeraUser.insert(user)
            if groups and not user.user_superadmin:
                user.user_user_groups = groups
                TeraUser.commit()
        return user

    @ns.doc(
        description="Delete a user (superadmin), or take them out of the groups one administers (site admin)",
        responses={
            200: "Deleted, or taken out of one's groups",
            400: "Unknown user, or rows still refer to them",
            403: "Oneself, or no user group administered",
        },
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a user."""
        args = delete_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        id_user = args["id"]
        if id_user == access.user.id_user:
            raise forbidden("Sorry, you can't delete yourself!")
        user = TeraUser.get_user_by_id(id_user)
        if user is None:
            raise ClientError("Invalid id")
        # As upstream: a superadmin deletes; a site admin deletes a user all of whose groups they administer (by
        # site), and otherwise only takes the user out of those groups.
        outside: list[TeraUserGroup] = []
        if not access.superadmin:
            mine = access.accessible_usergroups_ids(admin_only=True, by_sites=True)
            if not mine:
                raise forbidden()
            outside = [group for group in user.user_user_groups if group.id_user_group not in mine]
        if not outside:
            with database_write("user", in_use=_user_in_use):
                TeraUser.delete(id_todel=id_user)
            return "", 200
        with database_write("user"):
            user.user_user_groups = outside
            TeraUser.commit()
        return "", 200

    @staticmethod
    def _update(access: UserAccess, id_user: int, values: dict[str, Any]) -> TeraUser:
        user = TeraUser.get_user_by_id(id_user)
        if user is None:
            raise ClientError(f"Invalid id_user: {id_user}")
        if id_user != access.user.id_user and not access.superadmin:
            user_sites = {site.id_site for site in user.get_sites_roles()}
            if not user_sites & set(access.admin_sites_ids()):
                raise forbidden()
        if "user_username" in values:
            raise ClientError("Username can't be modified")
        with database_write("user"):
            TeraUser.update(id_user, values)
        return TeraUser.get_user_by_id(id_user)
