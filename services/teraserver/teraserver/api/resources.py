"""The API's one convention: base resource classes per client family, and an explicit route table.

A resource is a flask-restx `Resource` subclass of its family's base class below. The base class carries the
family's authentication in `method_decorators`, so a handler starts with an authenticated caller; a resource
that authenticates otherwise (login with a password, the 2FA pages' browser session...) sets its own
`method_decorators`. Handlers refuse a request by raising `ClientError` (api/common.py); the API's error
handlers (api/__init__.py) answer it, and map what the database refuses and an unreachable backend, in one
place for every family.

Each family package lists its resources in `routes.py` (`ROUTES`, by URL), read by its `register`.
A route may name the opentera model its GET answers with: Swagger then shows that model's fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_restx import Api, Model, Namespace, Resource, fields
from opentera.db.Base import BaseModel
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, inspect
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError, StatementError

from teraserver import auth, context, database, participant_auth
from teraserver.api.common import ClientError
from teraserver.device_auth import device_token_required
from teraserver.service_auth import service_token_required

log = logging.getLogger("teraserver.api")


class ApiResource(Resource):
    """What every resource shares: a value the database refuses that the handler did not anticipate with
    `database_write` is the client's mistake, answered 400 after a rollback, without the driver's text (which is
    logged); so is a value the opentera models refuse themselves (they raise the plain SQLAlchemyError). An
    unreachable database is the API's 503 (api/__init__.py); any other database error stays a 500. A ValueError
    or TypeError raised inside the opentera models (a posted value they cannot convert) is a 400 too; raised in
    our code it is a bug, and stays a 500. A handler marked `database.reads_without_transaction` runs without a
    transaction, from before authentication."""

    def dispatch_request(self, *args: Any, **kwargs: Any) -> Any:
        method = "get" if request.method == "HEAD" else request.method.lower()
        handler = getattr(self, method, None)
        if getattr(handler, "reads_without_transaction", False) and context.settings().fast_paths:
            database.begin_autocommit()  # before the authentication's query
        try:
            return super().dispatch_request(*args, **kwargs)
        except OperationalError:
            raise
        except (IntegrityError, DataError, StatementError) as error:
            BaseModel.db().session.rollback()
            log.info("request refused by the database", extra={"error": str(getattr(error, "orig", error))[:300]})
            raise ClientError("Invalid data: refused by the database") from error
        except SQLAlchemyError as error:
            BaseModel.db().session.rollback()
            if type(error) is SQLAlchemyError:
                raise ClientError(f"Invalid data: {error}") from error
            raise
        except (ValueError, TypeError) as error:
            if not _raised_by_the_models(error):
                raise  # ours: a bug, answered 500 and logged
            BaseModel.db().session.rollback()
            log.info("value refused by the models", extra={"error": repr(error)[:300]})
            raise ClientError("Invalid data: a value has the wrong type or format") from error


def _raised_by_the_models(error: BaseException) -> bool:
    """Whether the innermost Python frame of the error is the opentera package's (a model converting a posted
    value: `from_json`, `update`), where a wrong value is the client's mistake, not ours."""
    traceback = error.__traceback__
    if traceback is None:
        return False
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return str(traceback.tb_frame.f_globals.get("__name__", "")).startswith("opentera.")


class UserResource(ApiResource):
    """/api/user: a user with Basic credentials or `OpenTera <token>` (user_multi_required)."""

    method_decorators: list[Callable[..., Any]] = [auth.user_multi_required]


class ServiceResource(ApiResource):
    """/api/service: a service with its token (header or `?token=`)."""

    method_decorators: list[Callable[..., Any]] = [service_token_required]


class ParticipantResource(ApiResource):
    """/api/participant: a participant with Basic credentials or a dynamic token (role `full`). A resource that
    static tokens (role `limited`) may reach says so with `participant_multi_required(ROLE_LIMITED)`."""

    method_decorators: list[Callable[..., Any]] = [
        participant_auth.participant_multi_required(participant_auth.ROLE_FULL)
    ]


class DeviceResource(ApiResource):
    """/api/device: a device with its static token (header or `?token=`)."""

    method_decorators: list[Callable[..., Any]] = [device_token_required]


class PublicResource(ApiResource):
    """No authentication, where upstream has none either (device registration checks its own key; the
    test-mode reset). Say why in the class."""

    method_decorators: list[Callable[..., Any]] = []


@dataclass(frozen=True)
class Route:
    """One line of a family's route table: URL (relative to the family's path), resource, answer model."""

    url: str
    resource: type[Resource]
    # The opentera model (SQLAlchemy class) whose JSON form GET answers with (one object or a list of them).
    returns: type | None = None


def register_routes(api: Api, ns: Namespace, routes: Sequence[Route]) -> None:
    """Add every route to `ns`, documenting answer models, then `ns` to the API."""
    for route in routes:
        if route.returns is not None and hasattr(route.resource, "get"):
            _document_answer(ns, route.resource, route.returns)
        ns.add_resource(route.resource, route.url)
    api.add_namespace(ns)


_COLUMN_FIELDS: tuple[tuple[type, type[fields.Raw]], ...] = (
    (Boolean, fields.Boolean),
    (Integer, fields.Integer),
    (Float, fields.Float),
    (Numeric, fields.Float),
    (DateTime, fields.DateTime),
    (Date, fields.Date),
)


# Columns no answer carries: soft-delete and optimistic-lock bookkeeping, secrets.
_UNSENT_COLUMNS = {"deleted_at", "version_id"}
_SECRET_SUFFIXES = ("_password", "_certificate", "_otp_secret")


def answer_model(ns: Namespace, model_class: type) -> Model:
    """A Swagger model with the columns an opentera model's JSON form carries. Documentation only: answers are
    the model's own `to_json`, never marshalled, so a form's extra fields (counts, names of linked rows) still
    reach clients and a `list` form sends fewer."""
    name = model_class.__name__
    if name in ns.models:
        return ns.models[name]
    properties: dict[str, fields.Raw] = {}
    for column in inspect(model_class).columns:
        if column.key in _UNSENT_COLUMNS or column.key.endswith(_SECRET_SUFFIXES):
            continue
        field_class = next((f for t, f in _COLUMN_FIELDS if isinstance(column.type, t)), fields.String)
        properties[column.key] = field_class()
    return ns.model(name, properties)


def _document_answer(ns: Namespace, resource: type[Resource], model_class: type) -> None:
    model = answer_model(ns, model_class)
    handler = resource.get
    described = getattr(handler, "__apidoc__", {}).get("responses", {})
    # The handler's own 200 description is kept; the model is added to it.
    description = described.pop(200, None) or described.pop("200", None) or "Success"
    if isinstance(description, tuple):
        description = description[0]
    ns.response(200, description, model)(handler)
