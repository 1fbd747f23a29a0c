"""GET /api/user/refresh_token: trade a valid user token for a new 30-minute one.

With `with_websocket`, the answer also has a websocket URL, but only while the user has no live websocket (the
shared presence state): an online user just gets the new token, never a 403, as upstream.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse

from teraserver import auth, context, presence, tokens
from teraserver.api.common import websocket_url
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns

get_parser = reqparse.RequestParser()
get_parser.add_argument(
    "with_websocket",
    type=inputs.boolean,
    default=False,
    location="args",
    help="Also return a websocket url (only if the user has none open)",
)


class UserRefreshToken(UserResource):
    method_decorators = [auth.user_token_required]

    @ns.doc(
        description="Refresh the token (token authentication only); the old token is disabled", security="tokenAuth"
    )
    @ns.expect(get_parser)
    def get(self) -> tuple[dict[str, Any], int]:
        """Refresh the user token."""
        args = get_parser.parse_args()
        user = g.current_user
        client = context.redis_client()
        response: dict[str, Any] = {}
        if args["with_websocket"] and not presence.is_online(client, "user", user.user_uuid):
            response["websocket_url"] = websocket_url("user", user.user_uuid)
        response["refresh_token"] = tokens.sign_user_token(
            user, tokens.current_user_key(client), tokens.USER_REFRESH_TOKEN_LIFETIME
        )
        tokens.disable_user_token(client, g.current_user_token)
        return response, 200
