"""DELETE /api/user/participants through the front door: project admins only, and the database event."""

from __future__ import annotations

import json
from typing import Any

from service_world import new_participant
from user_world import DB_UPDATE, UserWorld, auth

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack


def delete_participant(https: FrontDoorSession, token: str, **params: Any) -> Any:
    return https.delete("/api/user/participants", params=params, headers=auth(token))


def listed_ids(https: FrontDoorSession, token: str, id_project: int) -> list[int]:
    response = https.get("/api/user/participants", params={"id_project": id_project}, headers=auth(token))
    assert response.status_code == 200, response.text
    return [p["id_participant"] for p in response.json()]


def test_delete_needs_a_user(https: FrontDoorSession) -> None:
    assert https.delete("/api/user/participants", params={"id": 1}).status_code == 401
    assert https.delete("/api/user/participants", params={"id": 1}, headers=auth("bad")).status_code == 401


def test_bad_delete_requests_are_400(https: FrontDoorSession, admin_token: str) -> None:
    assert delete_participant(https, admin_token).status_code == 400
    assert delete_participant(https, admin_token, id="first").status_code == 400
    assert delete_participant(https, admin_token, id=1, extra=2).status_code == 400
    unknown = delete_participant(https, admin_token, id=99999999)
    assert unknown.status_code == 400
    assert "99999999" in unknown.json()


def test_only_project_admins_delete(devstack: Stack, https: FrontDoorSession, user_world: UserWorld) -> None:
    participant = new_participant(devstack, user_world.project_a1.id)
    for account in (user_world.member, user_world.outsider):
        response = delete_participant(https, account.token, id=participant.id)
        assert response.status_code == 403, account.username
    assert participant.id in listed_ids(https, user_world.project_admin.token, user_world.project_a1.id)
    # A project admin of A1 is nobody on B1.
    other = new_participant(devstack, user_world.project_b1.id)
    assert delete_participant(https, user_world.project_admin.token, id=other.id).status_code == 403


def test_project_admin_deletes_and_the_event_follows(
    devstack: Stack, https: FrontDoorSession, user_world: UserWorld, admin_token: str, listen: Any
) -> None:
    participant = new_participant(devstack, user_world.project_a1.id)
    events = listen("participant")
    response = delete_participant(https, user_world.project_admin.token, id=participant.id)
    assert (response.status_code, response.json()) == (200, "")
    assert participant.id not in listed_ids(https, admin_token, user_world.project_a1.id)
    # A soft delete, published as upstream does: DB_UPDATE of the row, now with deleted_at.
    event = events.wait_for(DB_UPDATE, participant.uuid)
    assert event is not None, events.events
    assert event.object_type == "participant"
    value = json.loads(event.object_value)
    assert (value["id_participant"], value["participant_uuid"]) == (participant.id, participant.uuid)
    assert value["deleted_at"]
    again = delete_participant(https, user_world.project_admin.token, id=participant.id)
    assert again.status_code == 400


def test_participant_with_sessions_is_kept(https: FrontDoorSession, user_world: UserWorld, admin_token: str) -> None:
    response = delete_participant(https, admin_token, id=user_world.participant_a.id)
    assert response.status_code == 400
    assert "sessions" in response.json()
    assert user_world.participant_a.id in listed_ids(https, admin_token, user_world.project_a1.id)
