"""Participant authentication for /api/participant/*: HTTP Basic, dynamic token, static token.

What upstream's LoginModule does for participants (flask-httpauth `MultiAuth(HTTPBasicAuth, HTTPTokenAuth("OpenTera"))`
with the roles `full` and `limited`), reproduced here without flask-httpauth:

* Which form is checked: the token form when the Authorization header's scheme is exactly `OpenTera` (case
  matters, as in flask-httpauth's choice between the two) and a value follows it; every other request,
  including one without any Authorization header, goes through the Basic form. There is no `?token=` form
  for participants: upstream's token check only reads the header.
* Basic: `participant_username` / password, checked with the package's `TeraParticipant.verify_password`
  (participant enabled and login enabled). Failures are counted in Redis `ParticipantLoginAttempts.<uuid>`
  (120 s, each failure restarts the window); from 5, the login is refused until the counter expires, even with
  the right password. A success clears the counter. An unknown username is refused without counting.
* Token, static first: a participant whose `participant_token` column holds exactly that token, enabled, with
  `participant_token_enabled`, and the token signed with `ParticipantStaticTokenAPIKey` (Redis; TeraServer
  writes the database's ParticipantTokenEncryptionKey there at start) for that participant's uuid.
* Token, dynamic otherwise: not in the Redis set `participant_disabled_tokens`, signed with
  `ParticipantTokenAPIKey` (rotated at every start), with `participant_uuid` and an unexpired `exp`, and the
  participant enabled.
* Roles: static token -> `limited`; password or dynamic token -> `full` and `limited`.
* Failures: 401 with the plain text body `Unauthorized`; an authenticated participant without the role the
  endpoint needs: 403, same body (flask-httpauth's error handler is called with 403 and upstream answers
  `Unauthorized` to every status).

Login events (`login_events.py`), as upstream: an unknown username (the tried name as message), too many
attempts, and a wrong password (or disabled participant) are ERROR events from
`LoginModule.participant_verify_password`; /login adds the INFO success event. Token refusals send none here
(upstream's carry the refused token itself in the message).

The decorators put the participant in `flask.g.current_participant`, whether it has full access in
`g.participant_full_access`, and the token used (None for Basic) in `g.current_participant_token`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, request
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.redis.RedisVars import RedisVars
from sqlalchemy.orm.exc import StaleDataError

from teraserver import context, login_events, queries, throttle
from teraserver.redis_state import PARTICIPANT_DISABLED_TOKENS
from teraserver.verified_tokens import verified_payload

log = logging.getLogger("teraserver.participant_auth")

ROLE_FULL = "full"
ROLE_LIMITED = "limited"
TOKEN_SCHEME = "OpenTera"
PARTICIPANT_TOKEN_LIFETIME = 3600  # seconds, dynamic token given at login
PARTICIPANT_REFRESH_TOKEN_LIFETIME = 1800  # seconds, from /api/participant/refresh_token
PASSWORD_CHECK = "LoginModule.participant_verify_password"  # sender of the password check's login events

F = TypeVar("F", bound=Callable[..., Any])


class ParticipantTokenKeyMissing(RuntimeError):
    """ParticipantTokenAPIKey is absent from Redis: no dynamic token can be signed."""


def refused(status: int = 401) -> Response:
    return Response("Unauthorized", status=status)


# --- credentials from the request ---------------------------------------------------------------------------------
def header_token() -> str | None:
    """The token of `Authorization: OpenTera <token>` (scheme spelled exactly so), else None."""
    parts = request.headers.get("Authorization", "").split(None, 1)
    if len(parts) != 2 or parts[0] != TOKEN_SCHEME:
        return None
    return parts[1].strip()


def basic_credentials() -> tuple[str, str]:
    """(username, password) of the Authorization header, decoded as flask-httpauth does (any scheme word, then
    base64 of `user:password`); ("", "") when absent or unreadable."""
    value = request.headers.get("Authorization")
    if value is None:
        return "", ""
    try:
        _scheme, encoded = value.encode("utf-8").split(b" ", 1)
        username, password = base64.b64decode(encoded).split(b":", 1)
    except (ValueError, TypeError, binascii.Error):
        return "", ""
    try:
        return username.decode("utf-8"), password.decode("utf-8")
    except UnicodeDecodeError:
        return username.decode("latin1"), password.decode("latin1")


# --- checks ---------------------------------------------------------------------------------------------------------
def verify_participant_password(username: str, password: str) -> TeraParticipant | None:
    """Throttled password check of an enabled participant whose login is enabled (upstream's rules, above)."""
    participant = TeraParticipant.get_participant_by_username(username)
    if participant is None:
        throttle.spend_a_password_check(password)
        log.info("participant login refused: unknown username")
        login_events.send(login_events.WRONG_USERNAME, sender=PASSWORD_CHECK, message=username)
        return None
    participant_uuid = participant.participant_uuid
    client = context.redis_client()
    attempts_key = RedisVars.RedisVar_ParticipantLoginAttemptKey + participant_uuid
    if not throttle.take_attempt(client, attempts_key):
        log.info("participant login refused: too many failed attempts", extra={"uuid": participant_uuid})
        login_events.send(login_events.MAX_ATTEMPTS, sender=PASSWORD_CHECK, participant_uuid=participant_uuid)
        return None
    if participant.participant_password and _password_matches(username, password, participant):
        throttle.clear_attempts(client, attempts_key)
        return participant
    log.info("participant login refused: wrong password or disabled", extra={"uuid": participant_uuid})
    # Upstream reports a disabled participant as a wrong password too (the package's check refuses both alike).
    login_events.send(login_events.WRONG_PASSWORD, sender=PASSWORD_CHECK, participant_uuid=participant_uuid)
    return None


def _password_matches(username: str, password: str, participant: TeraParticipant) -> bool:
    try:
        checked = TeraParticipant.verify_password(username=username, password=password, participant=participant)
    except (ValueError, TypeError):
        # A stored value that is not a bcrypt hash: no password can match it.
        return False
    return checked is not None


def static_token_participant(token: str) -> TeraParticipant | None:
    """The participant whose static token this is, if that token is enabled and correctly signed."""
    if context.fast_paths():
        participant = queries.participant_by_token(token)
    else:
        participant = TeraParticipant.query.filter_by(participant_token=token).first()
    if participant is None or not participant.participant_enabled or not participant.participant_token_enabled:
        return None
    key = context.redis_client().get(RedisVars.RedisVar_ParticipantStaticTokenAPIKey)
    payload = verified_payload(token, key)
    if payload is None or payload.get("participant_uuid") != participant.participant_uuid:
        return None
    return participant


def dynamic_token_participant(token: str) -> TeraParticipant | None:
    """The enabled participant of a valid, unrevoked dynamic token."""
    with context.redis_client().pipeline(transaction=False) as pipe:
        pipe.sismember(PARTICIPANT_DISABLED_TOKENS, token)
        pipe.get(RedisVars.RedisVar_ParticipantTokenAPIKey)
        disabled, key = pipe.execute()
    if disabled:
        return None
    payload = verified_payload(token, key or None)
    if payload is None or not payload.get("participant_uuid") or not payload.get("exp"):
        return None
    participant_uuid = str(payload["participant_uuid"])
    if context.fast_paths():
        participant = queries.participant_by_uuid(participant_uuid)
    else:
        participant = TeraParticipant.get_participant_by_uuid(participant_uuid)
    if participant is None or not participant.participant_enabled:
        return None
    return participant


def verify_participant_token(token: str) -> tuple[TeraParticipant, bool] | None:
    """(participant, full access) for a static (limited) or dynamic (full) token, else None."""
    if not token:
        return None
    if context.fast_paths():
        return _verify_in_one_read(token)
    participant = static_token_participant(token)
    if participant is not None:
        return participant, False
    participant = dynamic_token_participant(token)
    if participant is not None:
        return participant, True
    return None


def _verify_in_one_read(token: str) -> tuple[TeraParticipant, bool] | None:
    """verify_participant_token's answer, its two checks' reads made at once (TERASERVER_FAST_PATHS): the Redis
    values of both in one round trip, and both participants in one statement (queries.py), instead of the static
    token's lookup, then the dynamic token's Redis values and participant (issue 14). The rules are those of
    static_token_participant() and dynamic_token_participant(), in that order."""
    claimed, static_key = _token_reads(token)
    by_token, by_uuid = queries.participant_rows_by_token_or_uuid(token, claimed)
    return _verified(token, by_token, by_uuid, static_key)


def verify_participant_token_with_devices(token: str) -> tuple[TeraParticipant, bool, list[TeraDevice]] | None:
    """_verify_in_one_read's answer and, for a dynamic token, the participant's devices (none for a static one),
    read in the same statement (api/direct.py answers GET /api/participant/devices with them)."""
    claimed, static_key = _token_reads(token)
    by_token, by_uuid, devices = queries.participant_rows_by_token_or_uuid_with_devices(token, claimed)
    found = _verified(token, by_token, by_uuid, static_key)
    if found is None:
        return None
    return found[0], found[1], devices if found[1] else []


def _token_reads(token: str) -> tuple[str | None, bytes | None]:
    """The Redis values of both checks in one round trip: (the participant uuid a valid, unrevoked dynamic token
    names, the static tokens' key)."""
    with context.redis_client().pipeline(transaction=False) as pipe:
        pipe.sismember(PARTICIPANT_DISABLED_TOKENS, token)
        pipe.get(RedisVars.RedisVar_ParticipantTokenAPIKey)
        pipe.get(RedisVars.RedisVar_ParticipantStaticTokenAPIKey)
        disabled, dynamic_key, static_key = pipe.execute()
    dynamic = None if disabled else verified_payload(token, dynamic_key or None)
    claimed = (
        str(dynamic["participant_uuid"]) if dynamic and dynamic.get("participant_uuid") and dynamic.get("exp") else None
    )
    return claimed, static_key


def _verified(token: str, by_token: Any, by_uuid: Any, static_key: bytes | None) -> tuple[TeraParticipant, bool] | None:
    """The static check first (the live participant holding the token, enabled with tokens enabled, the token valid
    under the static key and naming it), then the dynamic one (the enabled live participant it names)."""
    if by_token is not None and by_token["participant_enabled"] and by_token["participant_token_enabled"]:
        static = verified_payload(token, static_key)
        if static is not None and static.get("participant_uuid") == by_token["participant_uuid"]:
            return queries.as_participant(by_token), False
    if by_uuid is not None and by_uuid["participant_enabled"]:
        return queries.as_participant(by_uuid), True
    return None


# --- tokens we sign and revoke --------------------------------------------------------------------------------------
def current_dynamic_key() -> bytes:
    key = context.redis_client().get(RedisVars.RedisVar_ParticipantTokenAPIKey)
    if not key:
        raise ParticipantTokenKeyMissing(f"Redis key {RedisVars.RedisVar_ParticipantTokenAPIKey} is missing")
    return key


def sign_dynamic_token(participant: TeraParticipant, lifetime: int = PARTICIPANT_TOKEN_LIFETIME) -> str:
    """The package's own `TeraParticipant.dynamic_token`, so the claims are exactly upstream's."""
    key = current_dynamic_key()
    return participant.dynamic_token(key.decode() if isinstance(key, bytes) else key, expiration=lifetime)


def disable_token(token: str) -> None:
    context.redis_client().sadd(PARTICIPANT_DISABLED_TOKENS, token)


def record_last_online(participant: TeraParticipant) -> None:
    """Best effort, as for users: a concurrent login winning the row-version race keeps its timestamp."""
    try:
        participant.update_last_online()
    except StaleDataError:
        TeraParticipant.db().session.rollback()
        log.info("participant last-online time not recorded: concurrent update")


# --- decorators -----------------------------------------------------------------------------------------------------
def _set_current(participant: TeraParticipant, full: bool, token: str | None) -> None:
    g.current_participant = participant
    g.participant_full_access = full
    g.current_participant_token = token


def _by_basic() -> bool:
    username, password = basic_credentials()
    participant = verify_participant_password(username, password)
    if participant is None:
        return False
    _set_current(participant, True, None)
    return True


def _by_token(token: str) -> bool:
    found = verify_participant_token(token)
    if found is None:
        return False
    _set_current(found[0], found[1], token)
    return True


def _has_role(role: str | None) -> bool:
    return role is None or role == ROLE_LIMITED or (role == ROLE_FULL and g.participant_full_access)


def participant_multi_required(role: str | None = None) -> Callable[[F], F]:
    """Basic or token (chosen as described above); then `role` (None: any authenticated participant)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = header_token()
            ok = _by_token(token) if token is not None else _by_basic()
            if not ok:
                return refused(401)
            if not _has_role(role):
                return refused(403)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def full_access_required(fn: F) -> F:
    """For one method of a resource whose class lets static tokens in (`participant_multi_required(ROLE_LIMITED)`):
    this method needs the `full` role (password or dynamic token); 403 otherwise. Checks the role only."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _has_role(ROLE_FULL):
            return refused(403)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def participant_token_required(role: str | None = None) -> Callable[[F], F]:
    """Token only (scheme compared without case, as flask-httpauth's token form does); then `role`."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            parts = request.headers.get("Authorization", "").split(None, 1)
            token = parts[1].strip() if len(parts) == 2 and parts[0].lower() == TOKEN_SCHEME.lower() else ""
            if not _by_token(token):
                return refused(401)
            if not _has_role(role):
                return refused(403)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def current_participant() -> TeraParticipant:
    return g.current_participant


def has_full_access() -> bool:
    return bool(g.get("participant_full_access"))
