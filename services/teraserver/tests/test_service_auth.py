"""service_auth: the service-token decorator of /api/service/*, on a Flask app of its own.

The services live in an in-memory SQLite database (the package's TeraService table, nothing else), so the real
"enabled, not deleted service with that uuid" query runs; Redis is a dict holding the ServiceTokenAPIKey.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from opentera.db.Base import BaseModel
from opentera.db.models.TeraService import TeraService
from opentera.redis.RedisVars import RedisVars

from teraserver import context, service_auth

KEY = "service-token-key-" + "k" * 14


class DictRedis:
    """The one Redis call service_auth makes (GET of the key), answered from a dict, as bytes like redis-py."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> bytes | None:
        value = self.values.get(name)
        return value.encode() if value is not None else None


def add_service(key: str, *, enabled: bool = True, deleted: bool = False) -> str:
    service_uuid = str(uuid.uuid4())  # kept: reading a soft-deleted row back after the commit fails
    service = TeraService()
    service.service_uuid = service_uuid
    service.service_key = key
    service.service_name = key
    service.service_hostname = "localhost"
    service.service_port = 4000
    service.service_endpoint = "/"
    service.service_clientendpoint = "/" + key.lower()
    service.service_enabled = enabled
    if deleted:
        service.deleted_at = datetime.now(UTC)
    BaseModel.db().session.add(service)
    BaseModel.db().session.commit()
    return service_uuid


@pytest.fixture
def redis_values() -> dict[str, str]:
    return {RedisVars.RedisVar_ServiceTokenAPIKey: KEY}


@pytest.fixture
def app(redis_values: dict[str, str]) -> Iterator[Flask]:
    app = Flask("service-auth-test")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy()
    db.init_app(app)
    BaseModel.set_db(db)
    context.attach(app, settings=None, client=DictRedis(redis_values))  # type: ignore[arg-type]

    @app.route("/whoami", methods=["GET", "POST"])
    @service_auth.service_token_required
    def whoami() -> Any:
        return jsonify({"id": service_auth.current_service_id(), "key": service_auth.current_service().service_key})

    with app.app_context():
        TeraService.__table__.create(db.engine)
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def services(app: Flask) -> dict[str, str]:
    """uuid of each kind of service row."""
    return {
        "enabled": add_service("Enabled"),
        "disabled": add_service("Disabled", enabled=False),
        "deleted": add_service("Deleted", deleted=True),
    }


def token(service_uuid: str | None, key: str = KEY, **claims: Any) -> str:
    """As the package mints it: iat and service_uuid only, unless more claims are given."""
    payload: dict[str, Any] = {"iat": int(time.time()), **claims}
    if service_uuid is not None:
        payload["service_uuid"] = service_uuid
    return jwt.encode(payload, key, algorithm="HS256")


def header(value: str) -> dict[str, str]:
    return {"Authorization": value}


def assert_refused(response: Any, message: str = "Unauthorized") -> None:
    assert response.status_code == 401
    assert response.get_json() == message  # a JSON string body, as upstream's service decorator


# --- where the token comes from -----------------------------------------------------------------------------------
def test_header_token(client: FlaskClient, services: dict[str, str]) -> None:
    response = client.get("/whoami", headers=header("OpenTera " + token(services["enabled"])))
    assert response.status_code == 200
    assert response.get_json()["key"] == "Enabled"
    assert isinstance(response.get_json()["id"], int)


def test_query_string_token(client: FlaskClient, services: dict[str, str]) -> None:
    response = client.get("/whoami", query_string={"token": token(services["enabled"])})
    assert (response.status_code, response.get_json()["key"]) == (200, "Enabled")


def test_form_and_json_body_tokens(client: FlaskClient, services: dict[str, str]) -> None:
    assert client.post("/whoami", data={"token": token(services["enabled"])}).status_code == 200
    assert client.post("/whoami", json={"token": token(services["enabled"])}).status_code == 200
    assert_refused(client.post("/whoami", json={"token": 12}))
    assert_refused(client.post("/whoami", json=["not", "an", "object"]))


def test_a_bad_header_token_is_not_rescued_by_the_query_string(client: FlaskClient, services: dict[str, str]) -> None:
    good = token(services["enabled"])
    assert_refused(client.get("/whoami", headers=header("OpenTera bad"), query_string={"token": good}))


def test_another_scheme_falls_back_to_the_query_string(client: FlaskClient, services: dict[str, str]) -> None:
    good = token(services["enabled"])
    assert client.get("/whoami", headers=header("Bearer " + good), query_string={"token": good}).status_code == 200
    # The scheme is compared case-sensitively, as upstream does for services.
    assert_refused(client.get("/whoami", headers=header("opentera " + good)))
    assert_refused(client.get("/whoami", headers=header("Basic dXNlcjpwYXNz")))


@pytest.mark.parametrize("value", ["OpenTera", "OpenTera a b", "   "])
def test_malformed_header(client: FlaskClient, services: dict[str, str], value: str) -> None:
    assert_refused(client.get("/whoami", headers=header(value)), "Invalid Token")


def test_no_token(client: FlaskClient, services: dict[str, str]) -> None:
    assert_refused(client.get("/whoami"))
    assert_refused(client.get("/whoami", query_string={"token": ""}))


# --- expiry and key ---------------------------------------------------------------------------------------------
def test_exp_is_checked_only_when_present(client: FlaskClient, services: dict[str, str]) -> None:
    enabled = services["enabled"]
    assert client.get("/whoami", headers=header("OpenTera " + token(enabled))).status_code == 200  # no exp
    later = token(enabled, exp=int(time.time()) + 3600, jti="j", iss="TeraServer")
    assert client.get("/whoami", headers=header("OpenTera " + later)).status_code == 200
    expired = token(enabled, exp=int(time.time()) - 10)
    assert_refused(client.get("/whoami", headers=header("OpenTera " + expired)))


def test_wrong_or_missing_key(client: FlaskClient, services: dict[str, str], redis_values: dict[str, str]) -> None:
    signed = token(services["enabled"])
    assert_refused(client.get("/whoami", headers=header("OpenTera " + token(services["enabled"], key="other"))))
    assert_refused(client.get("/whoami", headers=header("OpenTera not.a.jwt")))
    # The key is read on every request: a rotation (TeraServer restart) voids earlier tokens at once.
    redis_values[RedisVars.RedisVar_ServiceTokenAPIKey] = "rotated-" + "r" * 24
    assert_refused(client.get("/whoami", headers=header("OpenTera " + signed)))
    del redis_values[RedisVars.RedisVar_ServiceTokenAPIKey]
    assert_refused(client.get("/whoami", headers=header("OpenTera " + signed)))


def test_other_algorithms_are_refused(client: FlaskClient, services: dict[str, str]) -> None:
    unsigned = jwt.encode({"iat": int(time.time()), "service_uuid": services["enabled"]}, None, algorithm="none")
    assert_refused(client.get("/whoami", headers=header("OpenTera " + unsigned)))


# --- which service -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["disabled", "deleted"])
def test_disabled_or_deleted_service(client: FlaskClient, services: dict[str, str], kind: str) -> None:
    assert_refused(client.get("/whoami", headers=header("OpenTera " + token(services[kind]))))


def test_unknown_or_missing_service_uuid(client: FlaskClient, services: dict[str, str]) -> None:
    assert_refused(client.get("/whoami", headers=header("OpenTera " + token(str(uuid.uuid4())))))
    assert_refused(client.get("/whoami", headers=header("OpenTera " + token(None))))
    assert_refused(
        client.get(
            "/whoami",
            headers=header(
                "OpenTera " + jwt.encode({"iat": int(time.time()), "service_uuid": 42}, KEY, algorithm="HS256")
            ),
        )
    )
    assert_refused(client.get("/whoami", headers=header("OpenTera " + token(""))))


def test_decode_service_token() -> None:
    signed = token("u")
    assert service_auth.decode_service_token(signed, KEY)["service_uuid"] == "u"
    assert service_auth.decode_service_token(signed, KEY.encode())["service_uuid"] == "u"  # Redis gives bytes
    assert service_auth.decode_service_token(signed, None) is None
    assert service_auth.decode_service_token("", KEY) is None
    assert service_auth.decode_service_token(signed, "other") is None
