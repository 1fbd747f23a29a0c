"""/api/service/serviceaccess: which user groups, participant groups or devices hold the caller's roles."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource, reqparse
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole

from teraserver.api.service import bodies
from teraserver.api.service.common import Answer, ClientError, client_errors, json_objects, required_int, service_access
from teraserver.api.service.namespace import ns
from teraserver.service_access import ServiceAccess
from teraserver.service_auth import current_service, service_token_required

HOLDERS = ("id_user_group", "id_participant_group", "id_device")

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user_group", type=int, location="args", help="User group whose access is queried")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument(
    "id", type=int, location="args", required=True, help="ID of the access row itself (not of the role or the service)"
)


def check_access_item(access: ServiceAccess, item: dict[str, Any]) -> None:
    required_int(item, "id_service_access")
    holders = [name for name in HOLDERS if name in item]
    if len(holders) > 1:
        raise ClientError("Can't combine id_user_group, id_participant_group and id_device in request")
    allowed = {
        "id_user_group": access.user_groups_ids,
        "id_participant_group": access.participant_groups_ids,
        "id_device": access.devices_ids,
    }
    for name in holders:
        if required_int(item, name) not in allowed[name]:
            raise ClientError("Forbidden", 403)
    if item.get("id_service_role") not in (None, ""):
        role = TeraServiceRole.get_service_role_by_id(required_int(item, "id_service_role"))
        if role is None:
            raise ClientError("Bad id_service_role")
        if role.id_service != current_service().id_service:
            raise ClientError("Forbidden", 403)


def own_access_row(id_service_access: int) -> TeraServiceAccess:
    row = TeraServiceAccess.get_service_access_by_id(id_service_access)
    if row is None:
        raise ClientError("Not found")
    if row.service_access_role.id_service != current_service().id_service:
        raise ClientError("Forbidden", 403)
    return row


@ns.route("/serviceaccess")
class ServiceQueryServiceAccess(Resource):
    @ns.doc(
        description="Access rows of a user group on the caller's roles (a list).",
        responses={200: "Success", 400: "Missing id_user_group"},
    )
    @ns.expect(get_parser)
    @service_token_required
    @client_errors
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get service access rows."""
        id_user_group = get_parser.parse_args()["id_user_group"]
        if id_user_group is None:
            return "Missing arguments", 400
        if id_user_group not in service_access().user_groups_ids:
            return []
        rows = TeraServiceAccess.get_service_access_for_user_group(
            id_user_group=id_user_group, id_service=current_service().id_service
        )
        return [row.to_json() for row in rows]

    @ns.expect(bodies.SERVICE_ACCESS)
    @ns.doc(
        description="Create/update access rows (object or list); an existing row posted without "
        "id_service_role (or with '') is deleted.",
        responses={200: "Success - the posted list with ids", 400: "Bad body", 403: "Forbidden"},
    )
    @service_token_required
    @client_errors
    def post(self) -> Answer | list[dict[str, Any]]:
        """Create, update or delete service access rows."""
        access = service_access()
        items = json_objects("service_access")
        for item in items:
            check_access_item(access, item)
        for item in items:
            id_row = item["id_service_access"]
            if id_row > 0:
                own_access_row(id_row)
                if item.get("id_service_role") in (None, ""):
                    TeraServiceAccess.delete(id_todel=id_row)
                else:
                    TeraServiceAccess.update(id_row, item)
                continue
            if item.get("id_service_role") in (None, ""):
                raise ClientError("Missing id_service_role")
            if not any(name in item for name in HOLDERS):
                raise ClientError("Missing at least one id field")
            item.pop("id_service_access")
            row = TeraServiceAccess()
            row.from_json(item)
            TeraServiceAccess.insert(row)
            item["id_service_access"] = row.id_service_access
        return items

    @ns.doc(
        description="Delete an access row on one of the caller's roles.",
        responses={200: "Success", 400: "Not found", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    @service_token_required
    @client_errors
    def delete(self) -> Answer:
        """Delete a service access row."""
        row = own_access_row(delete_parser.parse_args()["id"])
        TeraServiceAccess.delete(id_todel=row.id_service_access)
        return "", 200
