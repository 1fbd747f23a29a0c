"""RPC over Redis: TeraServer calling a service (forms, sessions/manager) and answering the
UserManager methods itself.

The test plays the service: a Redis subscriber thread on `service.<key>.rpc` that decodes the RPCMessage and
replies with upstream's JSON on `reply_to`. The host test environment has no `opentera` protobuf modules, so
the few RPCMessage fields are read and written with a minimal protobuf wire codec below (field numbers from
the package's RPCMessage.proto: method 1, reply_to 2, id 3, args 5 -> Value.string_value 7).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests
from service_world import new_participant, new_project, new_session, new_site
from user_world import new_account

from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

SERVICE_CATEGORY = 1
# How long after the first reply to the UserManager RPC a second one (a responder per worker) would show up.
SECOND_REPLY_WINDOW = 2.0


# --- minimal protobuf wire codec --------------------------------------------------------------------------
def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, Any]]:
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = _varint(data, pos)
        elif wire_type == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire_type == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
        yield number, value


def decode_rpc(payload: bytes) -> dict[str, Any]:
    message: dict[str, Any] = {"method": "", "reply_to": "", "id": 0, "args": []}
    for number, value in _fields(payload):
        if number == 1:
            message["method"] = value.decode()
        elif number == 2:
            message["reply_to"] = value.decode()
        elif number == 3:
            message["id"] = value
        elif number == 5:
            message["args"].extend(v.decode() for n, v in _fields(value) if n == 7)
    return message


def encode_rpc(method: str, reply_to: str, message_id: int) -> bytes:
    def text(number: int, value: str) -> bytes:
        raw = value.encode()
        return bytes([number << 3 | 2, len(raw)]) + raw

    return text(1, method) + text(2, reply_to) + bytes([3 << 3, message_id])


# --- a fake service answering RPC ---------------------------------------------------------------------------
class FakeService:
    def __init__(self, client: redis.Redis, key: str, handlers: dict[str, Callable[..., Any]]) -> None:
        self.client = client
        self.topic = f"service.{key}.rpc"
        self.handlers = handlers
        self.calls: list[dict[str, Any]] = []
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(self.topic)
        self.pubsub.get_message(timeout=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if not message or message["type"] != "message":
                continue
            request = decode_rpc(message["data"])
            self.calls.append(request)
            handler = self.handlers.get(request["method"])
            if handler is None:
                continue  # like upstream: unknown methods get no reply
            reply = {
                "method": request["method"],
                "id": request["id"],
                "pattern": self.topic,
                "status": "OK",
                "return_value": handler(*request["args"]),
            }
            self.client.publish(request["reply_to"], json.dumps(reply))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.pubsub.close()


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


@pytest.fixture
def service_key(https: requests.Session, admin_token: str) -> str:
    key = f"Rpc{uuid.uuid4().hex[:10]}"
    body = {
        "service": {
            "id_service": 0,
            "service_key": key,
            "service_name": key,
            "service_hostname": "rpc",
            "service_port": 5000,
            "service_endpoint": "/",
            "service_clientendpoint": f"/{key.lower()}",
            "service_enabled": True,
        }
    }
    response = https.post("/api/user/services", json=body, headers=auth_header(admin_token))
    assert response.status_code == 200, response.text
    return key


def service_session_type(devstack: Stack, service_key: str) -> int:
    """A session type run by the service (category SERVICE); no user endpoint creates one yet."""
    rows = devstack.psql(
        "INSERT INTO t_sessions_types (id_session_type, id_service, session_type_name, session_type_online, "
        "session_type_color, session_type_category, version_id) SELECT nextval('id_session_type_sequence'), "
        f"id_service, 'rpc {service_key}', true, '#00FF00', {SERVICE_CATEGORY}, 1 FROM t_services "
        f"WHERE service_key = '{service_key}' RETURNING id_session_type"
    )
    return int(rows[0][0])


def test_forms_session_type_config_round_trip(
    devstack: Stack, https: requests.Session, admin_token: str, raw_redis: redis.Redis, service_key: str
) -> None:
    id_session_type = service_session_type(devstack, service_key)
    form = {"objecttype": "session_type_config", "sections": [{"name": "camera", "items": []}]}
    service = FakeService(raw_redis, service_key, {"session_type_config": lambda arg: json.dumps(form)})
    try:
        response = https.get(
            "/api/user/forms",
            params={"type": "session_type_config", "id": id_session_type},
            headers=auth_header(admin_token),
        )
    finally:
        service.close()
    assert response.status_code == 200, response.text
    assert response.json() == form
    [call] = service.calls
    assert call["method"] == "session_type_config"
    assert call["reply_to"].startswith("RedisRPCClient.")
    assert json.loads(call["args"][0]) == {"id_session_type": id_session_type}


def test_forms_without_service_answer_is_408(
    devstack: Stack, https: requests.Session, admin_token: str, service_key: str
) -> None:
    id_session_type = service_session_type(devstack, service_key)
    response = https.get(
        "/api/user/forms",
        params={"type": "session_type_config", "id": id_session_type},
        headers=auth_header(admin_token),
    )
    assert response.status_code == 408


def test_forms_parameters(https: requests.Session, admin_token: str) -> None:
    headers = auth_header(admin_token)
    assert https.get("/api/user/forms", params={"type": "session_type_config"}).status_code == 401
    assert https.get("/api/user/forms", headers=headers).status_code == 400
    assert https.get("/api/user/forms", params={"type": "session_type_config"}, headers=headers).status_code == 400
    assert https.get("/api/user/forms", params={"type": "no_such_form"}, headers=headers).status_code == 400
    assert https.get("/api/user/forms", params={"type": "x", "id": "abc"}, headers=headers).status_code == 400


def admin_row(devstack: Stack) -> dict[str, Any]:
    [(id_user, user_uuid)] = devstack.psql("SELECT id_user, user_uuid FROM t_users WHERE user_username = 'admin'")
    return {"id_user": int(id_user), "user_uuid": user_uuid}


def test_session_manager_forwards_to_the_service(
    devstack: Stack, https: requests.Session, admin_token: str, raw_redis: redis.Redis, service_key: str
) -> None:
    """A new session: the body goes to the service with upstream's completions (creator, id_session 0)."""
    headers = auth_header(admin_token)
    services = https.get("/api/user/services", params={"key": service_key}, headers=headers).json()
    manage = {"id_service": services[0]["id_service"], "id_session_type": 1, "action": "start", "parameters": "x"}
    reply = {"status": "started", "session_uuid": str(uuid.uuid4())}
    service = FakeService(raw_redis, service_key, {"session_manage": lambda arg: reply})
    try:
        response = https.post("/api/user/sessions/manager", json={"session_manage": manage}, headers=headers)
    finally:
        service.close()
    assert response.status_code == 200, response.text
    assert response.json() == reply
    admin_id = admin_row(devstack)["id_user"]
    sent = json.loads(service.calls[0]["args"][0])  # the whole request body, as JSON text
    assert sent == {"session_manage": {**manage, "id_creator_user": admin_id, "id_session": 0}}
    assert https.post("/api/user/sessions/manager", json={"nope": 1}, headers=headers).status_code == 400
    assert https.post("/api/user/sessions/manager", json={"session_manage": manage}).status_code == 401


def test_session_manager_completes_an_existing_session(
    devstack: Stack, https: requests.Session, admin_token: str, raw_redis: redis.Redis, service_key: str
) -> None:
    """By session_uuid: id_session, the type's service, the type and the members come from the database;
    an invite_reply's code is converted and the caller's uuid added (what the video service reads)."""
    headers = auth_header(admin_token)
    id_session_type = service_session_type(devstack, service_key)
    site = new_site(devstack)
    participant = new_participant(devstack, new_project(devstack, site.id).id)
    session = new_session(devstack, id_session_type, participant.id)
    admin = admin_row(devstack)
    service = FakeService(raw_redis, service_key, {"session_manage": lambda arg: {"ok": True}})
    try:
        body = {
            "session_manage": {
                "session_uuid": session.uuid,
                "action": "invite_reply",
                "parameters": {"reply_code": "busy", "reply_msg": "later"},
            }
        }
        response = https.post("/api/user/sessions/manager", json=body, headers=headers)
    finally:
        service.close()
    assert response.status_code == 200, response.text
    sent = json.loads(service.calls[0]["args"][0])["session_manage"]
    id_service = https.get("/api/user/services", params={"key": service_key}, headers=headers).json()[0]["id_service"]
    assert sent == {
        "session_uuid": session.uuid,
        "action": "invite_reply",
        "parameters": {"reply_code": 3, "reply_msg": "later", "user_uuid": admin["user_uuid"]},  # 3: REPLY_BUSY
        "id_creator_user": admin["id_user"],
        "id_session": session.id,
        "id_service": id_service,
        "id_session_type": id_session_type,
        "session_users": [],
        "session_participants": [participant.uuid],
        "session_devices": [],
    }


def test_session_manager_refusals(
    devstack: Stack, https: requests.Session, admin_token: str, raw_redis: redis.Redis, service_key: str
) -> None:
    headers = auth_header(admin_token)
    id_service = https.get("/api/user/services", params={"key": service_key}, headers=headers).json()[0]["id_service"]

    def post(manage: dict[str, Any], token_headers: dict[str, str] = headers) -> requests.Response:
        return https.post("/api/user/sessions/manager", json={"session_manage": manage}, headers=token_headers)

    assert post({"id_service": id_service}).status_code == 400  # no action
    assert post({"action": "start", "id_service": id_service}).status_code == 400  # new session, no type
    assert post({"action": "start", "id_session_type": 1}).status_code == 501  # no service to ask
    assert post({"action": "stop", "session_uuid": str(uuid.uuid4())}).status_code == 400
    assert post({"action": "start", "id_session": 2**40}).status_code == 400
    for code in ("maybe", 0, 5, True):
        invite = {"action": "invite_reply", "id_service": id_service, "id_session_type": 1}
        assert post({**invite, "parameters": {"reply_code": code}}).status_code == 400, code
    assert post({"action": "invite_reply", "id_service": id_service, "id_session_type": 1}).status_code == 400

    # A service that answers nothing useful (None: how ServiceOpenTera reports an error) -> 500, as upstream.
    service = FakeService(raw_redis, service_key, {"session_manage": lambda arg: None})
    try:
        response = post({"action": "start", "id_service": id_service, "id_session_type": 1})
    finally:
        service.close()
    assert (response.status_code, response.json()) == (500, "No answer from service.")

    # A user without access to the session, or to the service, is refused before any RPC.
    id_session_type = service_session_type(devstack, service_key)
    project = new_project(devstack, new_site(devstack).id)
    session = new_session(devstack, id_session_type, new_participant(devstack, project.id).id)
    stranger_headers = new_account(devstack, https, admin_token, None, 0).headers  # no role anywhere
    refused = post({"action": "stop", "session_uuid": session.uuid}, stranger_headers)
    assert (refused.status_code, refused.json()) == (403, "User doesn't have access to that session")
    refused = post({"action": "start", "id_service": id_service, "id_session_type": 1}, stranger_headers)
    assert (refused.status_code, refused.json()) == (403, "User doesn't have access to that service.")


def test_user_manager_rpc_is_answered_once(raw_redis: redis.Redis) -> None:
    raw = raw_redis
    reply_to = f"RedisRPCClient.{uuid.uuid4()}"
    with Subscription(raw, reply_to) as answers:
        receivers = raw.publish("module.TeraServer.UserManagerModule.rpc", encode_rpc("online_users", reply_to, 7))
        assert receivers >= 1
        assert answers.first(lambda data: data) is not None, "no reply"
        time.sleep(SECOND_REPLY_WINDOW)  # a responder per worker would have answered again by now
        replies = [json.loads(data) for data in answers.messages]
    assert len(replies) == 1, replies  # one responder for the whole server, not one per worker
    assert replies[0]["status"] == "OK"
    assert replies[0]["id"] == 7
    assert replies[0]["method"] == "online_users"
    assert replies[0]["return_value"] == []
