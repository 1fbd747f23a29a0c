"""User authentication for /api/user/*: HTTP Basic, `Authorization: OpenTera <token>`, or either (contract 2.1).

Decorators put the authenticated TeraUser in `flask.g.current_user` (and the token, when one was used, in
`g.current_user_token`). Failures answer 401 with the plain text body `Unauthorized`, like flask-httpauth does
upstream; the WWW-Authenticate header is stripped globally (see app.py) so browsers show no login dialog.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, request
from flask_restx import abort
from opentera.db.models.TeraUser import TeraUser
from opentera.redis.RedisVars import RedisVars
from sqlalchemy.orm.exc import StaleDataError

from teraserver import context, login_events, queries, tokens

log = logging.getLogger("teraserver.auth")

LOGIN_ATTEMPTS_MAX = 5
LOGIN_ATTEMPTS_TTL = 120  # seconds; each failure restarts the window, as upstream
TOKEN_SCHEME = "opentera"

F = TypeVar("F", bound=Callable[..., Any])


def unauthorized() -> Response:
    return Response("Unauthorized", status=401)


def _authorization() -> tuple[str, str] | None:
    """(lower-cased scheme, credentials) from the Authorization header, or None."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    return scheme.lower(), credentials.strip()


def verify_user_password(username: str, password: str, *, is_login: bool) -> TeraUser | None:
    """Upstream's LoginModule.user_verify_password: throttled bcrypt check of an enabled user."""
    user = TeraUser.get_user_by_username(username)
    sender = "LoginModule.user_verify_password"
    if user is None:
        log.info("login refused: unknown username", extra={"username": username})
        login_events.send(login_events.WRONG_USERNAME, sender=sender, message=username)
        return None

    client = context.redis_client()
    attempts_key = RedisVars.RedisVar_UserLoginAttemptKey + user.user_uuid
    attempts = int(client.get(attempts_key) or 0)
    if attempts >= LOGIN_ATTEMPTS_MAX:
        log.info("login refused: too many failed attempts", extra={"user_uuid": user.user_uuid})
        login_events.send(login_events.MAX_ATTEMPTS, sender=sender, user_uuid=user.user_uuid)
        return None

    if TeraUser.verify_password(username=username, password=password, user=user) and user.is_active():
        if not is_login:
            # Basic auth on other endpoints is refused until the login-page flows are completed.
            if user.user_force_password_change:
                abort(401, "Unauthorized - User must login first to change password")
            if user.user_2fa_enabled:
                abort(401, "Unauthorized - 2FA is enabled, must login first and use token")
        record_last_online(user)
        client.delete(attempts_key)
        return user

    client.set(attempts_key, attempts + 1, ex=LOGIN_ATTEMPTS_TTL)
    log.info("login refused: wrong password or disabled account", extra={"user_uuid": user.user_uuid})
    status = login_events.WRONG_PASSWORD if user.is_active() else login_events.DISABLED_ACCOUNT
    login_events.send(status, sender=sender, user_uuid=user.user_uuid)
    return None


def record_last_online(user: TeraUser) -> None:
    """Best effort: two concurrent logins of one user race on the row's version counter; the loser's
    timestamp is dropped (the winner wrote one a moment earlier) instead of failing the login with a 500."""
    try:
        user.update_last_online()
    except StaleDataError:
        TeraUser.db().session.rollback()
        log.info("last-online time not recorded: concurrent update", extra={"user_uuid": user.user_uuid})


def verify_user_token(token: str) -> TeraUser | None:
    """Upstream's LoginModule.user_verify_token: not revoked, valid under the current key, user enabled."""
    if not token:
        return None
    state = tokens.check_user_token_state(context.redis_client(), token)
    if state.disabled:
        return None
    payload = tokens.decode_user_token(token, state.key)
    if payload is None:
        return None
    user = queries.user_by_uuid(payload["user_uuid"])
    if user is None or not user.is_active():
        return None
    return user


def _basic(is_login: bool) -> bool:
    auth = request.authorization
    if auth is None or auth.type != "basic" or auth.username is None:
        return False
    user = verify_user_password(auth.username, auth.password or "", is_login=is_login)
    if user is None:
        return False
    g.current_user = user
    g.current_user_token = None
    return True


def _token() -> bool:
    parsed = _authorization()
    if parsed is None or parsed[0] != TOKEN_SCHEME:
        return False
    user = verify_user_token(parsed[1])
    if user is None:
        return False
    g.current_user = user
    g.current_user_token = parsed[1]
    return True


def user_login_required(fn: F) -> F:
    """HTTP Basic only, for /api/user/login (forced-password and 2FA users are let through to get told)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs) if _basic(is_login=True) else unauthorized()

    return wrapper  # type: ignore[return-value]


def user_token_required(fn: F) -> F:
    """`Authorization: OpenTera <user token>` only."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs) if _token() else unauthorized()

    return wrapper  # type: ignore[return-value]


def user_multi_required(fn: F) -> F:
    """Basic or token, chosen by the Authorization scheme (flask-httpauth MultiAuth semantics)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        parsed = _authorization()
        ok = _token() if parsed is not None and parsed[0] == TOKEN_SCHEME else _basic(is_login=False)
        return fn(*args, **kwargs) if ok else unauthorized()

    return wrapper  # type: ignore[return-value]


def current_user() -> TeraUser:
    return g.current_user
