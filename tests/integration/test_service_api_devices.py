"""/api/service/devices: one device object for devices of the service's projects; create and update."""

from __future__ import annotations

from service_world import (
    ServiceClient,
    World,
    new_device,
    new_device_type,
    unique,
)

from devstack.testing.stack import Stack

# Fixtures (world, client, other_client, token_key) of the shared helper module.

DEVICE_FIELDS = {
    "id_device",
    "device_uuid",
    "device_name",
    "device_token",
    "device_enabled",
    "device_onlineable",
    "device_config",
    "device_infos",
    "device_notes",
    "device_lastonline",
    "id_device_type",
    "id_device_subtype",
}


def test_device_of_a_linked_project_is_one_object(client: ServiceClient, api_stack: Stack, world: World) -> None:
    device = new_device(api_stack, world.project_a1.id)
    by_uuid = client.get("/devices", device_uuid=device.uuid)
    assert by_uuid.status_code == 200, by_uuid.text
    body = by_uuid.json()
    assert isinstance(body, dict) and body == client.get("/devices", id_device=device.id).json()
    assert set(body) >= DEVICE_FIELDS and body["device_uuid"] == device.uuid


def test_optional_parts(client: ServiceClient, api_stack: Stack, world: World) -> None:
    device = new_device(api_stack, world.project_a1.id)
    body = client.get(
        "/devices", id_device=device.id, with_device_type="true", with_device_subtype="true", with_device_assets="true"
    ).json()
    assert body["device_type"]["id_device_type"] == body["id_device_type"]
    assert body["device_subtype"] is None and body["device_assets"] == []


def test_devices_elsewhere_are_forbidden(client: ServiceClient, api_stack: Stack, world: World) -> None:
    assert client.get("/devices", id_device=new_device(api_stack, world.project_b1.id).id).status_code == 403
    assert client.get("/devices", id_device=new_device(api_stack).id).status_code == 403
    assert client.get("/devices", device_uuid="unknown").status_code == 400  # as upstream: unknown is 400
    response = client.get("/devices", with_device_type="true")
    assert response.status_code == 400 and response.json() == "Missing arguments"


def test_create_then_update(client: ServiceClient, api_stack: Stack, world: World) -> None:
    name = unique("NewDevice")
    id_type = new_device_type(api_stack)
    created = client.post(
        "/devices", {"device": {"id_device": 0, "device_name": name, "id_device_type": id_type, "id_device_subtype": 0}}
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["device_name"] == name and body["device_enabled"] is True and body["device_token"]
    # Not in any project yet: invisible, so not updatable either.
    update = {"device": {"id_device": body["id_device"], "device_notes": "n"}}
    assert client.post("/devices", update).status_code == 403
    api_stack.psql(
        "INSERT INTO t_devices_projects (id_device_project, id_device, id_project, version_id) VALUES "
        f"(nextval('id_device_project_sequence'), {body['id_device']}, {world.project_a1.id}, 1)"
    )
    updated = client.post("/devices", update)
    assert updated.status_code == 200 and updated.json()["device_notes"] == "n"


def test_create_refusals(client: ServiceClient, api_stack: Stack) -> None:
    id_type = new_device_type(api_stack)
    assert (
        client.post("/devices", {"device": {"id_device": 0, "device_name": "x", "id_device_type": 0}}).status_code
        == 403
    )
    assert (
        client.post(
            "/devices",
            {"device": {"id_device": 0, "device_name": "x", "id_device_type": id_type, "id_device_subtype": -1}},
        ).status_code
        == 403
    )
    assert (
        client.post("/devices", {"device": {"id_device": 0, "device_name": "x", "id_device_type": 99999}}).status_code
        == 403
    )
    assert client.post("/devices", {"device": {"id_device": 0}}).status_code == 400
