"""/api/user/services: GET services the user can access; POST create/update and DELETE (superadmin only).

Contract 3.5. `service.<key>` in Redis follows every change at once (teraserver.db_events); after a POST that
also changed roles, the entry is rewritten once more so it lists them (upstream leaves it stale).
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceRole import TeraServiceRole

from teraserver import auth, context, service_registry
from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.database import reads_without_transaction
from teraserver.queries import services as services_query
from teraserver.redis_state import OPENTERA_SERVER_KEY
from teraserver.service_json import all_live_services_with_roles_and_projects, with_roles_and_projects
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_service", type=int, location="args", help="ID of the service to query")
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_service"')
get_parser.add_argument("service_uuid", type=str, location="args", help="Service UUID to query")
get_parser.add_argument("uuid", type=str, location="args", help='Alias for "service_uuid"')
get_parser.add_argument("service_key", type=str, location="args", help="Service key to query")
get_parser.add_argument("key", type=str, location="args", help='Alias for "service_key"')
get_parser.add_argument("id_project", type=int, location="args", help="ID of the project to query services from")
get_parser.add_argument("id_site", type=int, location="args", help="ID of the site to query services from")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information only")
get_parser.add_argument("with_config", type=inputs.boolean, location="args", help="Only services with editable config")


delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Service ID to delete")

# Fields a client may not set on a service (the uuid is always generated, the id is the target).
IMMUTABLE_FIELDS = ("service_uuid",)


# Arguments that narrow the list: without any, a user gets every service they can access.
SELECTING_ARGUMENTS = ("id_service", "id", "service_uuid", "uuid", "service_key", "key", "id_project", "id_site")


def select_services(access: UserAccess, args: dict[str, Any], *, with_roles: bool) -> list[TeraService]:
    """The services the arguments ask for. with_roles: transient copies that carry their live roles and project
    links, which to_json() lists (teraserver.service_json)."""
    if with_roles and access.superadmin and not any(args[name] for name in SELECTING_ARGUMENTS):
        # A superadmin's whole list (what the admin UI asks for): services, roles and links in one query.
        return all_live_services_with_roles_and_projects()
    services = _matching_services(access, args)
    return with_roles_and_projects(services) if with_roles else services


def _matching_services(access: UserAccess, args: dict[str, Any]) -> list[TeraService]:
    """Apply upstream's parameter precedence: id, then uuid, then key, then project, then site, else all."""
    id_service = args["id_service"] or args["id"]
    service_uuid = args["service_uuid"] or args["uuid"]
    service_key = args["service_key"] or args["key"]

    single = None
    if id_service:
        single = services_query().filter_by(id_service=id_service).first()
    elif service_uuid:
        single = services_query().filter_by(service_uuid=service_uuid).first()
    elif service_key:
        single = services_query().filter_by(service_key=service_key).first()
    elif args["id_project"]:
        return access.services_for_project(args["id_project"])
    elif args["id_site"]:
        return access.services_for_site(args["id_site"])
    else:
        return access.accessible_services()

    if single is None or single.id_service not in access.accessible_services_ids():
        return []
    return [single]


def shown_services(services: list[TeraService], *, with_config: bool) -> list[TeraService]:
    """As upstream: never the OpenTeraServer row; with_config keeps editable-config services only."""
    return [
        service
        for service in services
        if service.service_key != OPENTERA_SERVER_KEY and (service.service_editable_config or not with_config)
    ]


class UserQueryServices(UserResource):
    @ns.doc(
        description="Get services information. Only one of the ID parameters is used at once.",
        responses={200: "Success - returns list of services", 400: "Bad parameter"},
    )
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Response:
        """Get services information."""
        args = get_parser.parse_args()
        minimal = bool(args["list"])
        selected = select_services(UserAccess(g.current_user), args, with_roles=not minimal)
        services = shown_services(selected, with_config=bool(args["with_config"]))
        # jsonify (Flask's provider, sorted keys) as upstream does for this endpoint.
        return jsonify([service.to_json(minimal=minimal) for service in services])


def _parse_roles(service_json: dict[str, Any]) -> list[dict[str, Any]] | None:
    if "roles" not in service_json:
        return None
    roles = service_json.pop("roles")
    if not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles):
        raise ClientError("Invalid roles: expected a list of objects")
    for role in roles:
        require_int(role, "id_service_role")
        if not isinstance(role.get("service_role_name"), str) or not role["service_role_name"]:
            raise ClientError("Invalid roles: each role needs a service_role_name")
    return roles


def save_service(service_json: dict[str, Any], access: UserAccess) -> TeraService:
    """Create (id_service 0) or update one service as upstream does; ClientError on refusal."""
    id_service = require_int(service_json, "id_service")
    roles = _parse_roles(service_json)
    for field in IMMUTABLE_FIELDS:
        service_json.pop(field, None)
    service_json.pop("service_roles", None)  # output-only lists a client may echo back
    service_json.pop("service_projects", None)

    if id_service == 0:
        if not service_json.get("service_key"):
            raise ClientError("Missing service_key")
        service_json.pop("id_service")
        unknown = sorted(set(service_json) - set(TeraService.clean_values(service_json)))
        if unknown:
            raise ClientError(f"Unknown service fields: {', '.join(unknown)}")
        with database_write("service"):
            service = TeraService()
            service.from_json(service_json)
            TeraService.insert(service)  # gives it a fresh random uuid; service_enabled defaults to false
    else:
        service = TeraService.get_service_by_id(id_service)
        if service is None or id_service not in access.accessible_services_ids():
            raise forbidden()
        if service.service_key == OPENTERA_SERVER_KEY:
            raise forbidden("OpenTeraServer service can't be updated using this API")
        if "service_system" in service_json and service_json["service_system"] != service.service_system:
            raise forbidden("Can't change system services from that API")
        with database_write("service"):
            TeraService.update(id_service, service_json)
        service = TeraService.get_service_by_id(id_service)

    if roles:
        _replace_roles(service, roles)
    return service


def _replace_roles(service: TeraService, roles: list[dict[str, Any]]) -> None:
    """Upstream semantics: roles missing from the list are deleted, id 0 is created, others renamed."""
    current = {role.id_service_role: role for role in service.service_roles}
    wanted = {role["id_service_role"] for role in roles if role["id_service_role"]}
    unknown = wanted - set(current)
    if unknown:
        raise ClientError(f"Invalid roles: id_service_role {sorted(unknown)} not roles of this service")
    with database_write("service roles"):
        for id_role in set(current) - wanted:
            TeraServiceRole.delete(id_todel=id_role)
        for role in roles:
            if role["id_service_role"] == 0:
                new_role = TeraServiceRole()
                new_role.id_service = service.id_service
                new_role.service_role_name = role["service_role_name"]
                TeraServiceRole.insert(new_role)
            elif current[role["id_service_role"]].service_role_name != role["service_role_name"]:
                current[role["id_service_role"]].service_role_name = role["service_role_name"]
                TeraServiceRole.commit()
    TeraService.db().session.refresh(service)


class UserServices(UserQueryServices):
    """GET comes from UserQueryServices; the writes below."""

    @ns.doc(
        description='Create / update a service (superadmin only). id_service "0" creates one. If data contains '
        '"roles", the service roles are replaced by the list.',
        responses={200: "Success - [service]", 400: "Bad body", 403: "Not superadmin, system or server service"},
    )
    @auth.user_multi_required
    def post(self) -> Any:
        """Create / update a service."""
        user = g.current_user
        if not user.user_superadmin:
            raise forbidden()
        service_json = json_object("service")
        if not isinstance(service_json, dict):
            raise ClientError("Invalid service: expected an object")
        service = save_service(dict(service_json), UserAccess(user))
        # Roles are not part of the `service` event: publish the entry once more so it lists them.
        service_registry.refresh(context.redis_client(), service)
        return [service.to_json()]

    @ns.doc(
        description="Delete a service (superadmin only; system services cannot be deleted)",
        responses={200: "Success", 400: "Unknown service or still used", 403: "Not superadmin or system service"},
    )
    @ns.expect(delete_parser)
    @auth.user_multi_required
    def delete(self) -> Any:
        """Delete a service."""
        args = delete_parser.parse_args(strict=True)
        if not g.current_user.user_superadmin:
            raise forbidden()
        service = TeraService.get_service_by_id(args["id"])
        if service is None:
            raise ClientError("Invalid service")
        if service.service_system or service.service_key == OPENTERA_SERVER_KEY:
            raise forbidden()
        with database_write("service deletion"):
            TeraService.delete(id_todel=args["id"])
        return "", 200
