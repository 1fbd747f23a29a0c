"""GET /api/user/services: services the user can access (contract 3.5). POST/DELETE come later."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify
from flask_restx import Resource, inputs, reqparse
from opentera.db.models.TeraService import TeraService

from teraserver import auth
from teraserver.access import UserAccess
from teraserver.api.user.namespace import ns
from teraserver.queries import services as services_query
from teraserver.redis_state import OPENTERA_SERVER_KEY

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


def select_services(access: UserAccess, args: dict[str, Any], full_json: bool) -> list[TeraService]:
    """Apply upstream's parameter precedence: id, then uuid, then key, then project, then site, else all."""
    id_service = args["id_service"] or args["id"]
    service_uuid = args["service_uuid"] or args["uuid"]
    service_key = args["service_key"] or args["key"]

    single = None
    if id_service:
        single = services_query(full_json).filter_by(id_service=id_service).first()
    elif service_uuid:
        single = services_query(full_json).filter_by(service_uuid=service_uuid).first()
    elif service_key:
        single = services_query(full_json).filter_by(service_key=service_key).first()
    elif args["id_project"]:
        return access.services_for_project(args["id_project"], full_json)
    elif args["id_site"]:
        return access.services_for_site(args["id_site"], full_json)
    else:
        return access.accessible_services(full_json)

    if single is None or single.id_service not in access.accessible_services_ids():
        return []
    return [single]


def services_json(services: list[TeraService], *, minimal: bool, with_config: bool) -> list[dict[str, Any]]:
    """JSON list as upstream: never the OpenTeraServer row; with_config keeps editable-config services only."""
    result = []
    for service in services:
        if service.service_key == OPENTERA_SERVER_KEY:
            continue
        if with_config and not service.service_editable_config:
            continue
        result.append(service.to_json(minimal=minimal))
    return result


@ns.route("/services")
class UserQueryServices(Resource):
    @ns.doc(
        description="Get services information. Only one of the ID parameters is used at once.",
        responses={200: "Success - returns list of services", 400: "Bad parameter"},
    )
    @ns.expect(get_parser)
    @auth.user_multi_required
    def get(self) -> Response:
        """Get services information."""
        args = get_parser.parse_args()
        minimal = bool(args["list"])
        services = select_services(UserAccess(g.current_user), args, full_json=not minimal)
        # jsonify (Flask's provider, sorted keys) as upstream does for this endpoint.
        return jsonify(services_json(services, minimal=minimal, with_config=bool(args["with_config"])))
