"""Helpers shared by API resources: external URLs behind the proxy, websocket ids, parser flavours."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from flask import request
from opentera.db.Base import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from teraserver import context

log = logging.getLogger("teraserver.api")

WEBSOCKET_ID_TTL = 60  # seconds; the websocket handshake must consume the id within this window


def external_server_and_port() -> tuple[str, str]:
    """Host and port clients use to reach us: NGINX's X_ExternalServer / X-ExternalPort, else our settings.

    werkzeug maps both `X_ExternalServer` and `X-ExternalServer` to the X_EXTERNALSERVER lookup key (the
    underscore spelling reaches us because granian passes such headers through, as upstream's Twisted did).
    """
    settings = context.settings()
    server = request.headers.get("X_EXTERNALSERVER") or settings.hostname
    port = request.headers.get("X_EXTERNALPORT") or str(settings.external_port)
    return server, port


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
    """A request the server refuses: answered as upstream does, a JSON string body with this status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # flask-restx answers with `exc.data` when an exception has one: here the bare JSON string upstream sends.
        self.data = message


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


InUse = str | Callable[[SQLAlchemyError], str] | None
_KEY_IN_DETAIL = re.compile(r"Key \((?P<column>[\w, ]+)\)")


@contextlib.contextmanager
def database_write(what: str, in_use: InUse = None) -> Iterator[None]:
    """Run model writes; what the database (or the model's own integrity check) refuses is the client's: 400,
    after a rollback, with a reason told from the error's code, never the database driver's own text (which
    is logged). Upstream answers 500 to most of these (README deviation).

    `in_use`: the message for a row still referenced elsewhere (upstream has one per resource), or a function
    of the error that picks one.
    """
    try:
        yield
    except SQLAlchemyError as exc:
        BaseModel.db().session.rollback()
        log.info("write refused by the database", extra={"what": what, "reason": str(getattr(exc, "orig", exc))[:300]})
        raise ClientError(refusal_reason(exc, what, in_use)) from exc


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
