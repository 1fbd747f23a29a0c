"""Helpers every API resource shares: refusals (ClientError), JSON bodies, query arguments, external URLs,
websocket ids, and the one guard around database writes."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from flask import request
from flask_restx import abort, reqparse
from opentera.db.Base import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from teraserver import context

log = logging.getLogger("teraserver.api")

WEBSOCKET_ID_TTL = 60  # seconds; the websocket handshake must consume the id within this window


Answer = tuple[Any, int]  # a body and a status, as a handler may return them


def external_server_and_port() -> tuple[str, str]:
    """Host and port clients use to reach us: NGINX's X_ExternalServer / X-ExternalPort, else our settings.

    werkzeug maps both `X_ExternalServer` and `X-ExternalServer` to the X_EXTERNALSERVER lookup key (the
    underscore spelling reaches us because granian passes such headers through, as upstream's Twisted did).
    """
    settings = context.settings()
    server = request.headers.get("X_EXTERNALSERVER") or settings.hostname
    port = request.headers.get("X_EXTERNALPORT") or str(settings.external_port)
    return server, port


def server_url() -> str:
    """https://<host>:<port> as clients reach us (proxy headers, else our settings)."""
    server, port = external_server_and_port()
    return f"https://{server}:{port}"


def session_id() -> str:
    """Opaque per-client id, computed like Flask-Login's session identifier (sha512 of address|user agent)."""
    base = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha512(base.encode("utf-8")).hexdigest()


def websocket_url(kind: str, owner_uuid: str) -> str:
    """wss URL for the /wss/<kind> websocket, remembering who the id belongs to for 60 s (as upstream).

    Deviation: upstream's id is the login's session identifier, a hash of the client's address and User-Agent,
    so two people behind one proxy with the same browser logging in within a minute share one id, and the
    first to connect gets the socket of the second. Ours is random for each login (128 hex digits, as long).
    """
    server, port = external_server_and_port()
    ws_id = secrets.token_hex(64)
    context.redis_client().set(ws_id, owner_uuid, ex=WEBSOCKET_ID_TTL)
    return f"wss://{server}:{port}/wss/{kind}?id={ws_id}"


class ClientError(Exception):
    """A request the server refuses: answered as upstream does, a JSON string body with this status (or `body`,
    for the few refusals upstream answers with an object)."""

    def __init__(self, message: str, status: int = 400, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # flask-restx answers with `exc.data` when an exception has one: here the bare JSON string upstream sends.
        self.data = message if body is None else body


def forbidden(message: str = "Forbidden") -> ClientError:
    return ClientError(message, 403)


# Body helpers of both API trees (/api/user and /api/service): one implementation, one set of messages.
def json_body() -> dict[str, Any]:
    """The request's JSON body, which must be an object (400 otherwise)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ClientError("Invalid JSON body: expected an object")
    return body


def json_object(key: str) -> Any:
    """`request.json[key]` for POST bodies like {"service": {...}}; 400 naming what is wrong otherwise."""
    body = json_body()
    if key not in body:
        raise ClientError(f"Missing {key}")
    return body[key]


def json_dict(key: str) -> dict[str, Any]:
    """`request.json[key]`, which must itself be an object."""
    value = json_object(key)
    if not isinstance(value, dict):
        raise ClientError(f"Invalid {key}: expected an object")
    return value


def json_objects(key: str) -> list[dict[str, Any]]:
    """`request.json[key]` as a list of objects (a single object is accepted, as upstream does)."""
    return object_or_list(json_object(key), key)


def object_or_list(value: Any, name: str) -> list[dict[str, Any]]:
    """Upstream accepts one object or a list of them (e.g. "service_site"); each must be an object."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        raise ClientError(f"Invalid {name}: expected an object or a list of objects")
    return items


def require_int(data: dict[str, Any], field: str) -> int:
    """An integer field of a posted object (not a bool, not a numeric string): 400 naming it otherwise."""
    value = data.get(field)
    if value is None:
        raise ClientError(f"Missing {field}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClientError(f"Invalid {field}: {value!r} is not an integer")
    return value


def iso_datetime(value: Any, field: str) -> datetime.datetime:
    """A posted ISO 8601 date and time (a datetime passes through); 400 naming the field otherwise."""
    if isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str):
        raise ClientError(f"Invalid {field}: an ISO 8601 string is expected")
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ClientError(f"Invalid {field}: {value!r}") from exc


def optional_int(data: dict[str, Any], field: str) -> int | None:
    """`require_int` when the field is there and not null, else None."""
    return require_int(data, field) if data.get(field) is not None else None


def uuid_list(data: dict[str, Any], field: str) -> list[str] | None:
    """A list of uuid strings, or None when absent; 400 naming the field otherwise."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ClientError(f"Invalid {field}: a list of uuids is expected")
    return value


def strict_args(parser: reqparse.RequestParser, allowed: frozenset[str] = frozenset({"token"})) -> dict[str, Any]:
    """parse_args(strict=True), except that `allowed` arguments pass (default: `token`, a service's or device's
    credentials in the query). Unknown arguments answer flask-restx's own 400 `{"message": "Unknown arguments:
    ..."}`."""
    known = {argument.name for argument in parser.args} | allowed
    unknown = sorted(set(request.args) - known)
    if unknown:
        abort(400, f"Unknown arguments: {', '.join(unknown)}")
    return parser.parse_args()


def to_json_list(rows: list[Any], **to_json_args: Any) -> list[dict[str, Any]]:
    return [row.to_json(**to_json_args) for row in rows]


def row_by_id(model: Any, row_id: int) -> Any:
    """The live row of `model` with that primary key, or None (Query.get is legacy in SQLAlchemy 2)."""
    return model.query.filter(getattr(model, model.get_primary_key_name()) == row_id).first()


InUse = str | Callable[[SQLAlchemyError], str] | None
_KEY_IN_DETAIL = re.compile(r"Key \((?P<column>[\w, ]+)\)")


@contextlib.contextmanager
def database_write(what: str, in_use: InUse = None, *, message: str | None = None, status: int = 400) -> Iterator[None]:
    """Run model writes; what the database (or the model's own integrity check) refuses is the client's: 400,
    after a rollback, with a reason told from the error's code, never the database driver's own text (which
    is logged). So is a value the model cannot convert (a date that is not ISO 8601). Upstream answers 500 to
    most of these (README deviation).

    `in_use`: the message for a row still referenced elsewhere (upstream has one per resource), or a function
    of the error that picks one. `message` (and `status`): one answer for every refusal, where upstream has one.
    """
    try:
        yield
    except (SQLAlchemyError, ValueError, TypeError) as exc:
        BaseModel.db().session.rollback()
        log.info("write refused", extra={"what": what, "reason": str(getattr(exc, "orig", exc))[:300]})
        if message is None:
            message = (
                refusal_reason(exc, what, in_use)
                if isinstance(exc, SQLAlchemyError)
                else f"Cannot save {what}: a value has the wrong type or is out of range"
            )
        raise ClientError(message, status) from exc


def refusal_reason(exc: SQLAlchemyError, what: str, in_use: InUse = None) -> str:
    """Why the database refused a write, in our words: the column when its detail names one, else the kind."""
    if callable(in_use):
        in_use = in_use(exc)
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "pgcode", None)
    detail = getattr(getattr(orig, "diag", None), "message_detail", None) or ""
    key = _KEY_IN_DETAIL.search(detail)
    column = key.group("column") if key else None
    if code == "23505":
        return f"Cannot save {what}: {column or 'a unique value'} already used"
    if code == "23503":
        if in_use is not None:
            return in_use
        return f"Cannot save {what}: {column or 'a referenced row'} not found or still referenced"
    if code == "23502":
        return f"Cannot save {what}: a required value is missing"
    if code == "22001":
        return f"Cannot save {what}: a value is too long"
    if isinstance(exc, DataError):
        return f"Cannot save {what}: a value has the wrong type or is out of range"
    if isinstance(exc, IntegrityError) and in_use is not None:
        return in_use  # the model's own integrity check (delete_check_integrity) or a reference in the database
    return f"Cannot save {what}: refused by the database"
