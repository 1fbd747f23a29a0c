"""/api/user/sessions and /api/user/sessions/events through the front door."""

from __future__ import annotations

import json
from typing import Any

import pytest
from user_world import DB_CREATE, DB_UPDATE, UserWorld, auth

from devstack.testing.frontdoor import FrontDoorSession

SESSION_FIELDS = {
    "id_session",
    "session_uuid",
    "session_name",
    "session_start_datetime",
    "session_status",
    "id_session_type",
    "session_participants",
    "session_users",
    "session_devices",
}


def create_session(https: FrontDoorSession, token: str, world: UserWorld, **fields: Any) -> Any:
    body = {
        "session": {
            "id_session": 0,
            "id_session_type": world.session_type.id,
            "session_participants_uuids": [world.participant_a.uuid],
            **fields,
        }
    }
    return https.post("/api/user/sessions", json=body, headers=auth(token))


# --- authentication and bad requests ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/user/sessions", "/api/user/sessions/events"])
def test_sessions_need_a_user(https: FrontDoorSession, path: str) -> None:
    assert https.get(path, params={"id_session": 1}).status_code == 401
    assert https.post(path, json={}).status_code == 401
    assert https.delete(path, params={"id": 1}).status_code == 401
    assert https.get(path, params={"id_session": 1}, headers=auth("not-a-token")).status_code == 401


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "Missing arguments"),
        ({"id_session": "abc"}, "id_session"),
        ({"id_participant": 1, "limit": -1}, "limit"),
        ({"id_session": 1, "bogus": 1}, "bogus"),
        ({"id_participant": 1, "start_date": "yesterday"}, "start_date"),
    ],
)
def test_bad_session_queries_are_400(
    https: FrontDoorSession, admin_token: str, params: dict[str, Any], named: str
) -> None:
    response = https.get("/api/user/sessions", params=params, headers=auth(admin_token))
    assert response.status_code == 400, response.text
    assert named in response.text


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"nothing": 1},
        {"session": "text"},
        {"session": {"id_session": "0"}},
        {"session": {"id_session": 0, "id_session_type": 1}},  # no members
        {"session": {"id_session": 0, "session_participants_ids": "1"}},
        {"session": {"id_session": 0, "session_participants_uuids": [1]}},
    ],
)
def test_bad_session_bodies_are_400(https: FrontDoorSession, admin_token: str, body: Any) -> None:
    response = https.post("/api/user/sessions", json=body, headers=auth(admin_token))
    assert response.status_code == 400, response.text


def test_unknown_session_fields_and_values_are_400(
    https: FrontDoorSession, user_world: UserWorld, admin_token: str
) -> None:
    # Unknown fields: a new session ignores them, an update refuses them (upstream: ignored, then a 500).
    response = create_session(https, admin_token, user_world, session_colour="red")
    assert response.status_code == 200, response.text
    [created] = response.json()
    assert "session_colour" not in created
    update = {"session": {"id_session": created["id_session"], "session_colour": "red"}}
    response = https.post("/api/user/sessions", json=update, headers=auth(admin_token))
    assert (response.status_code, response.json()) == (400, "Unknown session fields: session_colour")
    response = create_session(https, admin_token, user_world, session_status="finished")
    assert response.status_code == 400
    response = create_session(https, admin_token, user_world, id_session_type=999999)
    assert response.status_code == 400
    assert "id_session_type" in response.json()


# --- GET -------------------------------------------------------------------------------------------------------
def test_member_sees_the_sessions_of_its_project(https: FrontDoorSession, user_world: UserWorld) -> None:
    member = user_world.member
    response = https.get(
        "/api/user/sessions", params={"id_participant": user_world.participant_a.id}, headers=member.headers
    )
    assert response.status_code == 200, response.text
    sessions = {s["id_session"]: s for s in response.json()}
    session = sessions[user_world.session_a.id]
    assert set(session) >= SESSION_FIELDS
    assert session["session_uuid"] == user_world.session_a.uuid
    assert [p["participant_uuid"] for p in session["session_participants"]] == [user_world.participant_a.uuid]
    by_id = https.get("/api/user/sessions", params={"id_session": user_world.session_a.id}, headers=member.headers)
    assert [s["session_uuid"] for s in by_id.json()] == [user_world.session_a.uuid]
    by_uuid = https.get(
        "/api/user/sessions", params={"session_uuid": user_world.session_a.uuid}, headers=member.headers
    )
    assert [s["id_session"] for s in by_uuid.json()] == [user_world.session_a.id]


def test_sessions_out_of_reach(https: FrontDoorSession, user_world: UserWorld, admin_token: str) -> None:
    member = user_world.member
    hidden = {"id_participant": user_world.participant_b.id}
    # A participant out of reach: an empty list too (upstream), not 403.
    refused = https.get("/api/user/sessions", params=hidden, headers=member.headers)
    assert (refused.status_code, refused.json()) == (200, [])
    # A session id out of reach answers an empty list, as upstream (nothing tells it exists).
    by_id = https.get("/api/user/sessions", params={"id_session": user_world.session_b.id}, headers=member.headers)
    assert (by_id.status_code, by_id.json()) == (200, [])
    outsider = https.get(
        "/api/user/sessions", params={"id_session": user_world.session_a.id}, headers=user_world.outsider.headers
    )
    assert outsider.json() == []
    as_admin = https.get("/api/user/sessions", params=hidden, headers=auth(admin_token))
    assert user_world.session_b.id in [s["id_session"] for s in as_admin.json()]


def test_list_and_with_events_and_session_type(https: FrontDoorSession, user_world: UserWorld) -> None:
    member = user_world.member
    params = {"id_session": user_world.session_a.id}
    full = https.get("/api/user/sessions", params=params, headers=member.headers).json()[0]
    minimal = https.get("/api/user/sessions", params={**params, "list": "true"}, headers=member.headers).json()[0]
    assert "session_comments" in full and "session_comments" not in minimal
    assert "session_events" not in full
    extra = {**params, "with_events": "true", "with_session_type": "true"}
    detailed = https.get("/api/user/sessions", params=extra, headers=member.headers).json()[0]
    assert isinstance(detailed["session_events"], list)
    # As upstream's user endpoint: the type's name and color, flat.
    assert detailed["session_type_name"] == user_world.session_type.name
    assert "session_type_color" in detailed and "session_type" not in detailed


def test_status_filter(https: FrontDoorSession, user_world: UserWorld) -> None:
    params = {"id_participant": user_world.participant_a.id, "status": 2}
    completed = https.get("/api/user/sessions", params=params, headers=user_world.member.headers).json()
    assert completed and all(s["session_status"] == 2 for s in completed)
    params["status"] = 4
    assert https.get("/api/user/sessions", params=params, headers=user_world.member.headers).json() == []


# --- POST ------------------------------------------------------------------------------------------------------
def test_member_creates_and_updates_a_session(https: FrontDoorSession, user_world: UserWorld, listen: Any) -> None:
    events = listen("session")
    member = user_world.member
    response = create_session(https, member.token, user_world)
    assert response.status_code == 200, response.text
    (created,) = response.json()
    assert set(created) >= SESSION_FIELDS
    assert created["id_creator_user"] == member.id
    assert created["session_status"] == 1  # in progress by default
    assert created["session_name"].startswith(user_world.session_type.name + " [")
    assert [p["id_participant"] for p in created["session_participants"]] == [user_world.participant_a.id]
    event = events.wait_for(DB_CREATE, created["session_uuid"])
    assert event is not None and json.loads(event.object_value)["id_session"] == created["id_session"]

    update = {"session": {"id_session": created["id_session"], "session_name": "Renamed", "session_status": 2}}
    response = https.post("/api/user/sessions", json=update, headers=member.headers)
    assert response.status_code == 200, response.text
    assert (response.json()[0]["session_name"], response.json()[0]["session_status"]) == ("Renamed", 2)
    assert response.json()[0]["session_uuid"] == created["session_uuid"]


def test_members_replace_and_must_be_reachable(
    https: FrontDoorSession, user_world: UserWorld, admin_token: str
) -> None:
    member = user_world.member
    refused = create_session(
        https, member.token, user_world, session_participants_uuids=[user_world.participant_b.uuid]
    )
    assert refused.status_code == 403
    assert "participant" in refused.json()
    refused = create_session(https, member.token, user_world, session_devices_ids=[999999])
    assert refused.status_code == 403

    created = create_session(https, admin_token, user_world).json()[0]
    update = {
        "session": {
            "id_session": created["id_session"],
            "session_participants_ids": [],
            "session_users_uuids": [member.uuid],
            "session_devices_uuids": [user_world.device_a.uuid],
        }
    }
    updated = https.post("/api/user/sessions", json=update, headers=auth(admin_token)).json()[0]
    assert updated["session_participants"] == []
    assert [u["user_uuid"] for u in updated["session_users"]] == [member.uuid]
    assert [d["device_uuid"] for d in updated["session_devices"]] == [user_world.device_a.uuid]


def test_sessions_of_others_cannot_be_changed(https: FrontDoorSession, user_world: UserWorld) -> None:
    update = {"session": {"id_session": user_world.session_b.id, "session_name": "Mine now"}}
    response = https.post("/api/user/sessions", json=update, headers=user_world.member.headers)
    assert response.status_code == 403
    unknown = {"session": {"id_session": 99999999, "session_name": "Nobody"}}
    assert https.post("/api/user/sessions", json=unknown, headers=user_world.member.headers).status_code == 400


def test_session_type_must_be_reachable(https: FrontDoorSession, user_world: UserWorld, admin_token: str) -> None:
    # The session type is linked to project A1 only: the outsider sees no project at all.
    response = create_session(https, user_world.outsider.token, user_world, session_participants_uuids=[])
    assert response.status_code == 403


# --- DELETE ----------------------------------------------------------------------------------------------------
def test_delete_session(https: FrontDoorSession, user_world: UserWorld, listen: Any) -> None:
    member = user_world.member
    created = create_session(https, member.token, user_world).json()[0]
    params = {"id": created["id_session"]}
    in_progress = https.delete("/api/user/sessions", params=params, headers=member.headers)
    assert in_progress.status_code == 403
    assert "in progress" in in_progress.json()
    done = {"session": {"id_session": created["id_session"], "session_status": 2}}
    assert https.post("/api/user/sessions", json=done, headers=member.headers).status_code == 200

    events = listen("session")
    response = https.delete("/api/user/sessions", params=params, headers=member.headers)
    assert (response.status_code, response.json()) == (200, "")
    gone = https.get("/api/user/sessions", params={"id_session": created["id_session"]}, headers=member.headers)
    assert gone.json() == []
    event = events.wait_for(DB_UPDATE, created["session_uuid"])  # a soft delete: an update with deleted_at
    assert event is not None and json.loads(event.object_value)["deleted_at"]


def test_delete_session_refusals(https: FrontDoorSession, user_world: UserWorld) -> None:
    member = user_world.member
    assert (
        https.delete("/api/user/sessions", params={"id": user_world.session_b.id}, headers=member.headers).status_code
        == 403
    )
    unknown = https.delete("/api/user/sessions", params={"id": 99999999}, headers=member.headers)
    assert unknown.status_code == 400
    assert https.delete("/api/user/sessions", headers=member.headers).status_code == 400
    assert https.delete("/api/user/sessions", params={"id": "x"}, headers=member.headers).status_code == 400


# --- events ----------------------------------------------------------------------------------------------------
def post_event(https: FrontDoorSession, token: str, id_session: int, **fields: Any) -> Any:
    body = {
        "session_event": {
            "id_session_event": 0,
            "id_session": id_session,
            "id_session_event_type": 3,
            "session_event_text": "hello",
            **fields,
        }
    }
    return https.post("/api/user/sessions/events", json=body, headers=auth(token))


def test_session_events_lifecycle(https: FrontDoorSession, user_world: UserWorld) -> None:
    member = user_world.member
    response = post_event(https, member.token, user_world.session_a.id)
    assert response.status_code == 200, response.text
    (event,) = response.json()
    assert {"id_session_event", "id_session", "id_session_event_type", "session_event_datetime"} <= set(event)
    assert (event["id_session"], event["session_event_text"]) == (user_world.session_a.id, "hello")

    listed = https.get(
        "/api/user/sessions/events", params={"id_session": user_world.session_a.id}, headers=member.headers
    )
    assert event["id_session_event"] in [e["id_session_event"] for e in listed.json()]

    update = {
        "session_event": {
            "id_session_event": event["id_session_event"],
            "id_session": user_world.session_a.id,
            "session_event_text": "changed",
        }
    }
    changed = https.post("/api/user/sessions/events", json=update, headers=member.headers)
    assert changed.status_code == 200 and changed.json()[0]["session_event_text"] == "changed"

    deleted = https.delete(
        "/api/user/sessions/events", params={"id": event["id_session_event"]}, headers=member.headers
    )
    assert (deleted.status_code, deleted.json()) == (200, "")
    listed = https.get(
        "/api/user/sessions/events", params={"id_session": user_world.session_a.id}, headers=member.headers
    )
    assert event["id_session_event"] not in [e["id_session_event"] for e in listed.json()]


def test_session_events_out_of_reach(https: FrontDoorSession, user_world: UserWorld, admin_token: str) -> None:
    member = user_world.member
    hidden = https.get(
        "/api/user/sessions/events", params={"id_session": user_world.session_b.id}, headers=member.headers
    )
    assert (hidden.status_code, hidden.json()) == (200, [])
    assert post_event(https, member.token, user_world.session_b.id).status_code == 403
    foreign = post_event(https, admin_token, user_world.session_b.id).json()[0]
    params = {"id": foreign["id_session_event"]}
    assert https.delete("/api/user/sessions/events", params=params, headers=member.headers).status_code == 403
    # Moving someone else's event into one's own session is refused too.
    move = {"session_event": {"id_session_event": foreign["id_session_event"], "id_session": user_world.session_a.id}}
    assert https.post("/api/user/sessions/events", json=move, headers=member.headers).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"session_event": []},
        {"session_event": {"id_session_event": 0}},
        {"session_event": {"id_session_event": "0", "id_session": 1}},
    ],
)
def test_bad_event_bodies_are_400(https: FrontDoorSession, admin_token: str, body: Any) -> None:
    assert https.post("/api/user/sessions/events", json=body, headers=auth(admin_token)).status_code == 400


def test_bad_event_values_are_400(https: FrontDoorSession, user_world: UserWorld, admin_token: str) -> None:
    assert post_event(https, admin_token, user_world.session_a.id, id_session_event_type="x").status_code == 400
    # Unknown fields in an update (a new event ignores them, as upstream).
    assert (
        post_event(https, admin_token, user_world.session_a.id, id_session_event=99999999, event_colour=1).status_code
        == 400
    )
    assert https.get("/api/user/sessions/events", headers=auth(admin_token)).status_code == 400
    unknown = https.delete("/api/user/sessions/events", params={"id": 99999999}, headers=auth(admin_token))
    assert unknown.status_code == 400
