"""participant_auth: the Basic / dynamic token / static token checks of /api/participant/* and their roles.

The participants live in an in-memory SQLite database (the package's schema), so the package's own
`TeraParticipant.verify_password` (bcrypt) and lookups run; Redis is a small in-memory stand-in holding the token
keys, the revoked-token set and the login-attempt counters.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from typing import Any

import bcrypt
import jwt
import opentera.db.models  # noqa: F401  (registers every model)
import pytest
from flask import Flask, g, jsonify
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from opentera.db.Base import BaseModel
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.messages.python.LoginEvent_pb2 import LoginEvent
from opentera.messages.python.TeraEvent_pb2 import TeraEvent
from opentera.redis.RedisVars import RedisVars

from teraserver import context, participant_auth
from teraserver.redis_state import PARTICIPANT_DISABLED_TOKENS

DYNAMIC_KEY = "dynamic-participant-key-" + "d" * 8
STATIC_KEY = "static-participant-key-" + "s" * 9
PASSWORD = "opentera"


class FakeRedis:
    """The Redis calls participant_auth makes, on dicts (values come back as bytes, like redis-py)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.ttl: dict[str, int] = {}
        self.sets: dict[str, set[str]] = {}
        self.lists: dict[str, list[bytes]] = {}

    def get(self, name: str) -> bytes | None:
        value = self.values.get(name)
        return str(value).encode() if value is not None else None

    def set(self, name: str, value: Any, ex: int | None = None) -> None:
        self.values[name] = str(value)
        if ex is not None:
            self.ttl[name] = ex

    def delete(self, name: str) -> None:
        self.values.pop(name, None)
        self.ttl.pop(name, None)

    def incr(self, name: str) -> int:
        self.values[name] = str(int(self.values.get(name, 0)) + 1)
        return int(self.values[name])

    def expire(self, name: str, seconds: int) -> None:
        self.ttl[name] = seconds

    def sadd(self, name: str, value: str) -> None:
        self.sets.setdefault(name, set()).add(value)

    def sismember(self, name: str, value: str) -> bool:
        return value in self.sets.get(name, set())

    def rpush(self, name: str, value: bytes) -> None:
        self.lists.setdefault(name, []).append(value)

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, client: FakeRedis) -> None:
        self.client = client
        self.calls: list[Any] = []

    def __enter__(self) -> FakePipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def sismember(self, name: str, value: str) -> None:
        self.calls.append(lambda: self.client.sismember(name, value))

    def get(self, name: str) -> None:
        self.calls.append(lambda: self.client.get(name))

    def incr(self, name: str) -> None:
        self.calls.append(lambda: self.client.incr(name))

    def expire(self, name: str, seconds: int) -> None:
        self.calls.append(lambda: self.client.expire(name, seconds))

    def execute(self) -> list[Any]:
        return [call() for call in self.calls]


@pytest.fixture
def fake_redis() -> FakeRedis:
    client = FakeRedis()
    client.set(RedisVars.RedisVar_ParticipantTokenAPIKey, DYNAMIC_KEY)
    client.set(RedisVars.RedisVar_ParticipantStaticTokenAPIKey, STATIC_KEY)
    return client


@pytest.fixture
def app(fake_redis: FakeRedis) -> Iterator[Flask]:
    app = Flask("participant-auth-test")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy()
    db.init_app(app)
    BaseModel.set_db(db)
    context.attach(app, settings=None, client=fake_redis)  # type: ignore[arg-type]

    def whoami() -> Any:
        return jsonify(
            {
                "uuid": g.current_participant.participant_uuid,
                "full": g.participant_full_access,
                "token": g.current_participant_token,
            }
        )

    app.add_url_rule("/any", "any", participant_auth.participant_multi_required()(whoami))
    app.add_url_rule("/limited", "limited", participant_auth.participant_multi_required("limited")(whoami))
    app.add_url_rule("/full", "full", participant_auth.participant_multi_required("full")(whoami))
    app.add_url_rule("/token_full", "token_full", participant_auth.participant_token_required("full")(whoami))

    with app.app_context():
        BaseModel.metadata.create_all(db.engine)
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def add_participant(
    username: str | None = "p1",
    *,
    enabled: bool = True,
    login_enabled: bool = True,
    token_enabled: bool = True,
    static_key: str = STATIC_KEY,
) -> TeraParticipant:
    participant = TeraParticipant()
    participant.participant_uuid = str(uuid.uuid4())
    participant.participant_name = f"Participant {username}"
    participant.participant_username = username
    participant.participant_password = TeraParticipant.encrypt_password(PASSWORD)
    participant.participant_enabled = enabled
    participant.participant_login_enabled = login_enabled
    participant.participant_token_enabled = token_enabled
    participant.id_project = 1
    BaseModel.db().session.add(participant)
    BaseModel.db().session.commit()
    payload = {"iss": "TeraServer", "jti": str(uuid.uuid4()), "participant_uuid": participant.participant_uuid}
    participant.participant_token = jwt.encode({**payload, "id_participant": participant.id_participant}, static_key)
    BaseModel.db().session.commit()
    return participant


def basic(username: str, password: str, scheme: str = "Basic") -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"{scheme} {encoded}"}


def opentera(token: str, scheme: str = "OpenTera") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def dynamic(participant: TeraParticipant, key: str = DYNAMIC_KEY, lifetime: int = 3600) -> str:
    return participant.dynamic_token(key, expiration=lifetime)


def assert_refused(response: Any, status: int = 401) -> None:
    assert response.status_code == status
    assert response.get_data(as_text=True) == "Unauthorized"


# --- Basic ------------------------------------------------------------------------------------------------------------
def test_password_gives_full_access(client: FlaskClient) -> None:
    participant = add_participant()
    response = client.get("/full", headers=basic("p1", PASSWORD))
    assert response.status_code == 200
    assert response.get_json() == {"uuid": participant.participant_uuid, "full": True, "token": None}


def test_basic_scheme_word_is_not_checked(client: FlaskClient) -> None:
    add_participant()
    assert client.get("/full", headers=basic("p1", PASSWORD, scheme="basic")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic not-base64!"}, {"Authorization": "Basic"}],
    ids=["no header", "garbage", "no credentials"],
)
def test_missing_or_unreadable_credentials(client: FlaskClient, headers: dict[str, str]) -> None:
    add_participant()
    assert_refused(client.get("/any", headers=headers))


def test_wrong_password_counts_and_five_failures_lock_the_login(client: FlaskClient, fake_redis: FakeRedis) -> None:
    participant = add_participant()
    key = RedisVars.RedisVar_ParticipantLoginAttemptKey + participant.participant_uuid
    for attempt in range(1, 6):
        assert_refused(client.get("/any", headers=basic("p1", "wrong")))
        assert fake_redis.values[key] == str(attempt)
        assert fake_redis.ttl[key] == 120
    # Locked: even the right password is refused (the refused attempt counts too and restarts the window).
    assert_refused(client.get("/any", headers=basic("p1", PASSWORD)))
    assert fake_redis.values[key] == "6" and fake_redis.ttl[key] == 120
    # The counter expired: the right password works again and clears it.
    fake_redis.delete(key)
    fake_redis.set(key, 4, ex=120)
    assert client.get("/any", headers=basic("p1", PASSWORD)).status_code == 200
    assert key not in fake_redis.values


def test_unknown_username_is_not_counted(
    client: FlaskClient, fake_redis: FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_participant()
    checked: list[bytes] = []
    real_checkpw = bcrypt.checkpw
    monkeypatch.setattr(
        bcrypt, "checkpw", lambda password, hashed: checked.append(password) or real_checkpw(password, hashed)
    )
    assert_refused(client.get("/any", headers=basic("nobody", PASSWORD)))
    assert not [name for name in fake_redis.values if name.startswith("ParticipantLoginAttempts.")]
    # An unknown name still costs a bcrypt check, so timing does not tell which names exist.
    assert checked == [PASSWORD.encode()]


def test_password_refusals_are_error_login_events(client: FlaskClient, fake_redis: FakeRedis) -> None:
    participant = add_participant()
    assert_refused(client.get("/any", headers=basic("p1", "wrong")))
    assert_refused(client.get("/any", headers=basic("nobody", PASSWORD)))
    events = []
    for raw in fake_redis.lists["log.error"]:
        event = TeraEvent()
        event.ParseFromString(raw)
        login = LoginEvent()
        assert event.events[0].Unpack(login)
        events.append(login)
    assert [(e.login_status, e.participant_uuid, e.log_header.message) for e in events] == [
        (LoginEvent.LOGIN_STATUS_FAILED_WITH_WRONG_PASSWORD, participant.participant_uuid, ""),
        (LoginEvent.LOGIN_STATUS_FAILED_WITH_WRONG_USERNAME, "", "nobody"),
    ]
    assert {e.log_header.sender for e in events} == {"LoginModule.participant_verify_password"}
    assert "log.info" not in fake_redis.lists


@pytest.mark.parametrize(("enabled", "login_enabled"), [(False, True), (True, False)])
def test_disabled_participant_or_login_is_refused(client: FlaskClient, enabled: bool, login_enabled: bool) -> None:
    add_participant(enabled=enabled, login_enabled=login_enabled)
    assert_refused(client.get("/any", headers=basic("p1", PASSWORD)))


# --- static token -----------------------------------------------------------------------------------------------------
def test_static_token_is_limited(client: FlaskClient) -> None:
    participant = add_participant()
    token = participant.participant_token
    response = client.get("/limited", headers=opentera(token))
    assert response.status_code == 200
    assert response.get_json() == {"uuid": participant.participant_uuid, "full": False, "token": token}
    assert_refused(client.get("/full", headers=opentera(token)), 403)
    assert_refused(client.get("/token_full", headers=opentera(token)), 403)


@pytest.mark.parametrize(
    "change",
    ["token disabled", "participant disabled", "other key", "not in the column"],
)
def test_static_token_refusals(client: FlaskClient, change: str) -> None:
    participant = add_participant(
        enabled=change != "participant disabled",
        token_enabled=change != "token disabled",
        static_key="another-key-entirely-xxxxxxxxxxxx" if change == "other key" else STATIC_KEY,
    )
    token = participant.participant_token
    if change == "not in the column":
        participant.participant_token = None
        BaseModel.db().session.commit()
    assert_refused(client.get("/limited", headers=opentera(token)))


def test_static_token_in_the_query_string_is_not_read(client: FlaskClient) -> None:
    participant = add_participant()
    assert_refused(client.get("/limited", query_string={"token": participant.participant_token}))


# --- dynamic token ----------------------------------------------------------------------------------------------------
def test_dynamic_token_gives_full_access(client: FlaskClient) -> None:
    participant = add_participant()
    token = dynamic(participant)
    response = client.get("/full", headers=opentera(token))
    assert response.status_code == 200
    assert response.get_json() == {"uuid": participant.participant_uuid, "full": True, "token": token}
    assert client.get("/token_full", headers=opentera(token)).status_code == 200


def test_revoked_expired_or_foreign_dynamic_tokens_are_refused(client: FlaskClient, fake_redis: FakeRedis) -> None:
    participant = add_participant()
    revoked = dynamic(participant)
    fake_redis.sadd(PARTICIPANT_DISABLED_TOKENS, revoked)
    expired = jwt.encode({"participant_uuid": participant.participant_uuid, "exp": int(time.time()) - 5}, DYNAMIC_KEY)
    no_exp = jwt.encode({"participant_uuid": participant.participant_uuid}, DYNAMIC_KEY)
    for token in (revoked, expired, no_exp, dynamic(participant, key="x" * 32), "invalid"):
        assert_refused(client.get("/any", headers=opentera(token)))


def test_dynamic_token_of_a_disabled_participant(client: FlaskClient) -> None:
    participant = add_participant()
    token = dynamic(participant)
    participant.participant_enabled = False
    BaseModel.db().session.commit()
    assert_refused(client.get("/any", headers=opentera(token)))


def test_a_rotated_dynamic_key_voids_tokens(client: FlaskClient, fake_redis: FakeRedis) -> None:
    participant = add_participant()
    token = dynamic(participant)
    fake_redis.set(RedisVars.RedisVar_ParticipantTokenAPIKey, "rotated-" + "r" * 24)
    assert_refused(client.get("/any", headers=opentera(token)))


# --- which form is checked --------------------------------------------------------------------------------------------
def test_token_form_needs_the_exact_scheme_on_multi_endpoints(client: FlaskClient) -> None:
    participant = add_participant()
    token = dynamic(participant)
    # flask-httpauth's MultiAuth picks the token form only for "OpenTera"; "opentera" falls to Basic and fails.
    assert_refused(client.get("/any", headers=opentera(token, scheme="opentera")))
    # The token-only form compares the scheme without case.
    assert client.get("/token_full", headers=opentera(token, scheme="opentera")).status_code == 200


def test_token_only_endpoint_refuses_basic(client: FlaskClient) -> None:
    add_participant()
    assert_refused(client.get("/token_full", headers=basic("p1", PASSWORD)))


def test_signed_dynamic_token_has_upstreams_claims(app: Flask) -> None:
    participant = add_participant()
    token = participant_auth.sign_dynamic_token(participant, 1800)
    payload = jwt.decode(token, DYNAMIC_KEY, algorithms=["HS256"])
    assert payload["exp"] - payload["iat"] == 1800
    assert payload["participant_uuid"] == participant.participant_uuid
    assert payload["id_participant"] == participant.id_participant
    assert payload["user_fullname"] == participant.participant_name
    assert payload["iss"] == "TeraServer" and payload["jti"]
