"""Service-token authentication for /api/service/*.

A service proves itself with an HS256 JWT signed with the Redis `ServiceTokenAPIKey` of this TeraServer start,
sent as `Authorization: OpenTera <token>` (priority) or as a `token` request argument. Both token flavours are
accepted: the server-minted one (`iat`, `exp`, `jti`, `iss`) and the package's self-minted one (`iat` only, no
expiry), so `exp` is enforced only when present. The payload's `service_uuid` must name a service row that is
neither soft-deleted nor disabled; its id is kept for the request (`current_service_id()`), the row itself is
loaded only when a handler asks for it (`current_service()`).

Failures answer 401 with the JSON string "Unauthorized" (a malformed Authorization header: "Invalid Token"),
as upstream's device/service decorators do. The key is read from Redis on every request, never cached, so a
key rotation (TeraServer restart) or an edit of the key in Redis takes effect at once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, jsonify, request
from opentera.db.Base import BaseModel
from opentera.db.models.TeraService import TeraService
from opentera.redis.RedisVars import RedisVars
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from teraserver import context
from teraserver.api.common import ClientError
from teraserver.queries import live
from teraserver.verified_tokens import verified_payload

log = logging.getLogger("teraserver.service_auth")

TOKEN_SCHEME = "OpenTera"  # exact spelling: upstream compares the scheme case-sensitively for services

F = TypeVar("F", bound=Callable[..., Any])

UNKNOWN_CALLER = "unknown, deleted or disabled service"


class Refused(Exception):
    """A request without a usable service token: `message` is the 401's body, `reason` goes to the log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


def _json_401(message: str) -> Response:
    response = jsonify(message)
    response.status_code = 401
    return response


def header_token(header: str | None) -> str | None:
    """The token of an `Authorization: OpenTera <token>` header; None for no header or another scheme,
    Refused for a header that is not two words."""
    if header is None:
        return None
    parts = header.split()
    if len(parts) != 2:
        raise Refused("Invalid Token", "malformed Authorization header")
    scheme, token = parts
    return token if scheme == TOKEN_SCHEME else None


def _token_from_arguments() -> str | None:
    """`token` from the query string, a form body or a JSON object body (upstream's non-strict reqparse)."""
    token = request.args.get("token") or request.form.get("token")
    if token:
        return token
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict) and isinstance(body.get("token"), str):
        return body["token"]
    return None


def decode_service_token(token: str, key: bytes | str | None) -> dict[str, Any] | None:
    """Payload of a token signed with `key`; `exp` is checked only when the token carries one."""
    return verified_payload(token, key)


# Core statement, compiled once: authentication runs on every service request, and most handlers (the hot
# GET /api/service/services among them) never need the caller as an ORM object.
_ENABLED_SERVICE_ID = select(TeraService.id_service).where(
    TeraService.service_uuid == bindparam("service_uuid"),
    TeraService.service_enabled.is_(True),
    TeraService.deleted_at.is_(None),
)


def enabled_service_id(service_uuid: str) -> int | None:
    """id of the enabled, not deleted service with that uuid, on the request's own DB connection."""
    connection = BaseModel.db().session.connection()
    return connection.execute(_ENABLED_SERVICE_ID, {"service_uuid": service_uuid}).scalar()


def caller_service_uuid() -> str:
    """service_uuid of a valid service token, or Refused. `?token=` is only looked at without an `OpenTera`
    header. No database access: the caller's row is checked by `authenticate_service` (or by the handler's
    own query, see `service_token_verified`)."""
    token_in_header = header_token(request.headers.get("Authorization"))
    # As upstream: a token in the header is final (a bad one is not rescued by `?token=`).
    token = token_in_header if token_in_header is not None else _token_from_arguments()
    if token is None:
        raise Refused("Unauthorized", "no service token")
    payload = decode_service_token(token, context.redis_client().get(RedisVars.RedisVar_ServiceTokenAPIKey))
    if payload is None:
        raise Refused("Unauthorized", "no valid service token")
    service_uuid = payload_service_uuid(payload)
    if service_uuid is None:
        raise Refused("Unauthorized", "token without service_uuid")
    return service_uuid


def payload_service_uuid(payload: dict[str, Any]) -> str | None:
    """The `service_uuid` claim of a verified token, None when it is missing, empty or not a string."""
    service_uuid = payload.get("service_uuid")
    return service_uuid if isinstance(service_uuid, str) and service_uuid else None


def authenticate_service() -> int:
    """id of the calling service, or Refused."""
    id_service = enabled_service_id(caller_service_uuid())
    if id_service is None:
        raise Refused("Unauthorized", UNKNOWN_CALLER)
    return id_service


def _refused(refused: Refused) -> Response:
    log.info("service request refused", extra={"reason": refused.reason, "path": request.path})
    return _json_401(refused.message)


def _guard(fn: F, authenticate: Callable[[], Any], attribute: str) -> F:
    """`fn` run only when `authenticate()` returns; its result is kept as `g.<attribute>`, a refusal is a 401."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            setattr(g, attribute, authenticate())
        except Refused as refused:
            return _refused(refused)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def service_token_required(fn: F) -> F:
    """Run the resource method only for an authenticated, enabled service (see `current_service()`)."""
    return _guard(fn, authenticate_service, "current_service_id")


def service_token_verified(fn: F) -> F:
    """The token half of `service_token_required`, for a hot handler that folds the other half (the caller is
    an enabled, not deleted service) into its own query, saving a database round trip.

    The handler reads the caller's uuid from `g.caller_service_uuid`, must join `CALLER` with
    `caller_conditions()` (or call `enabled_service_id`), answer `unknown_caller()` when no caller row comes
    back, and set `g.current_service_id` otherwise.
    """
    return _guard(fn, caller_service_uuid, "caller_service_uuid")


# The caller's row in a handler's own query (see service_token_verified).
CALLER = aliased(TeraService, name="caller")


def caller_conditions() -> tuple[Any, ...]:
    """WHERE conditions selecting the enabled, not deleted caller of `service_token_verified` as `CALLER`."""
    return (
        CALLER.service_uuid == bindparam("caller_uuid"),
        CALLER.service_enabled.is_(True),
        CALLER.deleted_at.is_(None),
    )


def unknown_caller() -> Response:
    """The 401 of `service_token_required` for a token whose service is unknown, deleted or disabled."""
    return _refused(Refused("Unauthorized", UNKNOWN_CALLER))


def current_service_id() -> int:
    return g.current_service_id


def current_service() -> TeraService:
    """The caller's row, loaded on first use in the request (same session, so same transaction snapshot)."""
    if "current_service" not in g:
        service = live(TeraService).filter(TeraService.id_service == g.current_service_id).first()
        if service is None:  # deleted since the authentication a few milliseconds ago
            raise ClientError("Unauthorized", 401)
        g.current_service = service
    return g.current_service
