"""/api/service/roles: the calling service's own roles (global, or bound to one of its sites/projects)."""

from __future__ import annotations

from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraServiceRole import TeraServiceRole

from teraserver.api.common import Answer, ClientError, json_dict, optional_int, require_int
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.service_access import service_access
from teraserver.service_auth import current_service

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the role to delete")


class ServiceQueryRoles(ServiceResource):
    @ns.doc(description="The caller's roles (a list).", responses={200: "Success"})
    def get(self) -> list[dict[str, Any]]:
        """Get the caller's roles."""
        roles = TeraServiceRole.get_service_roles(current_service().id_service)
        return [role.to_json() for role in roles]

    @ns.expect(bodies.SERVICE_ROLE)
    @ns.doc(
        description="Create (id_service_role 0) or update an own role, optionally bound to an accessible "
        "project or site.",
        responses={200: "Success", 400: "Bad body", 403: "Not an own role, or project/site not accessible"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a role."""
        values = json_dict("service_role")
        id_role = require_int(values, "id_service_role")
        access = service_access()
        id_project = optional_int(values, "id_project")
        id_site = optional_int(values, "id_site")
        if id_project is not None and id_project not in access.projects_ids:
            raise ClientError("No access to that project", 403)
        if id_site is not None and id_site not in access.sites_ids:
            raise ClientError("No access to that site", 403)
        # A service only ever manages its own roles.
        values["id_service"] = current_service().id_service
        if id_role == 0:
            missing = set(TeraServiceRole.validate_required_fields(json_data=values))
            if not values.get("service_role_name"):
                missing.add("service_role_name")
            if missing:
                raise ClientError(f"Missing fields: {sorted(missing)}")
            role = TeraServiceRole()
            role.from_json({name: value for name, value in values.items() if name != "id_service_role"})
            TeraServiceRole.insert(role)
            # As upstream: a new role is answered with the posted object, its id_service_role filled in.
            values["id_service_role"] = role.id_service_role
            return values
        existing = TeraServiceRole.get_service_role_by_id(id_role)
        if existing is None or existing.id_service != current_service().id_service:
            raise ClientError("Forbidden", 403)
        TeraServiceRole.update(id_role, values)
        return TeraServiceRole.get_service_role_by_id(id_role).to_json()

    @ns.doc(description="Delete an own role.", responses={200: "Success", 400: "Unknown role", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete a role."""
        role = TeraServiceRole.get_service_role_by_id(delete_parser.parse_args()["id"])
        if role is None:
            raise ClientError("Unknown role")
        if role.id_service != current_service().id_service:
            raise ClientError("Forbidden", 403)
        TeraServiceRole.delete(role.id_service_role)
        return "", 200
