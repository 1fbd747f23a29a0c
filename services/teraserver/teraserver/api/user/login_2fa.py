"""GET/POST /api/user/login/2fa: second step of a 2FA login, a TOTP code checked against the user's secret.

Upstream's behaviour, as we implement it:

* The user comes from the login session (auth.user_session_required) that the Basic password check on
  /api/user/login opened; an Authorization header plays no part here. Without a session: 401.
* Arguments (query string, form or JSON): `otp_code` (required, 400 without it), `with_websocket` (boolean,
  default false); unknown ones: 400. A service login code kept in the session must still be valid (403).
* 403 "User does not have 2FA enabled", or 403 "User does not have 2FA OTP enabled or secret set"; both end the
  login session and are logged as an ERROR login event (status unknown, the message as text).
* Every try counts in Redis `User2FALoginAttempts.<uuid>` (RedisVars; kept 15 minutes after the last try). A
  wrong code (pyotp TOTP, one 30 s step of tolerance either way): 401 "Invalid OTP code" and an ERROR login
  event, or, once the counter reached 5, 403 "Too many 2FA attempts. Please wait and try again." (the password
  login refuses that user the same way until the counter expires).
* A right code clears the counter, then the login completes as /api/user/login does for other users: client
  version check (426 for an outdated major version), token (and websocket URL), INFO login event; or the service
  redirect when the session holds a login code. `with_websocket` for a user who already has a live websocket:
  403 "User already logged in." with its login event, and the login session ends (upstream means the same
  refusal but raises it past its own handlers here, so it answers 500 and keeps the session).
"""

from __future__ import annotations

import binascii
from typing import Any

import pyotp
from flask import g
from flask_restx import inputs, reqparse

from teraserver import auth, context, login_events
from teraserver.api.common import ClientError
from teraserver.api.resources import UserResource
from teraserver.api.user.login import (
    MAX_2FA_ATTEMPTS,
    TOO_MANY_2FA_ATTEMPTS,
    TWO_FA_ATTEMPTS_TTL,
    LoginRefused,
    OutdatedClient,
    check_2fa_attempts,
    check_auth_code,
    client_version_info,
    login_success,
    two_fa_attempts_key,
)
from teraserver.api.user.namespace import ns


def _parser() -> reqparse.RequestParser:
    parser = reqparse.RequestParser()
    parser.add_argument("otp_code", type=str, required=True, help="2FA otp code")
    parser.add_argument(
        "with_websocket",
        type=inputs.boolean,
        default=False,
        help="If set, a websocket url is returned as well (403 if the user already has one open)",
    )
    return parser


get_parser = _parser()
post_parser = _parser()


def otp_matches(secret: str, code: str) -> bool:
    """pyotp's check with one step of tolerance; a secret that is not base32 matches nothing."""
    try:
        return pyotp.TOTP(secret).verify(code, valid_window=1)
    except (binascii.Error, ValueError, TypeError):
        return False


def _refuse(user_uuid: str, message: str, status: int, *, end_session: bool) -> LoginRefused:
    if end_session:
        auth.end_session()
    login_events.send(login_events.UNKNOWN, user_uuid=user_uuid, message=message)
    return LoginRefused(message, status)


def _validate(parser: reqparse.RequestParser) -> Any:
    try:
        args = parser.parse_args(strict=True)
        check_auth_code()
        user = g.current_user
        if not user.user_2fa_enabled:
            return _refuse(user.user_uuid, "User does not have 2FA enabled", 403, end_session=True).answer()
        if not user.user_2fa_otp_enabled or not user.user_2fa_otp_secret:
            message = "User does not have 2FA OTP enabled or secret set"
            return _refuse(user.user_uuid, message, 403, end_session=True).answer()

        client = context.redis_client()
        key = two_fa_attempts_key(user)
        attempts = int(client.get(key) or 0) + 1
        client.set(key, attempts, ex=TWO_FA_ATTEMPTS_TTL)
        if not otp_matches(user.user_2fa_otp_secret, args["otp_code"] or ""):
            check_2fa_attempts(user)  # 403 from the 5th try on
            return _refuse(user.user_uuid, "Invalid OTP code", 401, end_session=False).answer()
        client.delete(key)

        response = client_version_info()
        response = login_success(user, args["with_websocket"], response)
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


class UserLogin2FA(UserResource):
    method_decorators = [auth.user_session_required]

    @ns.doc(
        description="Login to the server using Session Authentication and 2FA",
        responses={
            200: "Logged in: user token",
            400: "Missing otp_code",
            401: "No login session, or invalid OTP code",
            403: f"2FA not set for this user, {MAX_2FA_ATTEMPTS} attempts reached ({TOO_MANY_2FA_ATTEMPTS}), or "
            "already logged in (with_websocket)",
            426: "Client major version too old",
        },
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Login to the server using Session Authentication and 2FA."""
        return _validate(get_parser)

    @ns.doc(description="Login to the server using Session Authentication and 2FA")
    @ns.expect(post_parser)
    def post(self) -> Any:
        """Login to the server using Session Authentication and 2FA."""
        return _validate(post_parser)
