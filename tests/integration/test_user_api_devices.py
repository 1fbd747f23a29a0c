"""/api/user/devices: devices of accessible sites, created and edited by site and project admins.

Runs on `api_stack` (rows other tests must not see): site A with projects A1, A2; site B with project B1;
devices in A1, in B1, and one in both A1 and B1; a site admin of A, a project admin of A1, an outsider.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from service_world import Row, insert, new_device, new_device_type, new_participant, new_project, new_site
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account
from test_user_api_services import Subscription

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PATH = "/api/user/devices"
DEVICE_EVENTS = "module.TeraServer.DatabaseModule.events.device"


@dataclass(frozen=True)
class DeviceWorld:
    site_a: Row
    project_a1: Row
    project_a2: Row
    project_b1: Row
    id_device_type: int
    device_a: Row  # in A1, with a participant of A1
    device_b: Row  # in B1
    device_shared: Row  # in A1 and B1
    participant_a: Row
    site_admin: Account
    project_admin: Account  # admin of A1 only
    outsider: Account


def sited(stack: Stack, device: Row, *site_ids: int) -> Row:
    """Attach the device to its projects' sites too: users reach devices through t_devices_sites (upstream)."""
    for id_site in site_ids:
        insert(stack, "t_devices_sites", {"id_device": device.id, "id_site": id_site}, "id_device_site")
    return device


@pytest.fixture(scope="module")
def device_world(api_stack: Stack, api_stack_ca: Path) -> DeviceWorld:
    site_a, site_b = new_site(api_stack), new_site(api_stack)
    a1, a2, b1 = new_project(api_stack, site_a.id), new_project(api_stack, site_a.id), new_project(api_stack, site_b.id)
    add_server_roles(api_stack, id_site=site_a.id)
    add_server_roles(api_stack, id_project=a1.id)
    device_a = sited(api_stack, new_device(api_stack, a1.id), site_a.id)
    device_b = sited(api_stack, new_device(api_stack, b1.id), site_b.id)
    device_shared = sited(api_stack, new_device(api_stack, a1.id, b1.id), site_a.id, site_b.id)
    participant = new_participant(api_stack, a1.id)
    insert(
        api_stack,
        "t_devices_participants",
        {"id_device": device_a.id, "id_participant": participant.id},
        "id_device_participant",
    )
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return DeviceWorld(
            site_a=site_a,
            project_a1=a1,
            project_a2=a2,
            project_b1=b1,
            id_device_type=new_device_type(api_stack),
            device_a=device_a,
            device_b=device_b,
            device_shared=device_shared,
            participant_a=participant,
            site_admin=make_account(front, admin, admin_sites=(site_a.id,)),
            project_admin=make_account(front, admin, project_roles={a1.id: "admin"}),
            outsider=make_account(front, admin),
        )


@pytest.fixture
def device_events(api_stack: Stack) -> Iterator[Subscription]:
    client = api_stack.redis(decode_responses=False)
    subscription = Subscription(client, DEVICE_EVENTS)
    yield subscription
    subscription.close()
    client.close()


def names(devices: list[dict[str, Any]]) -> set[str]:
    return {device["device_name"] for device in devices}


def get(front: FrontDoorSession, account: Account, **params: Any) -> list[dict[str, Any]]:
    return checked(front.get(PATH, params=params, headers=account.headers))


def new_device_body(world: DeviceWorld, **fields: Any) -> dict[str, Any]:
    return {
        "device": {
            "id_device": 0,
            "device_name": f"new-{uuid.uuid4().hex[:8]}",
            "id_device_type": world.id_device_type,
            **fields,
        }
    }


def test_needs_authentication(front: FrontDoorSession) -> None:
    assert front.get(PATH).status_code == 401
    assert front.post(PATH, json={"device": {}}).status_code == 401
    assert front.delete(PATH, params={"id": 1}).status_code == 401


@pytest.mark.parametrize(
    "params",
    [{"bogus": 1}, {"id_device": "x"}, {"id_device": 1, "id_project": 1}, {"name": "a", "uuid": "b"}, {"id": 0}],
)
def test_bad_queries_are_400(front: FrontDoorSession, stack_admin_token: str, params: dict[str, Any]) -> None:
    assert front.get(PATH, params=params, headers=bearer(stack_admin_token)).status_code == 400


def test_too_many_ids_is_upstreams_message(front: FrontDoorSession, stack_admin_token: str) -> None:
    answer = front.get(PATH, params={"id_device": 1, "id_site": 1}, headers=bearer(stack_admin_token))
    assert (answer.status_code, answer.json()) == (400, "Too many IDs")  # a bare JSON string, as upstream's


def test_filters_as_upstream_reads_them(front: FrontDoorSession, api_stack: Stack, device_world: DeviceWorld) -> None:
    w = device_world
    mine = {w.device_a.name, w.device_shared.name}
    # `available` is declared upstream but filters nothing there.
    assert names(get(front, w.site_admin, available="true")) == mine
    assert names(get(front, w.site_admin, available="false")) == mine
    # id_device_type narrows all, a site's or a project's devices, and is ignored beside the other selectors.
    unused_type = new_device_type(api_stack)
    assert get(front, w.site_admin, id_device_type=unused_type) == []
    assert get(front, w.site_admin, id_site=w.site_a.id, id_device_type=unused_type) == []
    assert get(front, w.site_admin, id_project=w.project_a1.id, id_device_type=unused_type) == []
    chosen = get(front, w.site_admin, id_device=w.device_a.id, id_device_type=unused_type)
    assert names(chosen) == {w.device_a.name}
    assert names(get(front, w.site_admin, name=w.device_a.name, id_device_type=unused_type)) == {w.device_a.name}


def test_site_admin_sees_the_devices_of_their_site(front: FrontDoorSession, device_world: DeviceWorld) -> None:
    w = device_world
    mine = {w.device_a.name, w.device_shared.name}
    assert names(get(front, w.site_admin)) == mine
    assert names(get(front, w.site_admin, id_project=w.project_a1.id)) == mine
    assert names(get(front, w.site_admin, id_site=w.site_a.id)) == mine
    assert get(front, w.site_admin, id_project=w.project_b1.id) == []
    assert names(get(front, w.site_admin, name=w.device_a.name)) == {w.device_a.name}
    assert names(get(front, w.site_admin, uuid=w.device_shared.uuid)) == {w.device_shared.name}
    assert get(front, w.site_admin, id_device=w.device_b.id) == []
    assert get(front, w.outsider) == []

    [full] = get(front, w.site_admin, id_device=w.device_a.id)
    assert full["device_uuid"] == w.device_a.uuid and full["device_enabled"] is True
    assert {"device_token", "device_config", "device_notes", "device_onlineable", "id_device_type"} <= set(full)
    [minimal] = get(front, w.site_admin, id_device=w.device_a.id, list="true")
    assert "device_config" not in minimal and "device_token" not in minimal

    [rich] = get(
        front,
        w.site_admin,
        id_device=w.device_a.id,
        with_participants="true",
        with_sites="true",
        projects="true",
        with_status="true",
    )
    assert rich["device_participants"] == [
        {
            "id_participant": w.participant_a.id,
            "participant_name": w.participant_a.name,
            "id_project": w.project_a1.id,
            "project_name": w.project_a1.name,
        }
    ]
    assert [site["id_site"] for site in rich["device_sites"]] == [w.site_a.id]
    assert [(p["id_project"], p["project"]["project_name"]) for p in rich["device_projects"]] == [
        (w.project_a1.id, w.project_a1.name)
    ]
    assert rich["device_online"] is False and rich["device_busy"] is False and rich["device_status"] is None


def test_create_needs_site_admin_projects(
    front: FrontDoorSession, api_stack: Stack, device_world: DeviceWorld, device_events: Subscription
) -> None:
    w = device_world
    assert front.post(PATH, json=new_device_body(w), headers=w.site_admin.headers).status_code == 403
    assert front.post(PATH, json=new_device_body(w), headers=w.outsider.headers).status_code == 403
    refused = new_device_body(w, device_projects=[{"id_project": w.project_b1.id}])
    assert front.post(PATH, json=refused, headers=w.site_admin.headers).status_code == 403
    # A project admin is not a site admin: creating is not theirs either.
    theirs = new_device_body(w, device_projects=[{"id_project": w.project_a1.id}])
    assert front.post(PATH, json=theirs, headers=w.project_admin.headers).status_code == 403

    body = new_device_body(w, device_projects=[{"id_project": w.project_a2.id}], device_uuid="ignored")
    [device] = checked(front.post(PATH, json=body, headers=w.site_admin.headers))
    assert device["device_name"] == body["device"]["device_name"] and device["device_uuid"] != "ignored"
    assert device["device_token"]
    assert api_stack.psql(f"SELECT id_project FROM t_devices_projects WHERE id_device = {device['id_device']}") == [
        [str(w.project_a2.id)]
    ]
    event = device_events.wait_for(device["device_uuid"].encode())
    assert event is not None and b"type.googleapis.com/opentera.protobuf.DatabaseEvent" in event
    assert names(get(front, w.site_admin, id_project=w.project_a2.id)) == {device["device_name"]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"nothing": 1}, "Missing device"),
        ({"device": {"device_name": "x"}}, "Missing id_device"),
        # Unknown fields: refused on an update (a new device ignores them, as upstream).
        ({"device": {"id_device": 987654, "device_name": "x", "wheels": 4}}, "wheels"),
        ({"device": {"id_device": 0, "device_projects": {"id_project": 1}}}, "device_projects"),
        ({"device": {"id_device": 0, "device_projects": [{"id_project": 987654}]}}, "id_project"),
    ],
)
def test_bad_bodies_are_400(front: FrontDoorSession, stack_admin_token: str, body: Any, message: str) -> None:
    response = front.post(PATH, json=body, headers=bearer(stack_admin_token))
    assert response.status_code == 400, response.text
    assert message in response.json()


def test_device_updates_need_admin_of_one_of_its_sites(
    front: FrontDoorSession, api_stack: Stack, device_world: DeviceWorld
) -> None:
    w = device_world
    change = {"device": {"id_device": w.device_a.id, "device_name": "renamed", "device_notes": "checked"}}
    # As upstream: updating a device needs it among the devices of a site one administers, so an admin of one of
    # its projects only is refused too (upstream's config-and-notes-only branch is never reached by them).
    assert front.post(PATH, json=change, headers=w.project_admin.headers).status_code == 403
    assert front.post(PATH, json=change, headers=w.outsider.headers).status_code == 403
    notes_change = {"device": {"id_device": w.device_a.id, "device_notes": "checked"}}
    [device] = checked(front.post(PATH, json=notes_change, headers=w.site_admin.headers))
    assert device["device_name"] == w.device_a.name and device["device_notes"] == "checked"
    config_change = {"device": {"id_device": w.device_a.id, "device_config": '{"rate": 50}'}}
    [device] = checked(front.post(PATH, json=config_change, headers=w.site_admin.headers))
    assert device["device_config"] == '{"rate": 50}'
    assert api_stack.psql(f"SELECT device_notes FROM t_devices WHERE id_device = {w.device_a.id}") == [["checked"]]


def test_delete_removes_from_own_projects_then_deletes(
    front: FrontDoorSession, api_stack: Stack, device_world: DeviceWorld, stack_admin_token: str
) -> None:
    w = device_world
    assert front.delete(PATH, params={"id": 987654}, headers=w.site_admin.headers).status_code == 400
    assert front.delete(PATH, params={"id": w.device_shared.id}, headers=w.outsider.headers).status_code == 403
    assert front.delete(PATH, params={"id": w.device_b.id}, headers=w.site_admin.headers).status_code == 403

    # Shared with B1: only removed from A1, still there for B1.
    assert front.delete(PATH, params={"id": w.device_shared.id}, headers=w.site_admin.headers).status_code == 200
    projects = api_stack.psql(f"SELECT id_project FROM t_devices_projects WHERE id_device = {w.device_shared.id}")
    assert projects == [[str(w.project_b1.id)]]
    # Still attached to site A (a partial delete leaves site links alone, as upstream), so still listed there.
    assert [d["id_device"] for d in get(front, w.site_admin, id_device=w.device_shared.id)] == [w.device_shared.id]
    assert w.device_shared.name not in names(get(front, w.site_admin, id_project=w.project_a1.id))

    body = new_device_body(w, device_projects=[{"id_project": w.project_a2.id}])
    [device] = checked(front.post(PATH, json=body, headers=w.site_admin.headers))
    assert front.delete(PATH, params={"id": device["id_device"]}, headers=w.site_admin.headers).status_code == 200
    admin = Account(0, "", "admin", stack_admin_token)
    assert get(front, admin, id_device=device["id_device"]) == []


def test_direct_read_on_teraserver_port(api_stack: Stack, device_world: DeviceWorld) -> None:
    base = f"http://127.0.0.1:{api_stack.host_port('teraserver', 4040)}"
    assert requests.get(base + PATH, timeout=15).status_code == 401
    response = requests.get(
        base + PATH, params={"id_device": device_world.device_a.id}, headers=device_world.site_admin.headers, timeout=15
    )
    assert response.status_code == 200 and [d["device_uuid"] for d in response.json()] == [device_world.device_a.uuid]
