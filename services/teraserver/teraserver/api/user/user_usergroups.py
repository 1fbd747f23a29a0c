"""/api/user/users/usergroups: membership of users in user groups (upstream's UserQueryUserUserGroups rules).

In our words:

* GET id_user_group: the group's memberships of users the caller sees (any group id: only the users are
  filtered), by first name; with_empty adds an unsaved membership (no id_user_group) for each other user the
  caller sees, superadmins excepted. Else id_user: that user's memberships of groups the caller sees, by group
  name; with_empty adds the other groups the caller sees (no id_user). Neither: 400 "At least one id must be
  specified". Unless `list`, each item carries user_fullname and user_group_name (null for the missing side).
* POST {"user_user_group": obj|list} with id_user and id_user_group (400 "Missing id_user" / "Missing
  id_user_group"): the caller must administer the user (a user of a project the caller administers, or
  oneself; 403 "No access to specified user") and the group (a group with a role in a project the caller
  administers; 403 "No access to specified user group"); a superadmin cannot be put in a group (400). Every item
  is checked before any write. An existing membership keeps its id; answers the posted items with
  id_user_user_group.
* DELETE ?id=: 400 when no such membership; the caller must administer its user and its group (403).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserGroup import TeraUserGroup
from opentera.db.models.TeraUserUserGroup import TeraUserUserGroup

from teraserver.api.common import ClientError, database_write, forbidden, json_object, object_or_list, require_int
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user_group", type=int, location="args", help="Memberships of that user group")
get_parser.add_argument("id_user", type=int, location="args", help="Memberships of that user")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")
get_parser.add_argument("with_empty", type=inputs.boolean, location="args", help="Also users/groups not linked")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the membership to delete")


def _first_name(link: TeraUserUserGroup) -> str:
    user = TeraUser.get_user_by_id(link.id_user) if link.id_user else None
    return (user.user_firstname or "") if user is not None else ""


def _group_name(link: TeraUserUserGroup) -> str:
    group = TeraUserGroup.get_user_group_by_id(link.id_user_group) if link.id_user_group else None
    return (group.user_group_name or "") if group is not None else ""


def memberships_of_group(access: UserAccess, id_group: int, with_others: bool = False) -> list[TeraUserUserGroup]:
    visible = access.accessible_users_ids()
    links = (
        TeraUserUserGroup.query.filter(TeraUserUserGroup.id_user_group == id_group)
        .filter(TeraUserUserGroup.id_user.in_(visible))
        .all()
    )
    if with_others:
        linked = {link.id_user for link in links}
        for user in access.accessible_users():
            if user.id_user not in linked and not user.user_superadmin:
                link = TeraUserUserGroup()
                link.id_user_group = None
                link.id_user = user.id_user
                links.append(link)
    return sorted(links, key=_first_name)


def users_of_group(access: UserAccess, id_group: int) -> list[TeraUser]:
    """Users of a group that the caller sees, by first name (upstream's query_users_for_usergroup)."""
    return [TeraUser.get_user_by_id(link.id_user) for link in memberships_of_group(access, id_group)]


def memberships_of_user(access: UserAccess, id_user: int, with_others: bool = False) -> list[TeraUserUserGroup]:
    visible = access.accessible_usergroups_ids()
    links = (
        TeraUserUserGroup.query.filter(TeraUserUserGroup.id_user == id_user)
        .filter(TeraUserUserGroup.id_user_group.in_(visible))
        .all()
    )
    if with_others:
        linked = {link.id_user_group for link in links}
        for id_group in visible:
            if id_group not in linked:
                link = TeraUserUserGroup()
                link.id_user_group = id_group
                link.id_user = None
                links.append(link)
    return sorted(links, key=_group_name)


class UserQueryUserUserGroups(UserResource):
    @ns.doc(
        description="User - user group memberships of a group (id_user_group) or of a user (id_user).",
        responses={200: "Success - a list", 400: "No id or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get user - user group memberships."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        if args["id_user_group"]:
            links = memberships_of_group(access, args["id_user_group"], bool(args["with_empty"]))
        elif args["id_user"]:
            links = memberships_of_user(access, args["id_user"], bool(args["with_empty"]))
        else:
            raise ClientError("At least one id must be specified")
        result = []
        for link in links:
            item = link.to_json(ignore_fields=[], minimal=bool(args["list"]))
            if not args["list"]:
                item["user_fullname"] = TeraUser.get_user_by_id(link.id_user).get_fullname() if link.id_user else None
                item["user_group_name"] = _group_name(link) if link.id_user_group else None
            result.append(item)
        return result

    @ns.doc(
        description='Put users in user groups: {"user_user_group": obj|list} with id_user and id_user_group.',
        responses={200: "Success - the items with id_user_user_group", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create user - user group memberships."""
        access = UserAccess(g.current_user)
        items = [dict(item) for item in object_or_list(json_object("user_user_group"), "user_user_group")]
        admin_users = set(access.accessible_users_ids(admin_only=True))
        admin_groups = set(access.accessible_usergroups_ids(admin_only=True))
        for item in items:
            if "id_user" not in item:
                raise ClientError("Missing id_user")
            if "id_user_group" not in item:
                raise ClientError("Missing id_user_group")
            if require_int(item, "id_user") not in admin_users:
                raise forbidden("No access to specified user")
            if require_int(item, "id_user_group") not in admin_groups:
                raise forbidden("No access to specified user group")
            if TeraUser.get_user_by_id(item["id_user"]).user_superadmin:
                raise ClientError("Super admins can't be associated to an user group")
        for item in items:
            link = TeraUserUserGroup.query_user_user_group_for_user_user_group(
                user_id=item["id_user"], user_group_id=item["id_user_group"]
            )
            if link is None:
                with database_write("user group membership", message="Cannot save that user - user group membership"):
                    link = TeraUserUserGroup()
                    link.from_json(item)  # unknown fields are ignored, as upstream
                    link = TeraUserUserGroup.insert(link)
            item["id_user_user_group"] = link.id_user_user_group
        return items

    @ns.doc(
        description="Delete a user - user group membership (admin of its user and of its group).",
        responses={200: "Success", 400: "No such membership", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a user - user group membership."""
        args = delete_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        link = TeraUserUserGroup.get_user_user_group_by_id(args["id"])
        if link is None:
            raise ClientError("Can't delete specified relationship")
        if link.id_user not in access.accessible_users_ids(admin_only=True):
            raise forbidden("No access to relationship's user")
        if link.id_user_group not in access.accessible_usergroups_ids(admin_only=True):
            raise forbidden("No access to relationship's user group")
        with database_write("user group membership", message="Cannot delete that membership"):
            TeraUserUserGroup.delete(id_todel=args["id"])
        return "", 200
