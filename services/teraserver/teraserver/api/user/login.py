"""GET/POST /api/user/login: HTTP Basic login answering with a user token (contract 2.2)."""

from __future__ import annotations

import logging
from typing import Any

from flask import g, request
from flask_restx import Resource, inputs, reqparse
from opentera.utils.TeraVersions import TeraVersions

from teraserver import auth, context, login_events, tokens
from teraserver.api.common import websocket_url
from teraserver.api.user.namespace import ns

log = logging.getLogger("teraserver.api.login")

PASSWORD_CHANGE_URL = "/login_change_password"
VALIDATE_2FA_URL = "/login_validate_2fa"
SETUP_2FA_URL = "/login_setup_2fa"


def _parser(location: str) -> reqparse.RequestParser:
    parser = reqparse.RequestParser()
    parser.add_argument(
        "with_websocket",
        type=inputs.boolean,
        default=False,
        location=location,
        help="If set, a websocket url is returned as well",
    )
    return parser


get_parser = _parser("args")
post_parser = _parser("values")


class OutdatedClient(Exception):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("client major version too old")
        self.body = body


def client_version_info() -> dict[str, Any]:
    """Upstream's client check: known client -> version_latest (+ version_error); other major -> OutdatedClient."""
    name = request.headers.get("X-Client-Name")
    version = request.headers.get("X-Client-Version")
    if name is None or version is None:
        return {}
    versions = TeraVersions()
    versions.load_from_db()
    client = versions.get_client_version_with_name(name)
    if client is None:
        # Upstream only logs unknown clients and lets them in.
        log.info("login from an unknown client", extra={"client_name": name, "client_version": version})
        login_events.send(
            login_events.UNKNOWN, user_uuid=g.current_user.user_uuid, message=f"Unknown client name :{name}"
        )
        return {}
    reply: dict[str, Any] = {"version_latest": client.to_dict()}
    if client.version != version:
        reply["version_error"] = "Client major version mismatch"
        given = version.split(".")
        known = (client.version or "").split(".")
        if known[0] != given[0]:
            login_events.send(
                login_events.UNKNOWN, user_uuid=g.current_user.user_uuid, message="Client version mismatch"
            )
            raise OutdatedClient(
                {
                    "version_latest": reply["version_latest"],
                    "current_version": given,
                    "version_error": reply["version_error"],
                    "message": "Client major version too old, not accepting login",
                }
            )
    return reply


@ns.route("/login")
class UserLogin(Resource):
    def _login(self, parser: reqparse.RequestParser) -> tuple[dict[str, Any], int]:
        args = parser.parse_args(strict=True)
        user = g.current_user
        try:
            response = client_version_info()
        except OutdatedClient as exc:
            return exc.body, 426

        if user.user_force_password_change:
            response.update(
                message="Password change required for this user.",
                reason="password_change",
                redirect_url=PASSWORD_CHANGE_URL,
            )
            return response, 200
        if user.user_2fa_enabled:
            if user.user_2fa_otp_enabled and user.user_2fa_otp_secret:
                response.update(message="2FA required for this user.", reason="2fa", redirect_url=VALIDATE_2FA_URL)
            else:
                response.update(
                    message="2FA enabled but OTP not set for this user. Please setup 2FA.",
                    reason="2fa_setup",
                    redirect_url=SETUP_2FA_URL,
                )
            return response, 200

        if args["with_websocket"]:
            response["websocket_url"] = websocket_url("user", user.user_uuid)
        key = tokens.current_user_key(context.redis_client())
        response["user_uuid"] = user.user_uuid
        response["user_fullname"] = user.get_fullname()
        response["user_token"] = tokens.sign_user_token(user, key, tokens.USER_TOKEN_LIFETIME)
        log.info("user logged in", extra={"user_uuid": user.user_uuid})
        login_events.send(login_events.SUCCESS, user_uuid=user.user_uuid)
        return response, 200

    @ns.doc(description="Login to the server using HTTP Basic Authentication (HTTPAuth)", security="basicAuth")
    @ns.expect(get_parser)
    @auth.user_login_required
    def get(self) -> tuple[dict[str, Any], int]:
        """Login with HTTP Basic authentication; returns a user token."""
        return self._login(get_parser)

    @ns.doc(description="Login to the server using HTTP Basic Authentication (HTTPAuth)", security="basicAuth")
    @ns.expect(post_parser)
    @auth.user_login_required
    def post(self) -> tuple[dict[str, Any], int]:
        """Login with HTTP Basic authentication; returns a user token."""
        return self._login(post_parser)
