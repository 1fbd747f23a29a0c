"""/api/service/sessions, /sessions/events and /sessions/manager."""

from __future__ import annotations

import json
import threading
from typing import Any

import redis
from service_world import (
    ServiceClient,
    World,
    new_session,
    new_session_type,
)

from devstack.testing.stack import Stack

# Fixtures (world, client, other_client, token_key) of the shared helper module.

SESSION_FIELDS = {
    "id_session",
    "session_uuid",
    "session_name",
    "session_start_datetime",
    "session_duration",
    "session_status",
    "session_comments",
    "session_parameters",
    "id_session_type",
    "id_creator_user",
    "id_creator_device",
    "id_creator_participant",
    "id_creator_service",
    "session_participants",
    "session_users",
    "session_devices",
}


def test_session_created_by_the_service_is_readable(client: ServiceClient, api_stack: Stack, world: World) -> None:
    session_type = new_session_type(api_stack, None)
    session = new_session(api_stack, session_type.id, id_creator_service=world.service.id)
    response = client.get("/sessions", id_session=session.id)
    assert response.status_code == 200, response.text
    [body] = response.json()
    assert set(body) >= SESSION_FIELDS
    assert body["session_uuid"] == session.uuid and body["id_creator_service"] == world.service.id
    assert client.get("/sessions", uuid_session=session.uuid).json() == [body]


def test_sessions_of_a_participant_and_access(client: ServiceClient, api_stack: Stack, world: World) -> None:
    session_type = new_session_type(api_stack, None)
    mine = new_session(api_stack, session_type.id, world.participant_a.id)
    theirs = new_session(api_stack, session_type.id, world.participant_b.id)
    listed = client.get("/sessions", id_participant=world.participant_a.id).json()
    assert mine.uuid in {s["session_uuid"] for s in listed}
    assert [p["participant_uuid"] for p in listed[0]["session_participants"]] == [world.participant_a.uuid]
    assert client.get("/sessions", id_participant=world.participant_b.id).status_code == 403
    assert client.get("/sessions", id_session=theirs.id).status_code == 403
    assert client.get("/sessions", uuid_session=theirs.uuid).status_code == 403
    assert client.get("/sessions", id_participant=world.participant_a.id, status=0).json() == []
    assert len(client.get("/sessions", id_participant=world.participant_a.id, limit=1).json()) == 1


def test_session_type_of_the_service_gives_access(client: ServiceClient, api_stack: Stack, world: World) -> None:
    own_type = new_session_type(api_stack, world.service.id)
    session = new_session(api_stack, own_type.id, world.participant_b.id)  # participant not accessible
    assert client.get("/sessions", id_session=session.id).status_code == 200


def test_get_errors(client: ServiceClient) -> None:
    assert client.get("/sessions").status_code == 400
    assert client.get("/sessions", uuid_session="no-such-session").status_code == 404  # upstream: 500
    assert client.get("/sessions", id_session=2**31).status_code in (400, 403)
    assert client.get("/sessions", id_participant=1, limit=-1).status_code == 400


def test_create_update_and_events(client: ServiceClient, api_stack: Stack, world: World) -> None:
    session_type = new_session_type(api_stack, world.service.id)
    created = client.post(
        "/sessions",
        {
            "session": {
                "id_session": 0,
                "id_session_type": session_type.id,
                "session_participants_uuids": [world.participant_a.uuid],
                "session_parameters": "{}",
            }
        },
    )
    assert created.status_code == 200, created.text
    [session] = created.json()
    assert session["id_creator_service"] == world.service.id
    assert session["session_name"].startswith(f"{session_type.name} [")
    assert session["session_status"] == 1  # in progress by default
    assert [p["participant_uuid"] for p in session["session_participants"]] == [world.participant_a.uuid]

    updated = client.post("/sessions", {"session": {"id_session": session["id_session"], "session_status": 2}})
    assert updated.status_code == 200 and updated.json()[0]["session_status"] == 2

    event = {
        "id_session_event": 0,
        "id_session": session["id_session"],
        "id_session_event_type": 3,
        "session_event_datetime": "2026-01-01T10:00:00+00:00",
        "session_event_context": "test",
    }
    posted = client.post("/sessions/events", {"session_event": event})
    assert posted.status_code == 200, posted.text
    assert posted.json()[0]["id_session_event_type"] == 3
    events = client.get("/sessions/events", id_session=session["id_session"]).json()
    assert [e["session_event_context"] for e in events] == ["test"]
    with_events = client.get(
        "/sessions", id_session=session["id_session"], with_events="true", with_session_type="true"
    ).json()[0]
    assert len(with_events["session_events"]) == 1
    assert with_events["session_type"]["id_session_type"] == session_type.id


def test_create_refusals(client: ServiceClient, api_stack: Stack, world: World) -> None:
    session_type = new_session_type(api_stack, world.service.id)
    foreign = {
        "id_session": 0,
        "id_session_type": session_type.id,
        "session_participants_uuids": [world.participant_b.uuid],
    }
    assert client.post("/sessions", {"session": foreign}).status_code == 403
    assert client.post("/sessions", {"session": {"id_session": 0}}).status_code == 400
    assert client.post("/sessions", {"session": {"id_session": 0, "id_session_type": 999999}}).status_code == 400
    assert (
        client.post(
            "/sessions",
            {"session": {"id_session": 0, "id_session_type": session_type.id, "session_start_datetime": "not a date"}},
        ).status_code
        == 400
    )
    assert client.post("/sessions", {}).status_code == 400
    mine = new_session(api_stack, session_type.id, id_creator_service=world.service.id)
    unknown_field = client.post("/sessions", {"session": {"id_session": mine.id, "no_such_field": 1}})
    assert unknown_field.status_code == 400, unknown_field.text  # upstream: 500 "Database error"
    assert client.get("/sessions/events").status_code == 400
    other_session = new_session(api_stack, new_session_type(api_stack, None).id, world.participant_b.id)
    event = {"id_session_event": 0, "id_session": other_session.id, "id_session_event_type": 1}
    assert client.post("/sessions/events", {"session_event": event}).status_code == 403


# -- sessions/manager: a stand-in service answering RPC on Redis, decoding the protobuf by hand -------------------
def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def decode_fields(data: bytes) -> dict[int, list[Any]]:
    """Minimal protobuf wire decoding: field number -> values (bytes for length-delimited fields)."""
    fields: dict[int, list[Any]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        else:
            value, pos = data[pos : pos + 4], pos + 4
        fields.setdefault(number, []).append(value)
    return fields


def fake_service(
    stack_redis: redis.Redis, service_key: str, received: list[dict[str, Any]], ready: threading.Event
) -> None:
    """Answer one RPCMessage on service.<key>.rpc as ServiceOpenTera does: JSON on reply_to."""
    pubsub = stack_redis.pubsub()
    pubsub.subscribe(f"service.{service_key}.rpc")
    ready.set()
    try:
        for _ in range(50):
            message = pubsub.get_message(timeout=0.2)
            if not message or message["type"] != "message":
                continue
            fields = decode_fields(message["data"])
            method, reply_to = fields[1][0].decode(), fields[2][0].decode()
            argument = decode_fields(fields[5][0])[7][0].decode()  # Value.string_value
            received.append({"method": method, "argument": json.loads(argument)})
            reply = {
                "method": method,
                "id": fields.get(3, [0])[0],  # the request's id: TeraServer matches replies by it
                "pattern": "",
                "status": "OK",
                "return_value": {"status": "started", "echo": json.loads(argument)},
            }
            stack_redis.publish(reply_to, json.dumps(reply))
            return
    finally:
        pubsub.close()


def test_session_manager_forwards_to_the_session_types_service(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    session_type = new_session_type(api_stack, world.service.id)
    # Bytes in and out (the plugin's stack_redis decodes text, RPC requests are protobuf).
    stack_redis = api_stack.redis(decode_responses=False)
    received: list[dict[str, Any]] = []
    ready = threading.Event()
    worker = threading.Thread(target=fake_service, args=(stack_redis, world.service.name, received, ready))
    worker.start()
    ready.wait(5)
    response = client.post(
        "/sessions/manager", {"session_manage": {"action": "start", "id_session_type": session_type.id}}
    )
    worker.join(15)
    stack_redis.close()
    assert response.status_code == 200, response.text
    assert [r["method"] for r in received] == ["session_manage"]
    forwarded = received[0]["argument"]["session_manage"]
    assert forwarded["id_service"] == world.service.id and forwarded["id_creator_service"] == world.service.id
    assert response.json() == {"status": "started", "echo": received[0]["argument"]}


def test_session_manager_errors(client: ServiceClient, api_stack: Stack, world: World) -> None:
    assert client.post("/sessions/manager", {"session_manage": {}}).status_code == 400  # no action
    assert client.post("/sessions/manager", {"session_manage": {"action": "start"}}).status_code == 400
    no_service_type = new_session_type(api_stack, None)
    assert (
        client.post(
            "/sessions/manager", {"session_manage": {"action": "start", "id_session_type": no_service_type.id}}
        ).status_code
        == 501
    )
    assert (
        client.post("/sessions/manager", {"session_manage": {"action": "stop", "session_uuid": "nope"}}).status_code
        == 400
    )


def test_session_manager_without_answer_is_500_as_upstream(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    silent_type = new_session_type(api_stack, world.other_service.id)  # nobody listens for that service
    response = client.post(
        "/sessions/manager", {"session_manage": {"action": "start", "id_session_type": silent_type.id}}
    )
    assert response.status_code == 500 and response.json() == "No answer from service."
