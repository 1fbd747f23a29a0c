"""/api/user/services/roles: roles of a service; creating, renaming and deleting is superadmin-only."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceRole import TeraServiceRole

from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_service", type=int, location="args", help="Service ID to get the roles of")
get_parser.add_argument("globals", type=inputs.boolean, location="args", help="Only global roles (no site/project)")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Service role ID to delete")

EDITABLE_FIELDS = {"id_service_role", "id_service", "service_role_name", "id_site", "id_project"}


class UserQueryServiceRoles(UserResource):
    @ns.doc(description="Roles of an accessible service (id_service), or of every accessible service")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get the roles of a service."""
        args = get_parser.parse_args(strict=True)
        # As upstream: the roles of one accessible service, OpenTeraServer's never; without id_service, those of
        # every accessible service. Upstream's OpenTeraServer test misses in that case, so its site and project
        # roles are listed too: we do the same for a superadmin, who sees every site and project anyway, but not
        # for another user (they would name sites and projects outside the user's access).
        access = UserAccess(g.current_user)
        server = TeraService.get_openteraserver_service().id_service
        accessible = access.accessible_services_ids()
        if args["id_service"]:
            services = [args["id_service"]] if args["id_service"] in accessible - {server} else []
        else:
            services = sorted(accessible if access.superadmin else accessible - {server})
        roles = []
        for id_service in services:
            roles.extend(TeraServiceRole.get_service_roles(id_service, globals_only=bool(args["globals"])))
        return [role.to_json(minimal=bool(args["list"])) for role in roles]

    @ns.doc(description='Create (id_service_role 0) or update a service role: {"service_role": {...}}')
    def post(self) -> Any:
        """Create / update a service role (superadmin only)."""
        if not g.current_user.user_superadmin:
            raise forbidden()
        role_json = json_object("service_role")
        if not isinstance(role_json, dict):
            raise ClientError("Invalid service_role: expected an object")
        unknown = sorted(set(role_json) - EDITABLE_FIELDS)
        if unknown:
            raise ClientError(f"Unknown service_role fields: {', '.join(unknown)}")
        id_role = require_int(role_json, "id_service_role")
        if id_role == 0:
            id_service = require_int(role_json, "id_service")
            if TeraService.get_service_by_id(id_service) is None:
                raise ClientError(f"Invalid id_service: {id_service}")
            if not isinstance(role_json.get("service_role_name"), str) or not role_json["service_role_name"]:
                raise ClientError("Missing service_role_name")
            with database_write("service role"):
                role = TeraServiceRole()
                role.from_json({k: v for k, v in role_json.items() if k != "id_service_role"})
                TeraServiceRole.insert(role)
        else:
            role = TeraServiceRole.get_service_role_by_id(id_role)
            if role is None:
                raise ClientError(f"Invalid id_service_role: {id_role}")
            with database_write("service role"):
                TeraServiceRole.update(id_role, dict(role_json))
            role = TeraServiceRole.get_service_role_by_id(id_role)
        return [role.to_json()]

    @ns.doc(description="Delete a service role (superadmin only)")
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a service role."""
        args = delete_parser.parse_args(strict=True)
        if not g.current_user.user_superadmin:
            raise forbidden()
        if TeraServiceRole.get_service_role_by_id(args["id"]) is None:
            raise ClientError("Invalid service role")
        with database_write("service role deletion"):
            TeraServiceRole.delete(id_todel=args["id"])
        return "", 200
