"""/api/service/usergroups: user groups holding one of the caller's roles; create/update them with access."""

from __future__ import annotations

from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver.api.common import Answer, ClientError, json_dict, optional_int, require_int
from teraserver.api.resources import ServiceResource
from teraserver.api.rows import delete_model
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.service_access import ServiceAccess, service_access
from teraserver.service_auth import current_service

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user_group", type=int, location="args", help="ID of the user group")
get_parser.add_argument("id_project", type=int, location="args", help="Groups with a role in that project")
get_parser.add_argument("id_site", type=int, location="args", help="Groups with a role in that site")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the group to delete")


def groups_with_role_in(groups: list[TeraUserGroup], id_project: int | None, id_site: int | None) -> list[Any]:
    """Upstream's query_usergroups_for_project / _for_site: groups having a role there (any service)."""
    result = []
    for group in groups:
        if id_project is not None:
            roles = group.get_projects_roles()
            if any(project.id_project == id_project for project in roles):
                result.append(group)
        elif id_site is not None and any(site.id_site == id_site for site in group.get_sites_roles()):
            result.append(group)
    return result


def resolve_roles(access: ServiceAccess, items: Any) -> list[int]:
    """Each access item -> one of the caller's role ids (by id, or by name + optional project/site)."""
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ClientError("Invalid user_group_services_access: a list of objects is expected")
    own = current_service().id_service
    role_ids = []
    for item in items:
        if "id_service_role" in item:
            role = TeraServiceRole.get_service_role_by_id(require_int(item, "id_service_role"))
            if role is None:
                raise ClientError("Forbidden", 403)
            if role.id_service != own:
                raise ClientError("Can't set access to service other than self", 403)
            # Upstream copies the role's project and site into the item, then requires both to be accessible
            # (an unset one counts as not accessible): reproduced, so a role given by id must be bound to an
            # accessible project and an accessible site. Roles bound to one project or site: give their name.
            if role.id_project not in access.projects_ids:
                raise ClientError("No access for at a least one project in the list", 403)
            if role.id_site not in access.sites_ids:
                raise ClientError("No access for at a least one site in the list", 403)
        elif item.get("service_role_name"):
            if "id_service" in item and item["id_service"] != own:
                raise ClientError("Can't set access to service other than self", 403)
            # As upstream: a project or site given (even null) must be accessible.
            if "id_project" in item and item["id_project"] not in access.projects_ids:
                raise ClientError("No access for at a least one project in the list", 403)
            if "id_site" in item and item["id_site"] not in access.sites_ids:
                raise ClientError("No access for at a least one site in the list", 403)
            id_project, id_site = optional_int(item, "id_project"), optional_int(item, "id_site")
            role = TeraServiceRole.get_service_role_by_name(own, str(item["service_role_name"]), id_site, id_project)
            if role is None:
                raise ClientError("Bad role name for service")
        else:
            raise ClientError("Missing service role name or id_service_role")
        role_ids.append(role.id_service_role)
    return role_ids


def replace_group_access(id_user_group: int, role_ids: list[int]) -> None:
    """The group's access on the caller's roles becomes exactly `role_ids`."""
    current = TeraServiceAccess.get_service_access_for_user_group(
        id_user_group=id_user_group, id_service=current_service().id_service
    )
    for row in current:
        if row.id_service_role not in role_ids:
            TeraServiceAccess.delete(row.id_service_access)
    present = {row.id_service_role for row in current}
    for id_role in role_ids:
        if id_role not in present:
            row = TeraServiceAccess()
            row.id_user_group, row.id_service_role = id_user_group, id_role
            TeraServiceAccess.insert(row)


class ServiceQueryUserGroups(ServiceResource):
    @ns.doc(
        description="User groups holding one of the caller's roles (a list), optionally by project/site.",
        responses={200: "Success", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get user groups."""
        args = get_parser.parse_args()
        access = service_access()
        groups = access.user_groups_query().order_by(TeraUserGroup.user_group_name).all()
        if args["id_user_group"] is not None:
            groups = [group for group in groups if group.id_user_group == args["id_user_group"]]
        elif args["id_project"] is not None:
            if args["id_project"] not in access.projects_ids:
                raise ClientError("Forbidden", 403)
            groups = groups_with_role_in(groups, args["id_project"], None)
        elif args["id_site"] is not None:
            if args["id_site"] not in access.sites_ids:
                raise ClientError("Forbidden", 403)
            groups = groups_with_role_in(groups, None, args["id_site"])
        return [group.to_json() for group in groups]

    @ns.expect(bodies.USER_GROUP)
    @ns.doc(
        description="Create (id_user_group 0, needs at least one access) or update a user group; "
        "user_group_services_access replaces its access on the caller's roles.",
        responses={200: "Success", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a user group."""
        values = json_dict("user_group")
        id_group = require_int(values, "id_user_group")
        access = service_access()
        role_ids = None
        if "user_group_services_access" in values:
            role_ids = resolve_roles(access, values.pop("user_group_services_access"))
        if id_group == 0:
            if not role_ids:
                raise ClientError("A new usergroup must have at least one service access")
            values.pop("id_user_group")
            group = TeraUserGroup()
            group.from_json(values)
            TeraUserGroup.insert(group)
            id_group = group.id_user_group
        else:
            if id_group not in access.user_groups_ids:
                raise ClientError("Forbidden", 403)
            TeraUserGroup.update(id_group, values)
        if role_ids is not None:
            replace_group_access(id_group, role_ids)
        return TeraUserGroup.get_user_group_by_id(id_group).to_json()

    @ns.doc(
        description="Delete a user group holding one of the caller's roles.",
        responses={200: "Success", 400: "Group still has users", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a user group."""
        id_group = delete_parser.parse_args()["id"]
        if id_group not in service_access().user_groups_ids:
            raise ClientError("Forbidden", 403)
        delete_model(TeraUserGroup, id_group)
        return "", 200
