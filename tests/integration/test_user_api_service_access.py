"""/api/user/services/access: a site admin granting service roles to groups and devices of their site.

Runs on `api_stack` (rows other tests must not see). Also holds the helpers the other test_user_api_{
service_configs,devices,sessiontypes} modules import: accounts that log in through the front door.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from service_world import (
    Row,
    insert,
    link_service_project,
    link_service_site,
    new_device,
    new_participant_group,
    new_project,
    new_role,
    new_service,
    new_site,
    new_user_group,
    opentera_server_id,
)
from user_world import Account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

# Fixtures (api_stack, front, stack_admin_token, ...) of the shared helper module.

PASSWORD = "Very$ecret-Passw0rd"
PATH = "/api/user/services/access"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def add_server_roles(stack: Stack, *, id_site: int | None = None, id_project: int | None = None) -> None:
    """The OpenTeraServer admin/user roles TeraServer creates with a site or project; rows made in SQL lack them,
    and groups get their site or project access through these roles."""
    server = opentera_server_id(stack)
    for name in ("admin", "user"):
        new_role(stack, server, name, id_project=id_project, id_site=id_site)


def make_account(
    front: FrontDoorSession,
    admin_token: str,
    *,
    admin_sites: tuple[int, ...] = (),
    project_roles: dict[int, str] | None = None,
) -> Account:
    """A user created through the API (so it has a real password), in a group holding the given roles."""
    tag = uuid.uuid4().hex[:8]
    groups = []
    if admin_sites or project_roles:
        group_body = {
            "user_group": {
                "id_user_group": 0,
                "user_group_name": f"group {tag}",
                "user_group_sites_access": [{"id_site": s, "site_access_role": "admin"} for s in admin_sites],
                "user_group_projects_access": [
                    {"id_project": p, "project_access_role": role} for p, role in (project_roles or {}).items()
                ],
            }
        }
        response = front.post("/api/user/usergroups", json=group_body, headers=bearer(admin_token))
        assert response.status_code == 200, response.text
        groups = [{"id_user_group": response.json()[0]["id_user_group"]}]
    username = f"u{tag}"
    user_body = {
        "user": {
            "id_user": 0,
            "user_username": username,
            "user_firstname": "Test",
            "user_lastname": tag,
            "user_password": PASSWORD,
            "user_enabled": True,
            "user_user_groups": groups,
        }
    }
    response = front.post("/api/user/users", json=user_body, headers=bearer(admin_token))
    assert response.status_code == 200, response.text
    user = response.json()[0]
    return Account(user["id_user"], user["user_uuid"], username, login(front, username, PASSWORD))


def checked(response: requests.Response) -> Any:
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    return response.json()


@dataclass(frozen=True)
class AccessWorld:
    site_a: Row
    site_b: Row
    project_a1: Row
    project_b1: Row
    service: Row  # linked to site A and project A1
    other_service: Row  # linked to site B only
    service_role: int  # a global role of `service`
    second_role: int  # another global role of `service`
    other_role: int  # a global role of `other_service`
    group_a: Row  # holds a role on project A1
    group_b: Row  # holds a role on project B1
    participant_group_a: Row
    device_a: Row


@pytest.fixture(scope="module")
def access_world(api_stack: Stack) -> AccessWorld:
    site_a, site_b = new_site(api_stack), new_site(api_stack)
    project_a1, project_b1 = new_project(api_stack, site_a.id), new_project(api_stack, site_b.id)
    service, other = new_service(api_stack), new_service(api_stack)
    link_service_site(api_stack, service.id, site_a.id)
    link_service_project(api_stack, service.id, project_a1.id)
    link_service_site(api_stack, other.id, site_b.id)
    add_server_roles(api_stack, id_site=site_a.id)
    server = opentera_server_id(api_stack)
    # Users reach a device through its site (t_devices_sites), as upstream.
    device = new_device(api_stack, project_a1.id)
    insert(api_stack, "t_devices_sites", {"id_device": device.id, "id_site": site_a.id}, "id_device_site")
    return AccessWorld(
        site_a=site_a,
        site_b=site_b,
        project_a1=project_a1,
        project_b1=project_b1,
        service=service,
        other_service=other,
        service_role=new_role(api_stack, service.id, "admin"),
        second_role=new_role(api_stack, service.id, "user"),
        other_role=new_role(api_stack, other.id, "admin"),
        group_a=new_user_group(api_stack, new_role(api_stack, server, "user", id_project=project_a1.id)),
        group_b=new_user_group(api_stack, new_role(api_stack, server, "user", id_project=project_b1.id)),
        participant_group_a=new_participant_group(api_stack, project_a1.id),
        device_a=device,
    )


@pytest.fixture(scope="module")
def site_admin(api_stack: Stack, access_world: AccessWorld, api_stack_ca: Any) -> Account:
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        return make_account(front, login(front, "admin", "admin"), admin_sites=(access_world.site_a.id,))


@pytest.fixture(scope="module")
def outsider(api_stack: Stack, api_stack_ca: Any) -> Account:
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        return make_account(front, login(front, "admin", "admin"))


def grant(front: FrontDoorSession, headers: dict[str, str], **item: Any) -> requests.Response:
    return front.post(PATH, json={"service_access": {"id_service_access": 0, **item}}, headers=headers)


def access_ids(rows: list[dict[str, Any]]) -> set[int]:
    return {row["id_service_access"] for row in rows}


def test_needs_authentication(front: FrontDoorSession) -> None:
    assert front.get(PATH, params={"id_service": 1}).status_code == 401
    assert front.post(PATH, json={"service_access": []}).status_code == 401
    assert front.delete(PATH, params={"id": 1}).status_code == 401
    assert front.get(PATH, params={"id_service": 1}, headers=bearer("not-a-token")).status_code == 401


@pytest.mark.parametrize(
    "params",
    [{}, {"unknown": 1}, {"id_user_group": "abc"}, {"id_service": 1, "with_roles": "true"}],
)
def test_bad_query_is_400(front: FrontDoorSession, stack_admin_token: str, params: dict[str, Any]) -> None:
    assert front.get(PATH, params=params, headers=bearer(stack_admin_token)).status_code == 400
    assert front.delete(PATH, params={"id": "x"}, headers=bearer(stack_admin_token)).status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1], "Invalid JSON body"),
        ({"nothing": 1}, "Missing service_access"),
        ({"service_access": [1]}, "Invalid service_access"),
        ({"service_access": {"id_user_group": 1}}, "Missing id_service_access"),
        ({"service_access": {"id_service_access": "0"}}, "Invalid id_service_access"),
        ({"service_access": {"id_service_access": 0, "id_user_group": 1, "id_device": 1}}, "Can't combine"),
        ({"service_access": {"id_service_access": 0}}, "Missing id_service_role"),
        ({"service_access": {"id_service_access": 0, "id_service_role": 987654}}, "Bad id_service_role"),
        ({"service_access": {"id_service_access": 987654}}, "Not found"),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(
    front: FrontDoorSession, stack_admin_token: str, body: Any, message: str
) -> None:
    response = front.post(PATH, json=body, headers=bearer(stack_admin_token))
    assert response.status_code == 400, response.text
    assert message in response.json()


def test_new_row_needs_a_holder(
    front: FrontDoorSession, stack_admin_token: str, access_world: AccessWorld, api_stack: Stack
) -> None:
    before = api_stack.psql("SELECT count(*) FROM t_services_access")[0][0]
    response = front.post(
        PATH,
        json={"service_access": {"id_service_access": 0, "id_service_role": access_world.service_role}},
        headers=bearer(stack_admin_token),
    )
    assert response.status_code == 400 and "Missing at least one id field" in response.json()
    assert api_stack.psql("SELECT count(*) FROM t_services_access")[0][0] == before


def test_site_admin_grants_reads_updates_and_deletes(
    front: FrontDoorSession, api_stack: Stack, access_world: AccessWorld, site_admin: Account
) -> None:
    w = access_world
    items = [
        {"id_service_access": 0, "id_user_group": w.group_a.id, "id_service_role": w.service_role},
        {"id_service_access": 0, "id_participant_group": w.participant_group_a.id, "id_service_role": w.service_role},
        {"id_service_access": 0, "id_device": w.device_a.id, "id_service_role": w.second_role},
    ]
    posted = checked(front.post(PATH, json={"service_access": items}, headers=site_admin.headers))
    ids = [item["id_service_access"] for item in posted]
    assert all(isinstance(i, int) and i > 0 for i in ids)
    stored = api_stack.psql(
        "SELECT id_service_access, coalesce(id_user_group, -1), coalesce(id_participant_group, -1), "
        f"coalesce(id_device, -1), id_service_role FROM t_services_access WHERE id_service_access IN "
        f"({', '.join(map(str, ids))}) ORDER BY id_service_access"
    )
    assert stored == [
        [str(ids[0]), str(w.group_a.id), "-1", "-1", str(w.service_role)],
        [str(ids[1]), "-1", str(w.participant_group_a.id), "-1", str(w.service_role)],
        [str(ids[2]), "-1", "-1", str(w.device_a.id), str(w.second_role)],
    ]

    [row] = checked(front.get(PATH, params={"id_user_group": w.group_a.id}, headers=site_admin.headers))
    assert row["id_service_access"] == ids[0]
    assert row["id_user_group"] == w.group_a.id and "id_device" not in row and "id_participant_group" not in row
    assert row["id_service_role"] == w.service_role and row["service_role_name"] == "admin"
    assert row["id_service"] == w.service.id and row["service_key"] == w.service.name
    assert row["service_name"] == w.service.name and row["user_group_name"] == w.group_a.name
    by_service = checked(front.get(PATH, params={"id_service": w.service.id}, headers=site_admin.headers))
    assert set(ids) <= access_ids(by_service)
    [device_row] = checked(front.get(PATH, params={"id_device": w.device_a.id}, headers=site_admin.headers))
    assert device_row["device_name"] == w.device_a.name and device_row["service_role_name"] == "user"
    [group_row] = checked(
        front.get(PATH, params={"id_participant_group": w.participant_group_a.id}, headers=site_admin.headers)
    )
    assert group_row["participant_group_name"] == w.participant_group_a.name

    # Update: another role of the same service; then no role at all = the row is deleted.
    change = {"id_service_access": ids[0], "id_user_group": w.group_a.id, "id_service_role": w.second_role}
    checked(front.post(PATH, json={"service_access": change}, headers=site_admin.headers))
    assert api_stack.psql(f"SELECT id_service_role FROM t_services_access WHERE id_service_access = {ids[0]}") == [
        [str(w.second_role)]
    ]
    checked(front.post(PATH, json={"service_access": {"id_service_access": ids[0]}}, headers=site_admin.headers))
    assert checked(front.get(PATH, params={"id_user_group": w.group_a.id}, headers=site_admin.headers)) == []

    assert front.delete(PATH, params={"id": ids[1]}, headers=site_admin.headers).status_code == 200
    assert front.delete(PATH, params={"id": ids[1]}, headers=site_admin.headers).status_code == 400
    remaining = checked(front.get(PATH, params={"id_service": w.service.id}, headers=site_admin.headers))
    assert ids[1] not in access_ids(remaining) and ids[2] in access_ids(remaining)


def test_scope_of_a_site_admin(
    front: FrontDoorSession,
    stack_admin_token: str,
    access_world: AccessWorld,
    site_admin: Account,
    outsider: Account,
) -> None:
    w = access_world
    # Holders outside their site, and roles of a service not theirs, are refused; nothing is written.
    assert (
        grant(front, site_admin.headers, id_user_group=w.group_b.id, id_service_role=w.service_role).status_code == 403
    )
    assert grant(front, site_admin.headers, id_user_group=w.group_a.id, id_service_role=w.other_role).status_code == 403
    assert grant(front, outsider.headers, id_user_group=w.group_a.id, id_service_role=w.service_role).status_code == 403

    # The superadmin grants on site B; the site admin of A does not see nor delete that row.
    admin = bearer(stack_admin_token)
    [row] = checked(grant(front, admin, id_user_group=w.group_b.id, id_service_role=w.other_role))
    admin_view = checked(front.get(PATH, params={"id_user_group": w.group_b.id}, headers=admin))
    assert row["id_service_access"] in access_ids(admin_view)
    assert checked(front.get(PATH, params={"id_user_group": w.group_b.id}, headers=site_admin.headers)) == []
    assert checked(front.get(PATH, params={"id_service": w.other_service.id}, headers=site_admin.headers)) == []
    assert checked(front.get(PATH, params={"id_service": w.service.id}, headers=outsider.headers)) == []
    assert front.delete(PATH, params={"id": row["id_service_access"]}, headers=site_admin.headers).status_code == 403
    assert front.delete(PATH, params={"id": row["id_service_access"]}, headers=outsider.headers).status_code == 403


def test_a_granted_global_role_reaches_the_user_token(
    front: FrontDoorSession, api_stack: Stack, stack_admin_token: str, access_world: AccessWorld
) -> None:
    """What a service sees: after the grant, a fresh token of a group member carries the role."""
    w = access_world
    member = make_account(front, stack_admin_token, project_roles={w.project_a1.id: "user"})
    [group] = api_stack.psql(f"SELECT id_user_group FROM t_users_users_groups WHERE id_user = {member.id}")
    [granted] = checked(
        grant(front, bearer(stack_admin_token), id_user_group=int(group[0]), id_service_role=w.service_role)
    )
    of_member = checked(front.get(PATH, params={"id_user": member.id}, headers=bearer(stack_admin_token)))
    assert granted["id_service_access"] in access_ids(of_member)
    token = login(front, member.username, PASSWORD)
    payload = json.loads(_base64url(token.split(".")[1]))
    assert payload["service_access"] == {w.service.name: ["admin"]}


def test_direct_read_on_teraserver_port(api_stack: Stack, access_world: AccessWorld, stack_admin_token: str) -> None:
    base = f"http://127.0.0.1:{api_stack.host_port('teraserver', 4040)}"
    response = requests.get(f"{base}{PATH}", params={"id_service": access_world.service.id}, timeout=15)
    assert response.status_code == 401
    response = requests.get(
        f"{base}{PATH}", params={"id_service": access_world.service.id}, headers=bearer(stack_admin_token), timeout=15
    )
    assert response.status_code == 200 and isinstance(response.json(), list)


def _base64url(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def test_system_service_roles_are_not_granted_here(
    front: FrontDoorSession, api_stack: Stack, stack_admin_token: str, access_world: AccessWorld
) -> None:
    """OpenTeraServer's site and project roles are given through /api/user/usergroups, as upstream."""
    w = access_world
    server_role = new_role(api_stack, opentera_server_id(api_stack), "admin", id_project=w.project_a1.id)
    refused = grant(front, bearer(stack_admin_token), id_user_group=w.group_a.id, id_service_role=server_role)
    assert refused.status_code == 403
