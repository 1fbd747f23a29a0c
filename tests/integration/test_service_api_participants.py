"""/api/service/participants and /api/service/groups: only the projects linked to the calling service."""

from __future__ import annotations

from service_world import (
    ServiceClient,
    World,
    link_service_project,
    new_participant,
    new_participant_group,
    new_project,
    unique,
)

from devstack.testing.stack import Stack

# Fixtures (world, client, other_client, token_key) of the shared helper module.

PARTICIPANT_FIELDS = {
    "id_participant",
    "participant_uuid",
    "participant_name",
    "participant_email",
    "participant_enabled",
    "participant_login_enabled",
    "participant_token_enabled",
    "participant_token",
    "participant_username",
    "participant_lastonline",
    "id_project",
    "id_participant_group",
    "participant_project_enabled",
}


def test_participant_by_uuid_or_id_is_one_object(client: ServiceClient, world: World) -> None:
    by_uuid = client.get("/participants", participant_uuid=world.participant_a.uuid)
    by_id = client.get("/participants", id_participant=world.participant_a.id)
    assert by_uuid.status_code == 200, by_uuid.text
    assert isinstance(by_uuid.json(), dict) and by_uuid.json() == by_id.json()
    assert set(by_uuid.json()) >= PARTICIPANT_FIELDS
    assert by_uuid.json()["participant_uuid"] == world.participant_a.uuid


def test_participant_of_another_project_is_forbidden(
    client: ServiceClient, other_client: ServiceClient, world: World
) -> None:
    assert client.get("/participants", participant_uuid=world.participant_b.uuid).status_code == 403
    assert other_client.get("/participants", participant_uuid=world.participant_b.uuid).status_code == 200
    assert other_client.get("/participants", id_participant=world.participant_a.id).status_code == 403


def test_by_project_and_group_are_lists(client: ServiceClient, api_stack: Stack, world: World) -> None:
    group = new_participant_group(api_stack, world.project_a1.id)
    grouped = new_participant(api_stack, world.project_a1.id, group.id)
    by_project = client.get("/participants", id_project=world.project_a1.id).json()
    assert {p["participant_uuid"] for p in by_project} >= {world.participant_a.uuid, grouped.uuid}
    by_group = client.get("/participants", id_participant_group=group.id).json()
    assert [p["participant_uuid"] for p in by_group] == [grouped.uuid]
    assert client.get("/participants", id_project=world.project_b1.id).status_code == 403


def test_by_name_is_a_minimal_list(client: ServiceClient, world: World) -> None:
    found = client.get("/participants", name=world.participant_a.name).json()
    assert [p["participant_uuid"] for p in found] == [world.participant_a.uuid]
    assert client.get("/participants", name=world.participant_b.name).json() == []


def test_strict_parameters(client: ServiceClient, world: World) -> None:
    response = client.get("/participants")
    assert response.status_code == 400 and response.json() == "Missing arguments"
    assert client.get("/participants", id_participant=world.participant_a.id, nope=1).status_code == 400


def test_create_and_update_participant(client: ServiceClient, world: World) -> None:
    name = unique("Created")
    created = client.post(
        "/participants",
        {
            "participant": {
                "id_participant": 0,
                "id_project": world.project_a1.id,
                "participant_email": "a@b.c",
                "participant_name": name,
            }
        },
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["participant_name"] == name and body["id_project"] == world.project_a1.id
    renamed = client.post(
        "/participants",
        {
            "participant": {
                "id_participant": body["id_participant"],
                "id_project": world.project_a1.id,
                "participant_email": "x@y.z",
                "participant_name": name + "-2",
            }
        },
    )
    assert renamed.status_code == 200 and renamed.json()["participant_name"] == name + "-2"


def test_create_participant_bad_input(client: ServiceClient, world: World) -> None:
    missing = client.post("/participants", {"participant": {"id_participant": 0, "id_project": world.project_a1.id}})
    assert missing.status_code == 400  # upstream: 500 KeyError
    foreign = {"id_participant": 0, "id_project": world.project_b1.id, "participant_email": "", "participant_name": "x"}
    assert client.post("/participants", {"participant": foreign}).status_code == 403
    assert client.post("/participants", {"nothing": 1}).status_code == 400
    assert client.post("/participants", ["not", "an", "object"]).status_code == 400


def test_groups(client: ServiceClient, api_stack: Stack, world: World) -> None:
    group = new_participant_group(api_stack, world.project_a1.id)
    one = client.get("/groups", id_participant_group=group.id)
    assert one.status_code == 200 and one.json() == {
        "id_participant_group": group.id,
        "id_project": world.project_a1.id,
        "participant_group_name": group.name,
    }
    listed = client.get("/groups", id_project=world.project_a1.id).json()
    assert group.id in {g["id_participant_group"] for g in listed}
    assert client.get("/groups", id_participant_group=987654).status_code == 403  # as upstream: access first
    assert client.get("/groups", id_project=world.project_b1.id).status_code == 403
    response = client.get("/groups")
    assert response.status_code == 400 and response.json() == "Missing arguments"
    empty = new_project(api_stack, world.site_a.id)
    link_service_project(api_stack, world.service.id, empty.id)
    response = client.get("/groups", id_project=empty.id)  # as upstream: a project without groups is a 400
    assert response.status_code == 400 and response.json() == "Missing arguments"


def test_group_create_update_delete(client: ServiceClient, world: World) -> None:
    created = client.post(
        "/groups",
        {
            "participant_group": {
                "id_participant_group": 0,
                "id_project": world.project_a1.id,
                "participant_group_name": "G1",
            }
        },
    )
    assert created.status_code == 200, created.text
    id_group = created.json()["id_participant_group"]
    updated = client.post(
        "/groups", {"participant_group": {"id_participant_group": id_group, "participant_group_name": "G2"}}
    )
    assert updated.status_code == 200 and updated.json()["participant_group_name"] == "G2"
    assert client.delete("/groups", id=id_group).status_code == 200
    assert client.get("/groups", id_participant_group=id_group).status_code == 403
    foreign = {"id_participant_group": 0, "id_project": world.project_b1.id, "participant_group_name": "x"}
    assert client.post("/groups", {"participant_group": foreign}).status_code == 403
