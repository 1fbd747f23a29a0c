"""Helpers shared by the /api/service/* resources: caller access, JSON bodies, error mapping, server URLs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request
from flask_restx import abort, reqparse
from opentera.db.Base import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError, StatementError
from werkzeug.exceptions import HTTPException

# ClientError (message, status) is shared with /api/user: raising it anywhere answers the JSON string + status.
# So are the JSON body helpers (api/common.py); the /api/service modules import them from here.
from teraserver.api.common import ClientError, external_server_and_port, json_dict, require_int
from teraserver.api.common import json_body as json_body
from teraserver.api.common import json_objects as json_objects
from teraserver.api.service.namespace import ns
from teraserver.service_access import ServiceAccess
from teraserver.service_auth import current_service_id

log = logging.getLogger("teraserver.api.service")

F = TypeVar("F", bound=Callable[..., Any])
Answer = tuple[Any, int]


def service_access() -> ServiceAccess:
    """The caller's access scope, built once per request."""
    if "service_access" not in g:
        g.service_access = ServiceAccess(current_service_id())
    return g.service_access


def strict_args(parser: reqparse.RequestParser) -> dict[str, Any]:
    """parse_args(strict=True) as upstream, except that the `token` argument (service auth) is always allowed.

    Unknown query arguments answer flask-restx's own 400 `{"message": "Unknown arguments: ..."}`.
    """
    known = {argument.name for argument in parser.args} | {"token"}
    unknown = sorted(set(request.args) - known)
    if unknown:
        abort(400, f"Unknown arguments: {', '.join(unknown)}")
    return parser.parse_args()


# The body helpers are api/common.py's; these names are the ones the /api/service modules use.
json_object = json_dict  # here `body[name]` must be an object
required_int = require_int


def optional_int(values: dict[str, Any], name: str) -> int | None:
    return required_int(values, name) if values.get(name) is not None else None


def uuid_list(values: dict[str, Any], name: str) -> list[str] | None:
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ClientError(f"Invalid {name}: a list of uuids is expected")
    return value


def client_errors(fn: F) -> F:
    """Answer client mistakes with 4xx instead of upstream's 500s (bad types, unknown ids, DB constraints).

    ClientError carries its own status; a value of the wrong type reaching the models (KeyError, TypeError,
    ValueError, AttributeError) or a constraint the database refuses is a bad request; any other database
    failure stays a 500.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HTTPException:
            raise
        except ClientError as error:
            _rollback()
            return error.message, error.status
        except (IntegrityError, DataError, StatementError) as error:
            _rollback()
            log.info("request refused by the database", extra={"path": request.path, "error": str(error.orig)})
            return "Invalid data: refused by the database", 400
        except SQLAlchemyError as error:
            _rollback()
            if type(error) is SQLAlchemyError:
                # The models raise the base class themselves to refuse values (BaseModel.update: unknown field,
                # primary key change, no such row): the client's mistake. Driver errors are subclasses.
                return f"Invalid data: {error}", 400
            log.exception("database error", extra={"path": request.path})
            return "Database error", 500
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            _rollback()
            log.info("invalid request data", extra={"path": request.path, "error": repr(error)})
            return f"Invalid request data: {error}", 400

    return wrapper  # type: ignore[return-value]


def _rollback() -> None:
    session = BaseModel.db().session
    session.rollback()


def server_url() -> str:
    """https://<host>:<port> as clients reach us (proxy headers, else our settings)."""
    server, port = external_server_and_port()
    return f"https://{server}:{port}"


def to_json_list(rows: list[Any], **to_json_args: Any) -> list[dict[str, Any]]:
    return [row.to_json(**to_json_args) for row in rows]


def body_model(name: str, properties: dict[str, Any]) -> Any:
    """A Swagger body schema for a POST (documentation: handlers check bodies themselves and answer 400).

    `properties` is usually the model's own `get_json_schema()`, i.e. `{"<object name>": {"properties": ...}}`,
    as upstream documents its bodies.
    """
    return ns.schema_model(name, {"type": "object", "properties": properties})


def row_by_id(model: Any, row_id: int) -> Any:
    """The live row of `model` with that primary key, or None (Query.get is legacy in SQLAlchemy 2)."""
    return model.query.filter(getattr(model, model.get_primary_key_name()) == row_id).first()
