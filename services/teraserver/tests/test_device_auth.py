"""device_auth: the static device token check of /api/device/*, on a Flask app of its own.

Devices live in an in-memory SQLite database holding the package's whole schema; their tokens are minted by
the package's own `TeraDevice.insert` (signed with the `TokenEncryptionKey` server setting), so the real lookup
runs: token column match, signature under the database key, `device_uuid` claim, enabled flag.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from opentera.db.Base import BaseModel
from opentera.db.models import TeraDevice, TeraDeviceType, TeraServerSettings

from teraserver import device_auth

KEY = "device-token-key-" + "d" * 15


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask("device-auth-test")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy()
    db.init_app(app)
    BaseModel.set_db(db)

    @app.route("/whoami", methods=["GET", "POST"])
    @device_auth.device_token_required
    def whoami() -> Any:
        return jsonify({"id": device_auth.current_device().id_device})

    with app.app_context():
        BaseModel.metadata.create_all(db.engine)
        TeraServerSettings.set_server_setting(TeraServerSettings.ServerDeviceTokenKey, KEY)
        device_type = TeraDeviceType()
        device_type.device_type_key = "capteur"
        device_type.device_type_name = "capteur"
        TeraDeviceType.insert(device_type)
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def add_device(*, enabled: bool = True) -> TeraDevice:
    device = TeraDevice()
    device.device_name = "Device " + uuid.uuid4().hex[:6]
    device.id_device_type = TeraDeviceType.get_device_type_by_key("capteur").id_device_type
    device.device_enabled = enabled
    device.device_onlineable = False
    TeraDevice.insert(device)  # mints device_token with the database key
    return device


def header(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def test_header_token_of_an_enabled_device_passes(client: FlaskClient) -> None:
    device = add_device()
    response = client.get("/whoami", headers=header(device.device_token))
    assert response.status_code == 200
    assert response.json == {"id": device.id_device}


@pytest.mark.parametrize("where", ["query", "form", "json"])
def test_token_argument_passes(client: FlaskClient, where: str) -> None:
    device = add_device()
    token = device.device_token
    if where == "query":
        response = client.get("/whoami", query_string={"token": token})
    elif where == "form":
        response = client.post("/whoami", data={"token": token})
    else:
        response = client.post("/whoami", json={"token": token})
    assert (response.status_code, response.json) == (200, {"id": device.id_device})


def test_no_token_is_unauthorized_json_string(client: FlaskClient) -> None:
    response = client.get("/whoami")
    assert response.status_code == 401
    assert response.json == "Unauthorized"


@pytest.mark.parametrize("value", ["OpenTera", "", "   "])
def test_malformed_header_is_invalid_token(client: FlaskClient, value: str) -> None:
    device = add_device()
    response = client.get("/whoami", headers={"Authorization": value}, query_string={"token": device.device_token})
    assert (response.status_code, response.json) == (401, "Invalid token")


def test_disabled_device_header_says_disabled_argument_says_unauthorized(client: FlaskClient) -> None:
    device = add_device(enabled=False)
    by_header = client.get("/whoami", headers=header(device.device_token))
    assert (by_header.status_code, by_header.json) == (401, "Disabled device")
    by_argument = client.get("/whoami", query_string={"token": device.device_token})
    assert (by_argument.status_code, by_argument.json) == (401, "Unauthorized")


def test_unknown_header_token_falls_back_to_the_argument(client: FlaskClient) -> None:
    device = add_device()
    response = client.get("/whoami", headers=header("not-a-device-token"), query_string={"token": device.device_token})
    assert (response.status_code, response.json) == (200, {"id": device.id_device})


def test_other_schemes_are_ignored(client: FlaskClient) -> None:
    device = add_device()
    assert client.get("/whoami", headers={"Authorization": f"opentera {device.device_token}"}).status_code == 401
    basic = client.get("/whoami", headers={"Authorization": "Basic eDp5"}, query_string={"token": device.device_token})
    assert basic.status_code == 200


def test_token_not_stored_on_any_device_is_refused(client: FlaskClient) -> None:
    device = add_device()
    forged = jwt.encode({"device_uuid": device.device_uuid, "id_device": device.id_device}, KEY, algorithm="HS256")
    assert client.get("/whoami", headers=header(forged)).status_code == 401


def test_stored_token_signed_with_another_key_is_refused(client: FlaskClient) -> None:
    device = add_device()
    other = jwt.encode({"device_uuid": device.device_uuid, "id_device": device.id_device}, "x" * 32, algorithm="HS256")
    TeraDevice.update(device.id_device, {"device_token": other})
    assert client.get("/whoami", headers=header(other)).status_code == 401


def test_token_naming_another_device_is_refused(client: FlaskClient) -> None:
    first, second = add_device(), add_device()
    swapped = first.device_token
    TeraDevice.update(first.id_device, {"device_token": None})
    TeraDevice.update(second.id_device, {"device_token": swapped})
    assert client.get("/whoami", headers=header(swapped)).status_code == 401


def test_new_database_key_voids_old_tokens(client: FlaskClient) -> None:
    device = add_device()
    TeraServerSettings.set_server_setting(TeraServerSettings.ServerDeviceTokenKey, "another-key-" + "z" * 20)
    assert client.get("/whoami", headers=header(device.device_token)).status_code == 401


def test_soft_deleted_device_is_refused(client: FlaskClient) -> None:
    device = add_device()
    token = device.device_token
    TeraDevice.delete(device.id_device)
    assert client.get("/whoami", headers=header(token)).status_code == 401


def test_certificate_header_alone_is_not_trusted(client: FlaskClient) -> None:
    device = add_device()
    assert client.get("/whoami", headers={"X-Device-Uuid": device.device_uuid}).status_code == 401
