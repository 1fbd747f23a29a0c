"""User authentication for /api/user/*: HTTP Basic, `Authorization: OpenTera <token>`, or either.

Decorators put the authenticated TeraUser in `flask.g.current_user` (and the token, when one was used, in
`g.current_user_token`). Failures answer 401 with the plain text body `Unauthorized`, like flask-httpauth does
upstream; the WWW-Authenticate header is stripped globally (see app.py) so browsers show no login dialog.

Login session (what upstream gets from Flask-Login's `login_user`): every successful password check writes the
user's UUID under `_user_id` in Flask's signed `session` cookie (also `_fresh` and `_id`, the per-client id the
websocket URL uses), so the browser can continue the login on the pages and endpoints that need it
(`user_session_required`: forced password change, 2FA setup and validation). Upstream's cookie settings: the
session cookie is Secure, HttpOnly and SameSite=Strict, signed with the server UUID (app.py). While the session
holds a user, every answer also carries Flask-Login's "remember" cookie under upstream's name `OpenTera`
(`<uuid>|<HMAC-SHA512 of the uuid, keyed by the secret key>`, 30 minutes, Secure, HttpOnly, SameSite=Strict):
upstream configures Flask-Login to refresh that cookie on each request. Ending the login session (refused
login steps) clears the session, as upstream's logout_user + session.clear() does.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request, session
from flask_restx import abort
from opentera.db.models.TeraUser import TeraUser
from opentera.redis.RedisVars import RedisVars
from sqlalchemy.orm.exc import StaleDataError

from teraserver import context, login_events, queries, throttle, tokens
from teraserver.api.common import session_id

log = logging.getLogger("teraserver.auth")

TOKEN_SCHEME = "opentera"
SESSION_USER_KEY = "_user_id"  # Flask-Login's key, kept so the session reads the same as upstream's
REMEMBER_COOKIE = "OpenTera"
REMEMBER_COOKIE_LIFETIME = datetime.timedelta(minutes=30)

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
        throttle.spend_a_password_check(password)
        log.info("login refused: unknown username", extra={"username": username})
        login_events.send(login_events.WRONG_USERNAME, sender=sender, message=username)
        return None

    client = context.redis_client()
    attempts_key = RedisVars.RedisVar_UserLoginAttemptKey + user.user_uuid
    if not throttle.take_attempt(client, attempts_key):
        log.info("login refused: too many failed attempts", extra={"user_uuid": user.user_uuid})
        login_events.send(login_events.MAX_ATTEMPTS, sender=sender, user_uuid=user.user_uuid)
        return None

    checked = throttle.password_matches(
        lambda: TeraUser.verify_password(username=username, password=password, user=user)
    )
    if checked and user.is_active():
        if not is_login:
            # Basic auth on other endpoints is refused until the login-page flows are completed.
            if user.user_force_password_change:
                abort(401, "Unauthorized - User must login first to change password")
            if user.user_2fa_enabled:
                abort(401, "Unauthorized - 2FA is enabled, must login first and use token")
        record_last_online(user)
        throttle.clear_attempts(client, attempts_key)
        start_session(user)
        return user

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
    return user_of_token(token, tokens.check_user_token_state(context.redis_client(), token))


def user_of_token(token: str, state: tokens.TokenCheck) -> TeraUser | None:
    """verify_user_token's answer once Redis told the token's state (read with other values by api/direct.py)."""
    user_uuid = token_user_uuid(token, state)
    return None if user_uuid is None else enabled_user(queries.user_by_uuid(user_uuid))


def token_user_uuid(token: str, state: tokens.TokenCheck) -> str | None:
    """The user uuid of a token that is not revoked and valid under the current key, else None."""
    if state.disabled:
        return None
    payload = tokens.decode_user_token(token, state.key)
    return None if payload is None else payload["user_uuid"]


def enabled_user(user: TeraUser | None) -> TeraUser | None:
    """The live user the token names (queries.user_by_uuid), if enabled."""
    return user if user is not None and user.is_active() else None


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


# --- login session -------------------------------------------------------------------------------------------
def start_session(user: TeraUser) -> None:
    """Record the user in the signed session cookie, as Flask-Login's login_user does upstream."""
    session[SESSION_USER_KEY] = user.user_uuid
    session["_fresh"] = True
    session["_id"] = session_id()


def end_session() -> None:
    """Forget the login session (upstream: logout_user() then session.clear()) and the remember cookie."""
    session.clear()
    g.forget_remember_cookie = True


def session_user() -> TeraUser | None:
    """The enabled, live user the session cookie names, or None."""
    user_uuid = session.get(SESSION_USER_KEY)
    if not isinstance(user_uuid, str) or not user_uuid:
        return None
    user = queries.user_by_uuid(user_uuid)
    if user is None or not user.user_enabled:
        return None
    return user


def user_session_required(fn: F) -> F:
    """Upstream's LoginModule.user_session_required: the user comes from the login session, not from a header.

    Without a session naming an enabled user: 401 with body "Unauthorized" (a JSON string on API resources, plain
    text on the HTML pages, as upstream's decorator returns the same tuple to both).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = session_user()
        if user is None:
            return "Unauthorized", 401
        g.current_user = user
        g.current_user_token = None
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def remember_cookie_value(user_uuid: str) -> str:
    key = current_app.secret_key
    key_bytes = key.encode("latin1") if isinstance(key, str) else bytes(key or b"")
    return f"{user_uuid}|{hmac.new(key_bytes, user_uuid.encode('utf-8'), hashlib.sha512).hexdigest()}"


def _remember_cookie(response: Response) -> Response:
    # `in` does not mark the session accessed: answers of requests without a login session are left alone.
    if SESSION_USER_KEY in session:
        response.set_cookie(
            REMEMBER_COOKIE,
            remember_cookie_value(str(session[SESSION_USER_KEY])),
            expires=datetime.datetime.now(datetime.UTC) + REMEMBER_COOKIE_LIFETIME,
            secure=True,
            httponly=True,
            samesite="Strict",
        )
    elif g.get("forget_remember_cookie") and REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(REMEMBER_COOKIE, secure=True, httponly=True, samesite="Strict")
    return response


def install_session(app: Flask) -> None:
    """Upstream's session cookie settings, and the remember cookie on answers while a login session exists."""
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(minutes=5),
    )
    app.after_request(_remember_cookie)
