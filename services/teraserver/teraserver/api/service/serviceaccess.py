"""/api/service/serviceaccess: which user groups, participant groups or devices hold the caller's roles."""

from __future__ import annotations

from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from sqlalchemy.exc import SQLAlchemyError

from teraserver.api.common import Answer, ClientError, json_objects
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.api.service_access_rows import AccessRules, delete_row, save_items
from teraserver.service_access import ServiceAccess, service_access
from teraserver.service_auth import current_service

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user_group", type=int, location="args", help="User group whose access is queried")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument(
    "id", type=int, location="args", required=True, help="ID of the access row itself (not of the role or the service)"
)


def service_rules(access: ServiceAccess) -> AccessRules:
    """A service grants its own roles, to the holders it can see, and changes only rows of its own roles."""
    id_service = current_service().id_service
    return AccessRules(
        holders={
            "id_user_group": access.user_groups_ids,
            "id_participant_group": access.participant_groups_ids,
            "id_device": access.devices_ids,
        },
        role_allowed=lambda role: role.id_service == id_service,
        row_allowed=lambda row: row.service_access_role.id_service == id_service,
    )


class ServiceQueryServiceAccess(ServiceResource):
    @ns.doc(
        description="Access rows of a user group on the caller's roles (a list).",
        responses={200: "Success", 400: "Missing id_user_group"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get service access rows."""
        id_user_group = get_parser.parse_args()["id_user_group"]
        if id_user_group is None:
            raise ClientError("Missing arguments")
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
    def post(self) -> Answer | list[dict[str, Any]]:
        """Create, update or delete service access rows."""
        try:
            return save_items(json_objects("service_access"), service_rules(service_access()))
        except ClientError as error:
            if isinstance(error.__cause__, SQLAlchemyError):
                # Never the database's own text (constraint names, SQL) to a service.
                raise ClientError("Invalid data: refused by the database") from error
            raise

    @ns.doc(
        description="Delete an access row on one of the caller's roles.",
        responses={200: "Success", 400: "Not found", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a service access row."""
        delete_row(delete_parser.parse_args()["id"], service_rules(service_access()).row_allowed)
        return "", 200
