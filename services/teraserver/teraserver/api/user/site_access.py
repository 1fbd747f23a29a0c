"""/api/user/siteaccess: which user groups (and users) hold which role on sites (upstream's rules).

A site role is an OpenTeraServer service role bound to the site, held by a user group; a group with a role in
one of a site's projects has an inherited "user" role on the site.

* GET needs one parameter with a true value (400 "Missing arguments"). id_user (a user the caller sees): that
  user's site roles on the caller's sites; id_user_group (a group the caller sees): the group's roles on the
  caller's sites, with_empty adding the caller's other sites with a null role; id_site: the role on that site of
  each group the caller sees through a site (with_empty: groups without a role too). When several are given the
  last of id_user, id_user_group, id_site wins. `admins`, given with any value (even false, as upstream), keeps
  admin roles only. Items: the site (or group, for id_site) JSON plus site_access_role and, when inherited,
  site_access_inherited. With by_users (not with id_user): one item per (user of the group(s) the caller sees,
  site): {id_user, id_site, user_name, user_enabled, site_access_role, site_access_inherited}, the role null
  when `admins` is true and the role is not admin; with_usergroups adds the user's groups the caller sees.
  Site lists are sorted by site name. Nothing the caller may see: [].
* POST {"site_access": obj|list} with id_user_group, id_site and site_access_role ("" removes the group's role
  on the site; "user" when the group already has a role in one of the site's projects removes the site role
  instead, as that access is inherited) or id_service_role (0 removes). The caller must be admin of the site
  (403 "Forbidden"). Answers the saved rows (service access JSON plus id_site_access and site_access_role).
  Deviation: a role given by id_service_role must be an OpenTeraServer role of that site (upstream takes any
  role id); every item is checked before any write.
* DELETE ?id= (a t_services_access id): admin of the role's site (403), 400 when no such row.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver.api.common import ClientError, database_write, forbidden, json_object, object_or_list
from teraserver.api.resources import UserResource
from teraserver.api.user.access_extras import openteraserver_id
from teraserver.api.user.namespace import ns
from teraserver.api.user.user_usergroups import memberships_of_user, users_of_group
from teraserver.user_access import ADMIN, UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user", type=int, location="args", help="Site roles of that user")
get_parser.add_argument("id_user_group", type=int, location="args", help="Site roles of that user group")
get_parser.add_argument("id_site", type=int, location="args", help="Roles of user groups on that site")
get_parser.add_argument("admins", type=inputs.boolean, location="args", help="Admin roles only (any value)")
get_parser.add_argument("by_users", type=inputs.boolean, location="args", help="Roles by users, not by groups")
get_parser.add_argument("with_usergroups", type=inputs.boolean, location="args", help="With by_users: user groups")
get_parser.add_argument("with_empty", type=inputs.boolean, location="args", help="Also sites/groups without role")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Site access ID to delete")


def _only_admin(roles: dict[Any, Any], admin_only: bool) -> dict[Any, Any]:
    return {key: role for key, role in roles.items() if not admin_only or role["site_role"] == ADMIN}


def roles_of_user(access: UserAccess, id_user: int, admin_only: bool) -> dict[Any, Any]:
    roles = _only_admin(TeraUser.get_user_by_id(id_user).get_sites_roles(), admin_only)
    mine = access.accessible_sites(admin_only)
    return {site: roles[site] for site in mine if site in roles}


def roles_of_group(access: UserAccess, id_group: int, admin_only: bool, with_empty: bool) -> dict[Any, Any]:
    roles = _only_admin(TeraUserGroup.get_user_group_by_id(id_group).get_sites_roles(), admin_only)
    mine = access.accessible_sites(admin_only)
    result = {site: roles[site] for site in mine if site in roles}
    if with_empty:
        result.update({site: None for site in mine if site not in roles})
    return result


def groups_on_site(access: UserAccess, id_site: int, admin_only: bool, with_empty: bool) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for group in access.accessible_usergroups(admin_only, by_sites=True):
        roles = {site.id_site: role for site, role in _only_admin(group.get_sites_roles(), admin_only).items()}
        if id_site in roles:
            result[group] = roles[id_site]
        elif with_empty:
            result[group] = None
    return result


def user_site_role(access: UserAccess, id_user: int, id_site: int) -> dict[str, Any] | None:
    if id_user not in access.accessible_users_ids():
        return None
    roles = TeraUser.get_user_by_id(id_user).get_sites_roles()
    return next((role for site, role in roles.items() if site.id_site == id_site), None)


def access_list(access: UserAccess, args: dict[str, Any]) -> list[dict[str, Any]]:
    found = None
    admin_only = args["admins"] is not None  # upstream: the flag's presence, whatever its value
    if args["id_user"] and args["id_user"] in access.accessible_users_ids():
        found = roles_of_user(access, args["id_user"], admin_only)
    if args["id_user_group"] and args["id_user_group"] in access.accessible_usergroups_ids():
        found = roles_of_group(access, args["id_user_group"], admin_only, bool(args["with_empty"]))
    site_asked = TeraSite.get_site_by_id(args["id_site"]) if args["id_site"] else None
    if args["id_site"]:
        if site_asked is None:  # an unknown site: nothing to list (it never reaches the lookups below)
            return []
        found = groups_on_site(access, args["id_site"], admin_only, bool(args["with_empty"]))
    if found is None:
        return []
    result: list[dict[str, Any]] = []
    if not args["by_users"] or args["id_user"]:
        for row, role in found.items():
            item = row.to_json()
            item["site_access_role"] = role["site_role"] if role else None
            if role and role["inherited"]:
                item["site_access_inherited"] = True
            result.append(item)
    else:
        users: list[TeraUser] = []
        sites: list[TeraSite] = []
        if args["id_site"]:
            for group in found:
                users.extend(users_of_group(access, group.id_user_group))
            sites = [site_asked]
        if args["id_user_group"]:
            users = users_of_group(access, args["id_user_group"])
            sites = sorted(found, key=lambda site: site.site_name or "")
        seen: set[int] = set()
        for user in users:
            if user.id_user in seen:
                continue
            seen.add(user.id_user)
            for site in sites:
                role = user_site_role(access, user.id_user, site.id_site)
                if args["admins"] and role and role["site_role"] != ADMIN:
                    role = None
                item = {
                    "id_user": user.id_user,
                    "id_site": site.id_site,
                    "user_name": user.get_fullname(),
                    "user_enabled": user.user_enabled,
                    "site_access_role": role["site_role"] if role else None,
                    "site_access_inherited": role["inherited"] if role else None,
                }
                if args["with_usergroups"]:
                    item["user_groups"] = [
                        link.user_user_group_user_group.to_json() for link in memberships_of_user(access, user.id_user)
                    ]
                result.append(item)
    if result and "site_name" in result[0]:
        result.sort(key=lambda item: item["site_name"] or "")
    return result


def _planned(access: UserAccess, item: dict[str, Any], server: int) -> tuple[int, int, TeraServiceRole | None]:
    """(group, site, role to grant or None to remove) for one posted item; ClientError when refused."""
    for field in ("id_user_group", "id_site"):
        if field not in item:
            raise ClientError(f"Missing {field}")
        if isinstance(item[field], bool) or not isinstance(item[field], int):
            raise ClientError(f"Invalid {field}: {item[field]!r} is not an integer")
    if "site_access_role" not in item and "id_service_role" not in item:
        raise ClientError("Missing role name or id")
    if access.site_role(item["id_site"]) != ADMIN:
        raise forbidden()
    group = TeraUserGroup.get_user_group_by_id(item["id_user_group"])
    if group is None:
        raise ClientError(f"Invalid id_user_group: {item['id_user_group']}")
    role = None
    if "site_access_role" in item:
        name = item["site_access_role"]
        if name == "":
            return group.id_user_group, item["id_site"], None
        if name == "user":
            projects = group.get_projects_roles(no_inheritance=True)
            if any(project.id_site == item["id_site"] for project in projects):
                return group.id_user_group, item["id_site"], None  # inherited from its projects already
        role = TeraServiceRole.get_service_role_by_name(service_id=server, site_id=item["id_site"], rolename=str(name))
    if "id_service_role" in item:
        if item["id_service_role"] == 0:
            return group.id_user_group, item["id_site"], None
        role = None
        if isinstance(item["id_service_role"], int) and not isinstance(item["id_service_role"], bool):
            role = TeraServiceRole.get_service_role_by_id(item["id_service_role"])
        if role is not None and (role.id_service != server or role.id_site != item["id_site"]):
            role = None
    if role is None:
        raise ClientError("Invalid role name or id for that site")
    return group.id_user_group, item["id_site"], role


class UserQuerySiteAccess(UserResource):
    @ns.doc(
        description="Site roles of a user (id_user), of a user group (id_user_group) or on a site (id_site).",
        responses={200: "Success - a list", 400: "No argument or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get site roles."""
        args = get_parser.parse_args(strict=True)
        if not any(args.values()):
            raise ClientError("Missing arguments")
        return access_list(UserAccess(g.current_user), args)

    @ns.doc(
        description='Grant or remove a user group\'s role on sites: {"site_access": obj|list} with id_user_group, '
        "id_site and site_access_role ('' removes) or id_service_role (0 removes).",
        responses={200: "Success - the saved rows", 400: "Bad body", 403: "Not admin of the site"},
    )
    def post(self) -> Any:
        """Create / update / remove site roles of user groups."""
        access = UserAccess(g.current_user)
        items = object_or_list(json_object("site_access"), "site_access")
        server = openteraserver_id()
        plans = [_planned(access, item, server) for item in items]
        saved = []
        for id_group, id_site, role in plans:
            with database_write("site access", message="Cannot save site access"):
                if role is None:
                    TeraServiceAccess.delete_service_access_for_user_group(
                        id_service=server, id_user_group=id_group, id_site=id_site
                    )
                    continue
                row = TeraServiceAccess.update_service_access_for_user_group(
                    id_service=server, id_user_group=id_group, id_service_role=role.id_service_role, id_site=id_site
                )
            item = row.to_json()
            item["id_site_access"] = row.id_service_access
            item["site_access_role"] = row.service_access_role.service_role_name
            saved.append(item)
        return saved

    @ns.doc(
        description="Delete a site access row (admin of its site).",
        responses={200: "Success", 400: "No such row", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a site access row."""
        args = delete_parser.parse_args(strict=True)
        row = TeraServiceAccess.get_service_access_by_id(args["id"])
        if row is None:
            raise ClientError("No site access to delete")
        id_site = row.service_access_role.id_site
        if id_site is None or UserAccess(g.current_user).site_role(id_site) != ADMIN:
            raise forbidden()
        with database_write("site access", message="Cannot delete that site access"):
            TeraServiceAccess.delete(id_todel=args["id"])
        return "", 200
