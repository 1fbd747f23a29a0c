"""/api/user/users/online, /participants/online, /devices/online and /api/user/disconnect.

Nobody here opens a websocket, so nobody is online: the lists (built, as upstream's, from the UserManager's
RPC answers) are empty, and a disconnect sends its command to a target that is not connected, after upstream's
access checks (test_websockets.py has clients online). Runs on `api_stack`: site A with project A1,
participant P of A1, device D in site A and A1; a site admin of A, a project admin of A1, a member ("user")
of A1, an outsider.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from service_world import Row, insert, new_device, new_participant, new_project, new_site
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

ONLINE = ["/api/user/users/online", "/api/user/participants/online", "/api/user/devices/online"]
DISCONNECT = "/api/user/disconnect"
USER_MANAGER_RPC = "module.TeraServer.UserManagerModule.rpc"
CLIENT_EVENTS = "module.TeraServer.TwistedModule.events.{uuid}"


@dataclass(frozen=True)
class OnlineWorld:
    participant: Row
    device: Row
    site_admin: Account
    project_admin: Account
    member: Account
    outsider: Account


@pytest.fixture(scope="module")
def online_world(api_stack: Stack, api_stack_ca: Path) -> OnlineWorld:
    site = new_site(api_stack)
    project = new_project(api_stack, site.id)
    add_server_roles(api_stack, id_site=site.id)
    add_server_roles(api_stack, id_project=project.id)
    device = new_device(api_stack, project.id)
    insert(api_stack, "t_devices_sites", {"id_device": device.id, "id_site": site.id}, "id_device_site")
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return OnlineWorld(
            participant=new_participant(api_stack, project.id),
            device=device,
            site_admin=make_account(front, admin, admin_sites=(site.id,)),
            project_admin=make_account(front, admin, project_roles={project.id: "admin"}),
            member=make_account(front, admin, project_roles={project.id: "user"}),
            outsider=make_account(front, admin),
        )


@pytest.fixture
def raw_api_redis(api_stack: Stack) -> Iterator[redis.Redis]:
    client = api_stack.redis(decode_responses=False)
    yield client
    client.close()


def refused(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert message in response.json(), response.text


@pytest.mark.parametrize("path", [*ONLINE, DISCONNECT])
def test_needs_authentication(front: FrontDoorSession, path: str) -> None:
    assert front.get(path).status_code == 401


@pytest.mark.parametrize("path", ONLINE)
def test_nobody_is_online(
    front: FrontDoorSession, online_world: OnlineWorld, stack_admin_token: str, raw_api_redis: redis.Redis, path: str
) -> None:
    w = online_world
    method = {"users": b"status_users", "participants": b"status_participants", "devices": b"status_devices"}
    with Subscription(raw_api_redis, USER_MANAGER_RPC) as requests_seen:
        for headers in (bearer(stack_admin_token), w.site_admin.headers, w.member.headers, w.outsider.headers):
            assert checked(front.get(path, headers=headers)) == []
        # The list comes from the UserManager, asked over RPC as upstream does.
        assert requests_seen.wait_for(method[path.split("/")[3]]) is not None
    assert front.get(path, params={"bogus": 1}, headers=w.member.headers).status_code == 400


def test_online_participants_take_upstreams_flags(front: FrontDoorSession, online_world: OnlineWorld) -> None:
    params = {"with_sites": "true", "with_projects": "true"}
    headers = online_world.member.headers
    assert checked(front.get("/api/user/participants/online", params=params, headers=headers)) == []


def test_disconnect_needs_a_target(front: FrontDoorSession, online_world: OnlineWorld) -> None:
    refused(front.get(DISCONNECT, headers=online_world.member.headers), 400, "Invalid request")
    assert front.get(DISCONNECT, params={"bogus": 1}, headers=online_world.member.headers).status_code == 400


def test_disconnect_of_oneself_is_a_logout(
    front: FrontDoorSession, api_stack: Stack, online_world: OnlineWorld, stack_admin_token: str
) -> None:
    me = online_world.project_admin
    refused(front.get(DISCONNECT, params={"id_user": me.id}, headers=me.headers), 400, "Use Logout instead")
    refused(front.get(DISCONNECT, params={"user_uuid": me.uuid}, headers=me.headers), 400, "Use Logout instead")
    # A member administers no project: only oneself is within reach.
    member = online_world.member
    refused(front.get(DISCONNECT, params={"id_user": member.id}, headers=member.headers), 400, "Use Logout instead")
    id_admin = api_stack.psql("SELECT id_user FROM t_users WHERE user_username = 'admin'")[0][0]
    response = front.get(DISCONNECT, params={"id_user": id_admin}, headers=bearer(stack_admin_token))
    refused(response, 400, "Use Logout instead")


@pytest.mark.parametrize(
    ("target", "allowed", "denied"),
    [
        # A site admin administers every project of the site (upstream's rule), so its participants and users.
        ("participant", ["project_admin", "site_admin", "superadmin"], ["member", "outsider"]),
        # Devices: those of the sites one administers.
        ("device", ["site_admin", "superadmin"], ["project_admin", "member", "outsider"]),
        ("user", ["project_admin", "site_admin", "superadmin"], ["outsider"]),
    ],
)
def test_disconnect_needs_admin_access_to_the_target(
    front: FrontDoorSession,
    online_world: OnlineWorld,
    stack_admin_token: str,
    raw_api_redis: redis.Redis,
    target: str,
    allowed: list[str],
    denied: list[str],
) -> None:
    w = online_world
    accounts = {
        "superadmin": bearer(stack_admin_token),
        "site_admin": w.site_admin.headers,
        "project_admin": w.project_admin.headers,
        "member": w.member.headers,
        "outsider": w.outsider.headers,
    }
    if target == "participant":
        by_id, by_uuid = {"id_participant": w.participant.id}, {"participant_uuid": w.participant.uuid}
        uuid = w.participant.uuid
    elif target == "device":
        by_id, by_uuid, uuid = {"id_device": w.device.id}, {"device_uuid": w.device.uuid}, w.device.uuid
    else:
        by_id, by_uuid, uuid = {"id_user": w.member.id}, {"user_uuid": w.member.uuid}, w.member.uuid
    for name in denied:
        for params in (by_id, by_uuid):
            refused(front.get(DISCONNECT, params=params, headers=accounts[name]), 403, "Forbidden")
    with Subscription(raw_api_redis, CLIENT_EVENTS.format(uuid=uuid)) as commands:
        for name in allowed:
            for params in (by_id, by_uuid):
                assert checked(front.get(DISCONNECT, params=params, headers=accounts[name])) == "Success"
        # The disconnect command went to the target's websocket topic (nobody listens: it is not connected).
        assert commands.wait_for(uuid.encode()) is not None
    unknown = {key: 987654 if key.startswith("id_") else "00000000-0000-0000-0000-000000000000" for key in by_id}
    refused(front.get(DISCONNECT, params=unknown, headers=accounts["superadmin"]), 403, "Forbidden")
