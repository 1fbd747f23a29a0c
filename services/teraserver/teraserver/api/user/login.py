"""GET/POST /api/user/login: HTTP Basic login answering with a user token.

Also the steps every user login shares with /api/user/login/2fa (login_2fa.py), as upstream's login resources
share them:

* A refused step ends the login session (auth.end_session), as upstream logs the user out on every refusal.
* Service login codes: `/login?auth_code=<code>` keeps the code in the session (views); while it is there, a login
  step checks that Redis still holds `service_auth_code_<code>` (403 "Invalid authentication code" otherwise), and
  the final success answers `{"redirect_url": "<service client endpoint>/<endpoint_url>/?auth_code=<code>"}`
  after adding the user's login answer to that Redis entry as `user_data` (the service reads it there).
* 2FA attempts: `User2FALoginAttempts.<uuid>` (RedisVars) counts OTP tries for 15 minutes; from 5 on, the password
  login and the 2FA steps of that user answer 403 "Too many 2FA attempts. Please wait and try again.".
* One websocket per user: a completed login asking `with_websocket` while the user already has a live websocket
  (the shared presence state, teraserver.presence) is refused with 403 "User already logged in." and an ERROR
  login event (status already logged in). Without `with_websocket` an online user logs in as usual, without URL.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Response, g, request, session
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraUser import TeraUser
from opentera.redis.RedisVars import RedisVars
from opentera.utils.TeraVersions import TeraVersions

from teraserver import auth, context, login_events, presence, tokens
from teraserver.api.common import ClientError, websocket_url
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns

log = logging.getLogger("teraserver.api.login")

PASSWORD_CHANGE_URL = "/login_change_password"
VALIDATE_2FA_URL = "/login_validate_2fa"
SETUP_2FA_URL = "/login_setup_2fa"
AUTH_CODE_PREFIX = "service_auth_code_"  # Redis key prefix of service login codes (api/service/auth_code.py)
MAX_2FA_ATTEMPTS = 5
TWO_FA_ATTEMPTS_TTL = 900  # seconds
TOO_MANY_2FA_ATTEMPTS = "Too many 2FA attempts. Please wait and try again."


def _parser(location: str) -> reqparse.RequestParser:
    parser = reqparse.RequestParser()
    parser.add_argument(
        "with_websocket",
        type=inputs.boolean,
        default=False,
        location=location,
        help="If set, a websocket url is returned as well (403 if the user already has one open)",
    )
    return parser


get_parser = _parser("args")
post_parser = _parser("values")


class LoginRefused(Exception):
    """A login step refused: the answer to send once the login session is ended."""

    def __init__(self, message: str, status: int, *, plain_text: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.plain_text = plain_text

    def answer(self) -> Any:
        if self.plain_text:
            return Response(self.message, status=self.status)
        return self.message, self.status


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


def two_fa_attempts_key(user: TeraUser) -> str:
    return RedisVars.RedisVar_User2FALoginAttemptKey + user.user_uuid


def check_2fa_attempts(user: TeraUser) -> None:
    """LoginRefused (403) once the user's 2FA attempts counter reached the maximum."""
    attempts = context.redis_client().get(two_fa_attempts_key(user))
    if attempts is not None and int(attempts) >= MAX_2FA_ATTEMPTS:
        login_events.send(login_events.MAX_ATTEMPTS, user_uuid=user.user_uuid, message=TOO_MANY_2FA_ATTEMPTS)
        raise LoginRefused(TOO_MANY_2FA_ATTEMPTS, 403)


def check_auth_code() -> dict[str, Any] | None:
    """The service login code kept in the session, if any: its Redis entry, or LoginRefused (403)."""
    code = session.get("auth_code")
    if code is None:
        return None
    raw = context.redis_client().get(AUTH_CODE_PREFIX + str(code))
    if not raw:
        raise LoginRefused("Invalid authentication code", 403)
    try:
        infos = json.loads(raw)
    except ValueError:
        raise LoginRefused("Invalid authentication code", 400, plain_text=True) from None
    if not isinstance(infos, dict):
        raise LoginRefused("Invalid informations", 400, plain_text=True)
    return infos


def _service_redirect(code: str, user_data: dict[str, Any]) -> dict[str, Any]:
    infos = check_auth_code() or {}
    try:
        service_uuid, endpoint_url = str(infos["service_uuid"]), str(infos["endpoint_url"])
    except KeyError:
        raise LoginRefused("Invalid informations", 400, plain_text=True) from None
    service = TeraService.get_service_by_uuid(service_uuid)
    if service is None:
        raise LoginRefused("Invalid service", 400, plain_text=True)
    # Double slashes collapsed, except the one of a scheme ("https://").
    target = re.sub(r"(?<!:)//+", "/", f"{service.service_clientendpoint}/{endpoint_url}/")
    client = context.redis_client()
    key = AUTH_CODE_PREFIX + code
    client.set(key, json.dumps({**infos, "user_data": user_data}), keepttl=True)
    return {"redirect_url": f"{target}?auth_code={code}"}


def login_success(user: TeraUser, with_websocket: bool, response: dict[str, Any]) -> dict[str, Any]:
    """The answer of a completed login: token (and websocket URL), or the service redirect of a login code.

    LoginRefused (403) when a websocket is asked for a user who already has one open.
    """
    if with_websocket:
        if presence.is_online(context.redis_client(), "user", user.user_uuid):
            log.info("user login refused: already online", extra={"user_uuid": user.user_uuid})
            login_events.send(
                login_events.ALREADY_LOGGED_IN,
                user_uuid=user.user_uuid,
                message=f"User already logged in :{user.user_username}",
            )
            raise LoginRefused("User already logged in.", 403)
        response["websocket_url"] = websocket_url("user", user.user_uuid)
    key = tokens.current_user_key(context.redis_client())
    response["user_uuid"] = user.user_uuid
    response["user_fullname"] = user.get_fullname()
    response["user_token"] = tokens.sign_user_token(user, key, tokens.USER_TOKEN_LIFETIME)
    code = session.get("auth_code")
    if code is not None:
        return _service_redirect(str(code), response)
    return response


class UserLogin(UserResource):
    method_decorators = [auth.user_login_required]

    def _login(self, parser: reqparse.RequestParser) -> Any:
        try:
            args = parser.parse_args(strict=True)
            user = g.current_user
            response = client_version_info()
            check_auth_code()

            if user.user_force_password_change:
                response.update(
                    message="Password change required for this user.",
                    reason="password_change",
                    redirect_url=PASSWORD_CHANGE_URL,
                )
                return response, 200
            if user.user_2fa_enabled:
                check_2fa_attempts(user)
                if user.user_2fa_otp_enabled and user.user_2fa_otp_secret:
                    response.update(message="2FA required for this user.", reason="2fa", redirect_url=VALIDATE_2FA_URL)
                else:
                    response.update(
                        message="2FA enabled but OTP not set for this user. Please setup 2FA.",
                        reason="2fa_setup",
                        redirect_url=SETUP_2FA_URL,
                    )
                return response, 200

            response = login_success(user, args["with_websocket"], response)
            log.info("user logged in", extra={"user_uuid": user.user_uuid})
            login_events.send(login_events.SUCCESS, user_uuid=user.user_uuid)
            return response, 200
        except OutdatedClient as exc:
            auth.end_session()
            raise ClientError(str(exc), 426, body=exc.body) from None
        except LoginRefused as exc:
            auth.end_session()
            return exc.answer()
        except Exception:
            auth.end_session()
            raise

    @ns.doc(description="Login to the server using HTTP Basic Authentication (HTTPAuth)", security="basicAuth")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Login with HTTP Basic authentication; returns a user token."""
        return self._login(get_parser)

    @ns.doc(description="Login to the server using HTTP Basic Authentication (HTTPAuth)", security="basicAuth")
    @ns.expect(post_parser)
    def post(self) -> Any:
        """Login with HTTP Basic authentication; returns a user token."""
        return self._login(post_parser)
