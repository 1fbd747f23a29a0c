"""GET /api/service/services: one service's public information, for any authenticated service.

The hot path of every service's start-up (TeraServiceClient.get_service_infos): the token is checked by
`service_token_verified` (no database), then one indexed Core query, on a pooled connection without an ORM
session, both checks that the caller is an enabled service and looks the requested one up. Whatever the
arguments, a caller that is not an enabled service gets the same 401 as from `service_token_required`, before
any 400 or 404. The row becomes a transient (never added to a session: `instances.transient`) TeraService so
that the JSON still comes from the model's own to_json(minimal=True), which reads no relationship.

`find_service` and `services_body` are shared with `services_direct.py`, which answers the plain form of this
request (one selector, token in the header, a service found) before Flask; everything else comes here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import Response, g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from sqlalchemy import Engine, bindparam, select
from werkzeug.exceptions import HTTPException

from teraserver.api.common import Answer, ClientError, external_server_and_port
from teraserver.api.resources import ServiceResource
from teraserver.api.service.namespace import ns
from teraserver.database import autocommit_connection
from teraserver.instances import transient
from teraserver.prepared import PreparedStatement
from teraserver.service_auth import (
    CALLER,
    caller_conditions,
    enabled_service_id,
    service_token_verified,
    unknown_caller,
)

LOCAL_HOSTNAMES = {"localhost", "127.0.0.1"}


def _caller_and_live_service_where(column: Any) -> Any:
    """One row when the caller is an enabled service: its id as caller_id, then the looked-up service's columns
    (all None when no live service matches). Authentication and lookup in a single round trip."""
    return (
        select(CALLER.id_service.label("caller_id"), *TeraService.__table__.columns)
        .select_from(CALLER)
        .outerjoin(TeraService, (column == bindparam("value")) & TeraService.deleted_at.is_(None))
        .where(*caller_conditions())
    )


# One statement per selector, prepared once per database connection (teraserver.prepared): every service's
# start-up calls this. When several are given, upstream's last lookup wins: key, then uuid, then id.
SELECTORS = {
    argument: PreparedStatement(f"teraserver_service_lookup_by_{argument}", _caller_and_live_service_where(column))
    for argument, column in (
        ("id_service", TeraService.id_service),
        ("uuid_service", TeraService.service_uuid),
        ("service_key", TeraService.service_key),
    )
}


class FoundService(NamedTuple):
    caller_id: int
    service: TeraService | None  # transient; None when no live service matches


def find_service(caller_uuid: str, argument: str, value: Any, engine: Engine | None = None) -> FoundService | None:
    """The caller's id and the service `argument` (a key of SELECTORS) = `value` names; None when the caller is
    not an enabled, live service. One prepared query, on a pooled connection without an ORM session."""
    with autocommit_connection(engine) as connection:
        rows = SELECTORS[argument].execute(connection, caller_uuid=caller_uuid, value=value)
    if not rows:
        return None
    columns = rows[0]
    caller_id = columns.pop("caller_id")
    return FoundService(caller_id, None if columns["id_service"] is None else transient(TeraService, columns))


def services_body(service: TeraService) -> list[dict[str, Any]]:
    """The answer's JSON: a list holding the service's minimal JSON."""
    return [service.to_json(minimal=True)]


get_parser = reqparse.RequestParser()
get_parser.add_argument("id_service", type=int, location="args", help="ID of the service to query")
get_parser.add_argument("uuid_service", type=str, location="args", help="UUID of the service to query")
get_parser.add_argument("service_key", type=str, location="args", help="Key of the service to query")
get_parser.add_argument("with_base_url", type=inputs.boolean, location="args", help="Add service_base_url")


def base_url(service: TeraService) -> str:
    """Where clients reach the service: through our front door when it runs next to us, else directly."""
    if service.service_hostname in LOCAL_HOSTNAMES:
        server, port = external_server_and_port()
    else:
        server, port = service.service_hostname, str(service.service_port)
    return f"https://{server}:{port}{service.service_clientendpoint or ''}"


class ServiceQueryServices(ServiceResource):
    # The token half only: the hot handler checks the caller's row in its own query (service_auth).
    method_decorators = [service_token_verified]

    @ns.doc(
        description="Return one service's information (minimal). Only one of the ID parameters is used.",
        responses={
            200: "Success - list with one service",
            400: "No ID parameter",
            401: "Unauthorized",
            404: "No such service",
        },
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]] | Response:
        """Get service information."""
        caller_uuid = g.caller_service_uuid
        try:
            args = get_parser.parse_args()
        except HTTPException:
            if enabled_service_id(caller_uuid) is None:
                return unknown_caller()
            raise
        for argument in reversed(SELECTORS):  # upstream: the last selector given wins
            if args[argument]:  # as upstream, 0 and "" count as absent
                found = find_service(caller_uuid, argument, args[argument])
                break
        else:
            if enabled_service_id(caller_uuid) is None:
                return unknown_caller()
            raise ClientError("Missing service key, id or uuid")
        if found is None:
            return unknown_caller()
        g.current_service_id = found.caller_id
        if found.service is None:
            # Upstream answers 500 here (None.to_json); a 404 tells the caller what happened.
            raise ClientError("Service not found", 404)
        body = services_body(found.service)
        if args["with_base_url"]:
            body[0]["service_base_url"] = base_url(found.service)
        return body
