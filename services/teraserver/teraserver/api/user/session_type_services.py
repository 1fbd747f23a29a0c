"""/api/user/sessiontypes/services: secondary services of session types.

Writing needs admin access to every service touched (UserAccess.admin_services_ids), and the
{"session_type": ...} form admin access to the session type. Linking a service also links it to the type's
sites and projects (the model does it).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSessionTypeServices import TeraSessionTypeServices

from teraserver.api.common import ClientError, forbidden
from teraserver.api.links import require_some_argument, with_names
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.api.user.session_type_links import TypeLink
from teraserver.user_access import UserAccess

LINK = TypeLink(TeraSessionTypeServices, "service", TeraService)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_session_type", type=int, location="args", help="Secondary services of that type")
get_parser.add_argument(
    "with_services", type=inputs.boolean, location="args", help="Also accessible services not linked"
)
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the link itself")


class UserQuerySessionTypeServices(UserResource):
    @ns.doc(
        description="Secondary services of a session type (id_session_type required).",
        responses={200: "Success - a list", 400: "No id or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get session type - service links."""
        args = get_parser.parse_args(strict=True)
        require_some_argument(args)
        access = UserAccess(g.current_user)
        links: list[Any] = []
        if args["id_session_type"] and args["id_session_type"] in access.accessible_session_types_ids():
            links = access.session_type_services_of_type(args["id_session_type"])
            if args["with_services"]:
                links = LINK.by_other_name(LINK.with_unlinked_others(links, sorted(access.accessible_services_ids())))
        return [LINK.link_json(link, minimal=not with_names(args)) for link in links]

    @ns.doc(
        description='Link session types and secondary services: {"session_type": {id_session_type, services: '
        '[{id_service}]}}, {"service": {id_service, sessiontypes: [{id_session_type}]}} (both replace) or '
        '{"session_type_service": obj|list}.',
        responses={200: "Success - the links", 400: "Bad body", 403: "Not admin of the service"},
    )
    def post(self) -> Any:
        """Create / replace session type - service links."""
        access = UserAccess(g.current_user)
        admin_services = access.admin_services_ids()
        form, target, to_add, to_delete = LINK.requested()
        if form == "session_type":
            if target not in access.accessible_session_types_ids(admin_only=True):
                raise forbidden("Access denied")
            to_delete = [(t, service) for t, service in to_delete if service in admin_services]
        elif form == "service" and target not in admin_services:
            raise forbidden("Access denied")
        LINK.check_rows_exist(to_add)
        if any(link["id_service"] not in admin_services for link in to_add):
            raise forbidden()
        return LINK.apply(to_add, to_delete)

    @ns.doc(
        description="Delete a session type - service link by its own id (admin of the type and the service). "
        "Upstream answers 501 (not implemented).",
        responses={200: "Success", 400: "Not found or still used", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a session type - service link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraSessionTypeServices.get_session_type_service_by_id(args["id"])
        if link is None:
            raise ClientError("Not found")
        access = UserAccess(g.current_user)
        if link.id_session_type not in access.accessible_session_types_ids(admin_only=True):
            raise forbidden("Access denied")
        if link.id_service not in access.admin_services_ids():
            raise forbidden("Access denied")
        LINK.delete_by_id(link)
        return "", 200
