"""/api/user/tests and /api/user/tests/invitations, as a project admin, a project user and an outsider use them
(upstream's rules: teraserver/api/user/tests.py and test_invitations.py).

Runs on `api_stack`, on the world of test_user_api_testtypes (type TA of service S offered in site A and A1,
session A of participant A in A1; TB, session B, participant B in site B).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from service_world import Row
from test_user_api_service_access import checked
from test_user_api_testtypes import TypesOfTestsWorld, build_test_types_world, get, new_test

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

TESTS = "/api/user/tests"
INVITATIONS = "/api/user/tests/invitations"
EVENTS = "module.TeraServer.DatabaseModule.events."


@pytest.fixture(scope="module")
def tt_world(api_stack: Stack, api_stack_ca: Path) -> TypesOfTestsWorld:
    return build_test_types_world(api_stack, api_stack_ca)


@pytest.fixture
def raw_redis(api_stack: Stack) -> Iterator[redis.Redis]:
    client = api_stack.redis(decode_responses=False)
    yield client
    client.close()


def uuids(rows: list[dict[str, Any]]) -> set[str]:
    return {row["test_uuid"] for row in rows}


def make_tests(api_stack: Stack, w: TypesOfTestsWorld) -> tuple[Row, Row]:
    return (
        new_test(api_stack, w.type_a.id, w.session_a.id, id_participant=w.participant_a.id),
        new_test(api_stack, w.type_b.id, w.session_b.id, id_participant=w.participant_b.id),
    )


def test_tests_selectors_and_access(front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld) -> None:
    w = tt_world
    test_a, test_b = make_tests(api_stack, w)
    user = w.project_user
    response = front.get(TESTS, headers=user.headers)
    assert response.status_code == 400 and response.json() == "No arguments specified"
    assert front.get(TESTS, params={"full": "false"}, headers=user.headers).json() == "No arguments specified"
    assert front.get(TESTS, params={"full": "true"}, headers=user.headers).json() == "Missing argument"
    assert front.get(TESTS, params={"nope": 1}, headers=user.headers).status_code == 400

    assert test_a.uuid in uuids(get(front, TESTS, user, id_session=w.session_a.id))
    assert test_a.uuid in uuids(get(front, TESTS, user, id_participant=w.participant_a.id))
    for params, message in (
        ({"id_session": w.session_b.id}, "Session access denied"),
        ({"id_participant": w.participant_b.id}, "Participant access denied"),
        ({"id_device": 99999999}, "Device access denied"),
        ({"id_user": w.outsider.id}, "User access denied"),
    ):
        response = front.get(TESTS, params=params, headers=user.headers)
        assert response.status_code == 403 and response.json() == message, params
    assert get(front, TESTS, w.outsider, id_user=w.outsider.id) == []

    [one] = get(front, TESTS, user, id_test=test_a.id)
    assert one["test_uuid"] == test_a.uuid and "test_session_name" not in one
    assert get(front, TESTS, user, id_test=test_b.id) == []
    assert get(front, TESTS, w.outsider, test_uuid=test_a.uuid) == []
    # A test in a session the user sees, of a type whose service the user does not see, is not visible.
    foreign = new_test(api_stack, w.type_b.id, w.session_a.id)
    assert get(front, TESTS, user, id_test=foreign.id) == []
    assert foreign.uuid in uuids(get(front, TESTS, user, id_session=w.session_a.id))  # the session's list has all
    [full] = get(front, TESTS, user, test_uuid=test_a.uuid, full="true")
    assert full["test_session_name"] == w.session_a.name and full["test_test_type_name"] == w.type_a.name
    assert full["test_participant"] == w.participant_a.name


def test_tests_urls_and_tokens(
    front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld, raw_redis: redis.Redis
) -> None:
    w = tt_world
    test_a, _ = make_tests(api_stack, w)
    [item] = get(front, TESTS, w.project_user, id_test=test_a.id, with_urls="true")
    claims = jwt.decode(item["access_token"], raw_redis.get("ServiceTokenAPIKey").decode(), algorithms=["HS256"])
    assert claims["test_uuids"] == test_a.uuid and claims["requester_uuid"] == w.project_user.uuid
    assert claims["exp"] - claims["iat"] == 1800
    assert item["test_answers_url"].endswith(f"/{w.service.name.lower()}/api/tests/answers")
    [token_only] = get(front, TESTS, w.project_user, id_test=test_a.id, with_only_token="true")
    assert set(token_only) == {"test_uuid", "access_token"}


def test_tests_post_is_501_and_delete(
    front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld, raw_redis: redis.Redis
) -> None:
    w = tt_world
    test_a, test_b = make_tests(api_stack, w)
    response = front.post(TESTS, json={"test": {"id_test": 0}}, headers=w.project_admin.headers)
    assert response.status_code == 501 and "directly into a service" in response.json()
    assert front.delete(TESTS, params={"id": test_b.id}, headers=w.project_user.headers).status_code == 403
    assert front.delete(TESTS, params={"id": test_a.id}, headers=w.outsider.headers).status_code == 403
    with Subscription(raw_redis, EVENTS + "test") as events:
        assert front.delete(TESTS, params={"id": test_a.id}, headers=w.project_user.headers).status_code == 200
        assert events.wait_for(test_a.uuid.encode()) is not None
    assert get(front, TESTS, w.project_user, id_test=test_a.id) == []
    assert front.delete(TESTS, params={"id": test_a.id}, headers=w.project_user.headers).status_code == 403


# --- invitations ---------------------------------------------------------------------------------------------------
def invitation(w: TypesOfTestsWorld, **fields: Any) -> dict[str, Any]:
    return {
        "id_test_invitation": 0,
        "id_test_type": w.type_a.id,
        "id_project": w.project_a1.id,
        "id_participant": w.participant_a.id,
        "test_invitation_expiration_date": "2031-01-02T03:04:05+00:00",
        "test_invitation_max_count": 3,
        **fields,
    }


def post_invitations(front: FrontDoorSession, headers: dict[str, str], *items: dict[str, Any]) -> Any:
    return front.post(INVITATIONS, json={"tests_invitations": list(items)}, headers=headers)


def test_invitation_lifecycle(front: FrontDoorSession, tt_world: TypesOfTestsWorld, raw_redis: redis.Redis) -> None:
    w = tt_world
    with Subscription(raw_redis, EVENTS + "test_invitation") as events:
        [created] = checked(post_invitations(front, w.project_admin.headers, invitation(w)))
        assert events.wait_for(f'"id_test_invitation": {created["id_test_invitation"]}'.encode()) is not None
    key = created["test_invitation_key"]
    assert len(key) == 16 and created["test_invitation_max_count"] == 3 and created["test_invitation_count"] == 0
    assert created["test_invitation_test_type"]["test_type_uuid"] == w.type_a.uuid
    assert created["test_invitation_participant"]["participant_name"] == w.participant_a.name
    assert created["test_invitation_url"].endswith(f"/viewer?invitation_key={key}")
    id_invitation = created["id_test_invitation"]

    assert get(front, INVITATIONS, w.outsider) == []
    listed = get(front, INVITATIONS, w.project_user)
    [mine] = [row for row in listed if row["id_test_invitation"] == id_invitation]
    assert "test_invitation_test_type" not in mine and "test_invitation_url" not in mine
    # Each filter adds its matches: an invitation matching two filters is listed twice, as upstream.
    twice = get(front, INVITATIONS, w.project_user, id_test_invitation=id_invitation, id_participant=w.participant_a.id)
    assert [row["id_test_invitation"] for row in twice].count(id_invitation) == 2
    # `full` and `with_urls` are Python truth values upstream: "false" is true.
    [full] = get(front, INVITATIONS, w.project_user, test_invitation_key=key, full="false", with_urls="false")
    assert "test_invitation_test_type" in full and full["test_invitation_url"].endswith(key)
    assert get(front, INVITATIONS, w.project_user, participant_uuid=str(uuid.uuid4())) == []
    by_uuid = get(front, INVITATIONS, w.project_user, test_type_uuid=w.type_a.uuid)
    assert id_invitation in {row["id_test_invitation"] for row in by_uuid}
    assert front.get(INVITATIONS, params={"bogus": 1}, headers=w.project_user.headers).status_code == 400

    update = {"id_test_invitation": id_invitation, "test_invitation_count": 2}
    assert post_invitations(front, w.outsider.headers, update).status_code == 403
    [updated] = checked(post_invitations(front, w.project_user.headers, update))
    assert updated["test_invitation_count"] == 2 and updated["test_invitation_key"] == key
    response = post_invitations(front, w.project_user.headers, {"id_test_invitation": id_invitation})
    assert response.status_code == 400 and response.json() == "You can only update test_invitation_count"

    assert front.delete(INVITATIONS, params={"id": id_invitation}, headers=w.outsider.headers).status_code == 403
    assert front.delete(INVITATIONS, params={"id": id_invitation}, headers=w.project_user.headers).status_code == 200
    assert front.delete(INVITATIONS, params={"id": id_invitation}, headers=w.project_user.headers).status_code == 403


def test_invitation_refusals(front: FrontDoorSession, tt_world: TypesOfTestsWorld) -> None:
    w = tt_world
    headers = w.project_admin.headers
    for fields in (
        {"id_participant": w.participant_b.id},
        {"id_test_type": w.type_b.id},
        {"id_project": w.project_b1.id},
        {"id_session": w.session_b.id},
    ):
        response = post_invitations(front, headers, invitation(w, **fields))
        assert response.status_code == 403 and response.json() == "Forbidden", fields
    no_date = invitation(w)
    del no_date["test_invitation_expiration_date"]
    assert post_invitations(front, headers, no_date).json() == "Missing test_invitation_expiration_date"
    keyed = invitation(w, test_invitation_key="0123456789abcdef")
    assert post_invitations(front, headers, keyed).json() == "Do not set test_invitation_key"
    two = invitation(w, id_user=w.project_user.id)
    assert "one of id_user" in post_invitations(front, headers, two).json()
    bad_date = invitation(w, test_invitation_expiration_date="someday")
    response = post_invitations(front, headers, bad_date)
    assert response.status_code == 400 and "expiration" in response.json()
    for body in (
        {"tests_invitations": []},
        {"tests_invitations": [invitation(w, flavour="mint")]},
        {"tests_invitations": [invitation(w, id_project="A1")]},
        {"tests_invitations": [invitation(w)], "extra": 1},
        {},
    ):
        response = front.post(INVITATIONS, json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["message"] == "Input payload validation failed", body
