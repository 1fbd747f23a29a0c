"""GET /api/service/access (what a user/participant/device sees), /auth/code and /disconnect."""

from __future__ import annotations

import json

import redis
from service_world import (
    ServiceClient,
    World,
    insert,
    new_device,
    new_project_user,
)

from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

# Fixtures of the shared helper module: world, client, other_client, token_key.


def test_user_view(client: ServiceClient, api_stack: Stack, world: World) -> None:
    member = new_project_user(api_stack, world.project_a1.id)
    body = client.get(
        "/access",
        from_user_uuid=member.uuid,
        with_projects="true",
        with_participants="true",
        with_sites="true",
        with_names="true",
    ).json()
    assert body["from_user_uuid"] == member.uuid and body["admin"] is False
    assert body["projects"] == [{"id": world.project_a1.id, "name": world.project_a1.name}]
    assert {"uuid": world.participant_a.uuid, "name": world.participant_a.name} in body["participants"]
    assert world.participant_b.uuid not in {p["uuid"] for p in body["participants"]}
    assert body["sites"] == [{"id": world.site_a.id, "name": world.site_a.name}]
    admin_only = client.get("/access", from_user_uuid=member.uuid, with_projects="true", admin="true").json()
    assert admin_only["projects"] == [] and admin_only["admin"] is True


def test_participant_and_device_views(client: ServiceClient, api_stack: Stack, world: World) -> None:
    participant = client.get(
        "/access", from_participant_uuid=world.participant_a.uuid, with_participants="true", with_users="true"
    ).json()
    assert participant == {
        "from_participant_uuid": world.participant_a.uuid,
        "users": [],
        "participants": [{"uuid": world.participant_a.uuid}],
    }
    device = new_device(api_stack, world.project_a1.id)
    insert(
        api_stack,
        "t_devices_participants",
        {"id_device": device.id, "id_participant": world.participant_a.id},
        "id_device_participant",
    )
    seen = client.get("/access", from_device_uuid=device.uuid, with_participants="true", with_devices="true").json()
    assert seen == {
        "from_device_uuid": device.uuid,
        "participants": [{"uuid": world.participant_a.uuid}],
        "devices": [{"uuid": device.uuid}],
    }


def test_access_errors(client: ServiceClient, world: World) -> None:
    assert client.get("/access").status_code == 400
    assert client.get("/access", from_user_uuid="unknown").status_code == 400
    assert client.get("/access", from_participant_uuid=world.participant_a.uuid, admin="true").status_code == 400
    assert client.get("/access", from_device_uuid="unknown").status_code == 400


def test_auth_code_is_stored_for_five_minutes(client: ServiceClient, world: World, stack_redis: redis.Redis) -> None:
    response = client.get("/auth/code", endpoint_url="/after/login")
    assert response.status_code == 200, response.text
    code = response.json()["auth_code"]
    assert len(code) >= 40  # token_urlsafe(32)
    key = f"service_auth_code_{code}"
    assert json.loads(stack_redis.get(key)) == {"service_uuid": world.service.uuid, "endpoint_url": "/after/login"}
    assert 0 < stack_redis.ttl(key) <= 300
    assert client.get("/auth/code").status_code == 400
    assert client.get("/auth/code", endpoint_url="/x", other="y").status_code == 400


def test_disconnect_publishes_the_server_command(client: ServiceClient, api_stack: Stack, world: World) -> None:
    raw = api_stack.redis(decode_responses=False)
    topic = f"module.TeraServer.TwistedModule.events.{world.participant_a.uuid}"
    with Subscription(raw, topic) as published:
        response = client.get("/disconnect", participant_uuid=world.participant_a.uuid)
        command = published.first(lambda data: data)
    raw.close()
    assert response.status_code == 200 and response.json() == "Success"
    assert command is not None, "no server command published"
    assert topic.encode() in command  # head.dest of the TeraModuleMessage
    assert b"type.googleapis.com/opentera.protobuf.ServerCommand" in command


def test_disconnect_refusals(client: ServiceClient, world: World) -> None:
    assert client.get("/disconnect").status_code == 400
    assert client.get("/disconnect", participant_uuid=world.participant_b.uuid).status_code == 403
    assert client.get("/disconnect", id_user=987654).status_code == 403
