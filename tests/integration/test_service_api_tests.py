"""/api/service/tests and /api/service/tests/invitations."""

from __future__ import annotations

import jwt
from service_world import (
    ServiceClient,
    World,
    new_project_user,
    new_session,
    new_session_type,
    unique,
)

from devstack.testing.stack import Stack

# Fixtures (world, client, other_client, token_key) of the shared helper module.


def own_test_type(client: ServiceClient, **fields: object) -> dict:
    response = client.post("/testtypes", {"test_type": {"id_test_type": 0, "test_type_name": unique("TT"), **fields}})
    assert response.status_code == 200, response.text
    return response.json()


def test_test_lifecycle_with_access_token(
    client: ServiceClient, api_stack: Stack, world: World, token_key: str
) -> None:
    test_type = own_test_type(client, test_type_has_web_format=True)
    # A session of one of the service's session types: readable (a session of an accessible project is not).
    session = new_session(api_stack, new_session_type(api_stack, world.service.id).id, world.participant_a.id)
    created = client.post(
        "/tests",
        {
            "test": {
                "id_test": 0,
                "session_uuid": session.uuid,
                "test_type_uuid": test_type["test_type_uuid"],
                "test_name": "T",
                "participant_uuid": world.participant_a.uuid,
            }
        },
    )
    assert created.status_code == 200, created.text
    [test] = created.json()
    assert test["id_session"] == session.id and test["id_participant"] == world.participant_a.id
    listed = client.get("/tests", id_session=session.id, with_urls="true").json()
    assert [t["test_uuid"] for t in listed] == [test["test_uuid"]]
    claims = jwt.decode(listed[0]["access_token"], token_key, algorithms=["HS256"])
    assert claims["test_uuids"] == test["test_uuid"] and claims["requester_uuid"] == world.service.uuid
    assert listed[0]["test_answers_url"].endswith(f"/{world.service.name.lower()}/api/tests/answers")
    only = client.get("/tests", id_participant=world.participant_a.id, with_only_token="1").json()
    assert set(only[0]) == {"test_uuid", "access_token"}
    assert client.delete("/tests", uuid=test["test_uuid"]).status_code == 200
    assert client.get("/tests", id_session=session.id).json() == []


def test_tests_refusals(client: ServiceClient, api_stack: Stack, world: World) -> None:
    hidden_session = new_session(api_stack, new_session_type(api_stack, None).id, world.participant_b.id)
    response = client.get("/tests", id_session=hidden_session.id)
    assert response.status_code == 403 and response.json() == "Session access denied"
    response = client.get("/tests", id_participant=world.participant_b.id)
    assert response.status_code == 403 and response.json() == "Participant access denied"
    response = client.get("/tests")
    assert response.status_code == 400 and response.json() == "No arguments specified"
    test_type = own_test_type(client)
    body = {
        "test": {
            "id_test": 0,
            "id_session": hidden_session.id,
            "id_test_type": test_type["id_test_type"],
            "test_name": "x",
        }
    }
    response = client.post("/tests", body)
    assert response.status_code == 403 and response.json() == "Service can't create tests for that session"
    assert client.post("/tests", {"test": {"id_test": 0, "session_uuid": "nope"}}).status_code == 400
    assert client.delete("/tests", uuid="nope").status_code == 400


def test_invitations(client: ServiceClient, other_client: ServiceClient, api_stack: Stack, world: World) -> None:
    test_type = own_test_type(client, test_type_has_web_format=True)
    invitation = {
        "id_test_invitation": 0,
        "id_test_type": test_type["id_test_type"],
        "id_project": world.project_a1.id,
        "id_participant": world.participant_a.id,
        "test_invitation_expiration_date": "2030-01-01T00:00:00+00:00",
    }
    created = client.post("/tests/invitations", {"tests_invitations": [invitation]})
    assert created.status_code == 200, created.text
    [saved] = created.json()
    key = saved["test_invitation_key"]
    assert len(key) == 16
    assert saved["test_invitation_url"].endswith(f"/viewer&invitation_key={key}")  # upstream's URL, no "?"
    found = client.get("/tests/invitations", test_invitation_key=key, full="true").json()
    assert [i["id_test_invitation"] for i in found] == [saved["id_test_invitation"]]
    assert found[0]["test_invitation_participant"]["participant_uuid"] == world.participant_a.uuid
    by_uuid = client.get("/tests/invitations", participant_uuid=world.participant_a.uuid).json()
    assert saved["id_test_invitation"] in {i["id_test_invitation"] for i in by_uuid}
    assert other_client.get("/tests/invitations", test_invitation_key=key).json() == []
    count = client.post(
        "/tests/invitations",
        {"tests_invitations": {"id_test_invitation": saved["id_test_invitation"], "test_invitation_count": 1}},
    )
    assert count.status_code == 200 and count.json()[0]["test_invitation_count"] == 1
    assert other_client.delete("/tests/invitations", id=saved["id_test_invitation"]).status_code == 403
    assert client.delete("/tests/invitations", id=saved["id_test_invitation"]).status_code == 200
    assert client.get("/tests/invitations", test_invitation_key=key).json() == []


def test_invitation_refusals(client: ServiceClient, api_stack: Stack, world: World) -> None:
    test_type = own_test_type(client)
    base = {
        "id_test_invitation": 0,
        "id_test_type": test_type["id_test_type"],
        "id_project": world.project_a1.id,
        "test_invitation_expiration_date": "2030-01-01T00:00:00+00:00",
    }
    two_invitees = {
        **base,
        "id_participant": world.participant_a.id,
        "id_user": new_project_user(api_stack, world.project_a1.id).id,
    }
    assert client.post("/tests/invitations", {"tests_invitations": [two_invitees]}).status_code == 400
    outsider = {**base, "id_participant": world.participant_b.id}
    assert client.post("/tests/invitations", {"tests_invitations": [outsider]}).status_code == 403
    assert client.get("/tests/invitations", unknown=1).status_code == 400
    assert client.delete("/tests/invitations", id=1, extra=2).status_code == 400
