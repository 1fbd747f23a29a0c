"""/api/user/services/access: which user groups, participant groups or devices hold which service roles.

Contract 3.5, same body semantics as /api/service/serviceaccess (shared: teraserver.api.service_access_rows).
A user grants roles of services the user administers (UserAccess.admin_services_ids) to holders the user
administers; an existing row is changed or deleted only when both its service and its holder are the user's.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import reqparse
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import ClientError, json_object, object_or_list
from teraserver.api.resources import UserResource
from teraserver.api.service_access_rows import AccessRules, delete_row, save_items
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user_group", type=int, location="args", help="User group whose access is queried")
get_parser.add_argument(
    "id_participant_group", type=int, location="args", help="Participant group whose access is queried"
)
get_parser.add_argument("id_device", type=int, location="args", help="Device whose access is queried")
get_parser.add_argument("id_service", type=int, location="args", help="Service whose access rows are queried")
get_parser.add_argument("id_user", type=int, location="args", help="User whose groups' access is queried")

PRIORITY = ("id_user_group", "id_participant_group", "id_device", "id_service", "id_user")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument(
    "id", type=int, location="args", required=True, help="ID of the access row itself (not of the role or the service)"
)


def user_rules(access: UserAccess) -> AccessRules:
    admin_services = access.admin_services_ids()
    visible_services = access.accessible_services_ids()
    holders = {
        "id_user_group": set(access.accessible_usergroups_ids(admin_only=True)),
        "id_participant_group": set(access.accessible_participant_groups_ids(admin_only=True)),
        "id_device": set(access.accessible_devices_ids(admin_only=True)),
    }

    def row_allowed(row: TeraServiceAccess) -> bool:
        if row.service_access_role.id_service not in visible_services:
            return False
        held_by = [(name, getattr(row, name)) for name in holders if getattr(row, name) is not None]
        return all(value in holders[name] for name, value in held_by)

    return AccessRules(
        holders=holders,
        role_allowed=lambda role: role.id_service in admin_services,
        row_allowed=row_allowed,
    )


def rows_of_user(access: UserAccess, id_user: int) -> list[TeraServiceAccess]:
    """Access rows of the groups a user belongs to (the groups the caller can see)."""
    if id_user not in access.accessible_users_ids():
        return []
    user = TeraUser.get_user_by_id(id_user)
    visible_groups = set(access.accessible_usergroups_ids())
    rows: list[TeraServiceAccess] = []
    for group in user.user_user_groups:
        if group.id_user_group in visible_groups:
            rows.extend(access.service_access_rows(id_user_group=group.id_user_group))
    return sorted(rows, key=lambda row: (row.service_access_role.id_service, row.id_service_access))


class UserQueryServiceAccess(UserResource):
    @ns.doc(
        description="Service access rows of one user group, participant group, device, service or user (one id).",
        responses={200: "Success - a list", 400: "No id or an unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get service access rows."""
        args = get_parser.parse_args(strict=True)
        # As upstream, one id is used, the first given in this order.
        given = [name for name in PRIORITY if args[name] is not None]
        if not given:
            raise ClientError("Missing arguments")
        name, value = given[0], args[given[0]]
        access = UserAccess(g.current_user)
        visible = {
            "id_user_group": access.accessible_usergroups_ids,
            "id_participant_group": access.accessible_participant_groups_ids,
            "id_device": access.accessible_devices_ids,
            "id_service": access.accessible_services_ids,
        }
        if name == "id_user":
            rows = rows_of_user(access, value)
        elif value in visible[name]():
            rows = access.service_access_rows(**{name: value})
        else:
            rows = []
        return [row.to_json() for row in rows]

    @ns.doc(
        description='Create / update service access rows: {"service_access": obj or list}, each with '
        "id_service_access (0 = new), one of id_user_group / id_participant_group / id_device and "
        "id_service_role; an existing row posted without id_service_role (or with '') is deleted.",
        responses={200: "Success - the posted list with ids", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create, update or delete service access rows."""
        items = [dict(item) for item in object_or_list(json_object("service_access"), "service_access")]
        return save_items(items, user_rules(UserAccess(g.current_user)))

    @ns.doc(
        description="Delete a service access row (admin of its holder, service accessible).",
        responses={200: "Success", 400: "Not found", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a service access row."""
        args = delete_parser.parse_args(strict=True)
        delete_row(args["id"], user_rules(UserAccess(g.current_user)).row_allowed)
        return "", 200
