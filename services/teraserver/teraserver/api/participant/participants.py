"""/api/participant/participants: the calling participant's own row.

Upstream: GET needs role `limited`; with full access (password or dynamic token) it answers the participant's
JSON (`list=true`: minimal), with a static token only `{"participant_name": ...}`. Query arguments are parsed
strictly (an unknown one is 400). POST needs role `full` and answers 501 `Not implemented`.
"""

from __future__ import annotations

from typing import Any

from flask_restx import inputs

from teraserver import participant_auth
from teraserver.api.common import ClientError
from teraserver.api.participant.namespace import ns
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import ParticipantResource
from teraserver.participant_auth import ROLE_LIMITED, current_participant, has_full_access

get_parser = QueryParser()
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information only")


class ParticipantQueryParticipants(ParticipantResource):
    # Static tokens (role `limited`) reach this resource; a method needing a full login says so.
    method_decorators = [participant_auth.participant_multi_required(ROLE_LIMITED)]

    @ns.doc(
        description="The current participant (a static token only gets its name)",
        responses={200: "Success", 400: "Unknown or invalid argument", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get the current participant's information."""
        args = get_parser.parse_args(strict=True)
        participant = current_participant()
        if not has_full_access():
            return {"participant_name": participant.participant_name}
        return participant.to_json(minimal=bool(args["list"]))

    @ns.doc(description="Not implemented (as upstream)", responses={501: "Not implemented", 403: "Static token"})
    @participant_auth.full_access_required
    def post(self) -> Any:
        """Update the current participant: not implemented upstream."""
        raise ClientError("Not implemented", 501)
