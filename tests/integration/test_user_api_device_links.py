"""/api/user/devices/participants, /devices/projects and /devices/sites: who may see and change device links.

Runs on `api_stack` (rows other tests must not see): site A with projects A1, A2; site B with project B1.
Device `used` is in site A and project A1, used by participant P1 of A1; device `free` is in site A only;
device `far` is in site B and project B1. Accounts: a site admin of A, a project admin of A1, a member ("user")
of A1, an outsider; the superadmin logs in as admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from service_world import Row, insert, new_device, new_participant, new_project, new_site
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PARTICIPANTS = "/api/user/devices/participants"
PROJECTS = "/api/user/devices/projects"
SITES = "/api/user/devices/sites"


@dataclass(frozen=True)
class LinksWorld:
    site_a: Row
    site_b: Row
    project_a1: Row
    project_a2: Row
    project_b1: Row
    used: Row
    free: Row
    far: Row
    p1: Row  # in A1, uses `used`
    p2: Row  # in A1, uses nothing
    link_p1_used: int
    site_admin: Account
    project_admin: Account
    member: Account
    outsider: Account


def link_site(stack: Stack, id_device: int, id_site: int) -> int:
    return int(insert(stack, "t_devices_sites", {"id_device": id_device, "id_site": id_site}, "id_device_site")[0])


@pytest.fixture(scope="module")
def links_world(api_stack: Stack, api_stack_ca: Path) -> LinksWorld:
    site_a, site_b = new_site(api_stack), new_site(api_stack)
    a1, a2, b1 = new_project(api_stack, site_a.id), new_project(api_stack, site_a.id), new_project(api_stack, site_b.id)
    add_server_roles(api_stack, id_site=site_a.id)
    add_server_roles(api_stack, id_project=a1.id)
    used, free, far = new_device(api_stack, a1.id), new_device(api_stack), new_device(api_stack, b1.id)
    for device, site in ((used, site_a), (free, site_a), (far, site_b)):
        link_site(api_stack, device.id, site.id)
    p1, p2 = new_participant(api_stack, a1.id), new_participant(api_stack, a1.id)
    values = {"id_device": used.id, "id_participant": p1.id}
    link = int(insert(api_stack, "t_devices_participants", values, "id_device_participant")[0])
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return LinksWorld(
            site_a=site_a,
            site_b=site_b,
            project_a1=a1,
            project_a2=a2,
            project_b1=b1,
            used=used,
            free=free,
            far=far,
            p1=p1,
            p2=p2,
            link_p1_used=link,
            site_admin=make_account(front, admin, admin_sites=(site_a.id,)),
            project_admin=make_account(front, admin, project_roles={a1.id: "admin"}),
            member=make_account(front, admin, project_roles={a1.id: "user"}),
            outsider=make_account(front, admin),
        )


def refused(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert message in response.json(), response.text


def get(front: FrontDoorSession, path: str, account: Account, **params: Any) -> Any:
    return checked(front.get(path, params=params, headers=account.headers))


def live_rows(stack: Stack, table: str, where: str) -> int:
    return int(stack.psql(f"SELECT count(*) FROM {table} WHERE deleted_at IS NULL AND {where}")[0][0])


@pytest.mark.parametrize("path", [PARTICIPANTS, PROJECTS, SITES])
def test_needs_authentication_and_an_id(front: FrontDoorSession, links_world: LinksWorld, path: str) -> None:
    assert front.get(path, params={"list": "true"}).status_code == 401
    assert front.post(path, json={}).status_code == 401
    assert front.delete(path, params={"id": 1}).status_code == 401
    headers = links_world.site_admin.headers
    refused(front.get(path, headers=headers), 400, "Missing arguments")
    assert front.get(path, params={"bogus": 1}, headers=headers).status_code == 400
    # A flag alone selects nothing (upstream's answer).
    assert checked(front.get(path, params={"list": "true"}, headers=headers)) == []


# --- /devices/participants -------------------------------------------------------------------------------------
def test_device_participants_follow_what_the_user_sees(
    front: FrontDoorSession, api_stack: Stack, links_world: LinksWorld
) -> None:
    w = links_world
    [link] = get(front, PARTICIPANTS, w.member, id_device=w.used.id)
    assert (link["id_device_participant"], link["id_device"], link["id_participant"]) == (
        w.link_p1_used,
        w.used.id,
        w.p1.id,
    )
    assert link["participant_name"] == w.p1.name and link["device_name"] == w.used.name
    assert link["device_participant_device"]["device_uuid"] == w.used.uuid
    [minimal] = get(front, PARTICIPANTS, w.member, id_device=w.used.id, list="true")
    assert set(minimal) == {"id_device_participant", "id_device", "id_participant"}
    assert get(front, PARTICIPANTS, w.member, id_participant=w.p1.id, list="1") == [minimal]
    assert get(front, PARTICIPANTS, w.site_admin, id_site=w.site_a.id, list="1") == [minimal]
    device_type = int(api_stack.psql(f"SELECT id_device_type FROM t_devices WHERE id_device = {w.used.id}")[0][0])
    assert get(front, PARTICIPANTS, w.member, id_participant=w.p1.id, id_device_type=device_type, list="1") == [minimal]
    assert get(front, PARTICIPANTS, w.member, id_participant=w.p1.id, id_device_type=987654) == []
    for params in ({"id_device": w.used.id}, {"id_participant": w.p1.id}, {"id_site": w.site_a.id}):
        assert get(front, PARTICIPANTS, w.outsider, **params) == []
    assert get(front, PARTICIPANTS, w.member, id_site=w.site_b.id) == []


def test_device_participants_are_linked_by_project_admins(
    front: FrontDoorSession, api_stack: Stack, links_world: LinksWorld
) -> None:
    w = links_world
    body = {"device_participant": {"id_device": w.used.id, "id_participant": w.p2.id}}
    refused(front.post(PARTICIPANTS, json={"x": 1}, headers=w.project_admin.headers), 400, "Missing device_participant")
    refused(front.post(PARTICIPANTS, json=body, headers=w.member.headers), 403, "not admin of the participant's")
    refused(front.post(PARTICIPANTS, json=body, headers=w.outsider.headers), 403, "not admin of the participant's")
    far = {"device_participant": {"id_device": w.far.id, "id_participant": w.p2.id}}
    refused(front.post(PARTICIPANTS, json=far, headers=w.project_admin.headers), 403, "Access denied to device")
    free = {"device_participant": [body["device_participant"], {"id_device": w.free.id, "id_participant": w.p2.id}]}
    refused(front.post(PARTICIPANTS, json=free, headers=w.project_admin.headers), 403, "Device not assigned to project")
    assert live_rows(api_stack, "t_devices_participants", f"id_participant = {w.p2.id}") == 0  # nothing written

    [created] = checked(front.post(PARTICIPANTS, json=body, headers=w.project_admin.headers))
    assert created["participant_name"] == w.p2.name and created["device_name"] == w.used.name
    assert created["id_device_participant"] > 0
    # Posting an existing link answers its id and changes nothing.
    assert checked(front.post(PARTICIPANTS, json=body, headers=w.project_admin.headers)) == [
        {**body["device_participant"], "id_device_participant": created["id_device_participant"]}
    ]

    refused(front.delete(PARTICIPANTS, params={"id": 987654}, headers=w.project_admin.headers), 400, "Not found")
    target = {"id": created["id_device_participant"]}
    refused(front.delete(PARTICIPANTS, params=target, headers=w.member.headers), 403, "not admin of the participant")
    assert checked(front.delete(PARTICIPANTS, params=target, headers=w.project_admin.headers)) == ""
    assert live_rows(api_stack, "t_devices_participants", f"id_participant = {w.p2.id}") == 0


# --- /devices/projects -----------------------------------------------------------------------------------------
def test_device_projects_follow_what_the_user_sees(front: FrontDoorSession, links_world: LinksWorld) -> None:
    w = links_world
    [link] = get(front, PROJECTS, w.member, id_device=w.used.id)
    assert link["id_project"] == w.project_a1.id and link["project_name"] == w.project_a1.name
    assert link["device_name"] == w.used.name and link["device_available"] is False  # P1 uses it
    assert "id_site" not in link
    [with_site] = get(front, PROJECTS, w.member, id_device=w.used.id, with_sites="true")
    assert (with_site["id_site"], with_site["site_name"]) == (w.site_a.id, w.site_a.name)
    [minimal] = get(front, PROJECTS, w.member, id_device=w.used.id, list="true")
    assert set(minimal) == {"id_device_project", "id_device", "id_project"}
    # with_projects: the user's other projects, unsaved; with_devices: the project's site's other devices.
    entries = get(front, PROJECTS, w.site_admin, id_device=w.used.id, with_projects="true")
    assert {(e["id_project"], e["id_device"] is None, e["id_device_project"] is None) for e in entries} == {
        (w.project_a1.id, False, False),
        (w.project_a2.id, True, True),
    }
    entries = get(front, PROJECTS, w.member, id_project=w.project_a1.id, with_devices="true")
    by_name = sorted([(w.used.name, w.used.id, w.project_a1.id), (w.free.name, w.free.id, None)])
    assert [(e["id_device"], e["id_project"]) for e in entries] == [(d, p) for _, d, p in by_name]
    unsaved = next(e for e in entries if e["id_project"] is None)
    assert unsaved["device_available"] is True and unsaved["project_name"] is None
    assert get(front, PROJECTS, w.member, id_project=w.project_b1.id) == []
    assert get(front, PROJECTS, w.outsider, id_device=w.used.id) == []
    assert get(front, PROJECTS, w.member, id_device=w.far.id) == []


def test_device_projects_are_changed_by_site_admins(
    front: FrontDoorSession, api_stack: Stack, links_world: LinksWorld
) -> None:
    w = links_world
    admin = w.site_admin.headers
    a2 = {"project": {"id_project": w.project_a2.id, "devices": [{"id_device": w.free.id}]}}
    refused(front.post(PROJECTS, json={"project": {}}, headers=admin), 400, "Missing id_project")
    refused(front.post(PROJECTS, json={"project": {"id_project": 1}}, headers=admin), 400, "Missing devices")
    refused(front.post(PROJECTS, json={"device": {"id_device": 1}}, headers=admin), 400, "Missing projects")
    refused(front.post(PROJECTS, json={"device_project": {"id_project": 1}}, headers=admin), 400, "Missing id_device")
    bad_project = {"device_project": {"id_project": 987654, "id_device": w.free.id}}
    refused(front.post(PROJECTS, json=bad_project, headers=admin), 400, "Invalid id_project")
    refused(front.post(PROJECTS, json=a2, headers=w.project_admin.headers), 403, "Access denied")
    # The project form is refused on its project before its list is read, as upstream.
    bad_list = {"project": {"id_project": w.project_a2.id, "devices": "x"}}
    refused(front.post(PROJECTS, json=bad_list, headers=w.project_admin.headers), 403, "Access denied")
    unknown = {"project": {"id_project": 987654, "devices": "x"}}
    refused(front.post(PROJECTS, json=unknown, headers=admin), 400, "Invalid id_project: 987654")
    refused(front.post(PROJECTS, json={"project": {"id_project": None}}, headers=admin), 400, "Missing devices")
    far = {"device_project": {"id_project": w.project_a2.id, "device_uuid": w.far.uuid}}
    refused(front.post(PROJECTS, json=far, headers=admin), 403, "not part of the allowed device")
    other_site = {"device_project": {"id_project": w.project_b1.id, "id_device": w.far.id}}
    refused(front.post(PROJECTS, json=other_site, headers=admin), 403, "Access denied")

    [added] = checked(front.post(PROJECTS, json=a2, headers=admin))
    assert (added["id_device"], added["id_project"]) == (w.free.id, w.project_a2.id) and added["id_device_project"]
    # Posting the same link by device uuid answers the existing one.
    same = {"device_project": {"id_project": w.project_a2.id, "device_uuid": w.free.uuid}}
    assert checked(front.post(PROJECTS, json=same, headers=admin)) == [
        {"id_project": w.project_a2.id, "id_device": w.free.id, "id_device_project": added["id_device_project"]}
    ]
    # Removing links needs site admin too: a project admin changes nothing.
    empty_a2 = {"project": {"id_project": w.project_a2.id, "devices": []}}
    refused(front.post(PROJECTS, json=empty_a2, headers=w.project_admin.headers), 403, "Access denied")
    free_out = {"device": {"id_device": w.free.id, "projects": []}}
    refused(front.post(PROJECTS, json=free_out, headers=w.project_admin.headers), 403, "Access denied")
    assert live_rows(api_stack, "t_devices_projects", f"id_device = {w.free.id}") == 1
    # A device used by a participant of the project cannot leave it; nothing changes.
    blocked = {"device": {"id_device": w.used.id, "projects": [{"id_project": w.project_a2.id}]}}
    refused(front.post(PROJECTS, json=blocked, headers=admin), 400, "remove all participants")
    assert live_rows(api_stack, "t_devices_projects", f"id_device = {w.used.id}") == 1

    refused(front.delete(PROJECTS, params={"id": 987654}, headers=admin), 400, "Not found")
    # A project admin does not administer the device's site.
    refused(
        front.delete(PROJECTS, params={"id": added["id_device_project"]}, headers=w.project_admin.headers),
        403,
        "Forbidden",
    )
    assert checked(front.delete(PROJECTS, params={"id": added["id_device_project"]}, headers=admin)) == ""
    assert live_rows(api_stack, "t_devices_projects", f"id_device = {w.free.id}") == 0
    # The device form replaces the device's projects: back in A2.
    again = {"device": {"id_device": w.free.id, "projects": [{"id_project": w.project_a2.id}]}}
    [added] = checked(front.post(PROJECTS, json=again, headers=admin))
    assert added["id_project"] == w.project_a2.id
    empty = {"device": {"id_device": w.free.id, "projects": []}}
    assert checked(front.post(PROJECTS, json=empty, headers=admin)) == []
    assert live_rows(api_stack, "t_devices_projects", f"id_device = {w.free.id}") == 0


# --- /devices/sites --------------------------------------------------------------------------------------------
def test_device_sites_follow_what_the_user_sees(
    front: FrontDoorSession, links_world: LinksWorld, stack_admin_token: str
) -> None:
    w = links_world
    [link] = get(front, SITES, w.member, id_device=w.used.id)
    assert (link["id_site"], link["site_name"], link["device_name"]) == (w.site_a.id, w.site_a.name, w.used.name)
    assert link["device_available"] is False
    [minimal] = get(front, SITES, w.member, id_device=w.used.id, list="1")
    assert set(minimal) == {"id_device_site", "id_device", "id_site"}
    entries = get(front, SITES, w.site_admin, id_site=w.site_a.id)
    assert sorted(e["id_device"] for e in entries) == sorted([w.used.id, w.free.id])
    assert get(front, SITES, w.member, id_site=w.site_b.id) == []
    assert get(front, SITES, w.outsider, id_device=w.used.id) == []
    # with_sites (a superadmin sees every site): the other sites, unsaved.
    entries = checked(
        front.get(SITES, params={"id_device": w.far.id, "with_sites": "1"}, headers=bearer(stack_admin_token))
    )
    assert {w.site_a.id, w.site_b.id} <= {e["id_site"] for e in entries}
    assert all((e["id_device"] is None) == (e["id_site"] != w.site_b.id) for e in entries)


def test_device_sites_are_changed_by_superadmins(
    front: FrontDoorSession, api_stack: Stack, links_world: LinksWorld, stack_admin_token: str
) -> None:
    w = links_world
    admin = bearer(stack_admin_token)
    add = {"device_site": {"device_uuid": w.far.uuid, "id_site": w.site_a.id}}
    refused(front.post(SITES, json=add, headers=w.site_admin.headers), 403, "Forbidden")
    refused(front.post(SITES, json={}, headers=w.site_admin.headers), 403, "Forbidden")
    refused(front.post(SITES, json={"device": {"id_device": 1}}, headers=admin), 400, "Missing sites")
    refused(front.post(SITES, json={"site": {}}, headers=admin), 400, "Missing site ID")
    # Only an absent key is missing; a null is then refused as a value.
    refused(front.post(SITES, json={"site": {"id_site": None, "devices": []}}, headers=admin), 400, "Missing id_site")
    refused(front.post(SITES, json={"site": {"id_site": 1}}, headers=admin), 400, "Missing devices")
    refused(front.post(SITES, json={"device": {"sites": []}}, headers=admin), 400, "Missing id_device")
    refused(front.post(SITES, json={"device_site": {"id_site": 1}}, headers=admin), 400, "Badly formatted request")
    refused(
        front.post(SITES, json={"device_site": {"id_site": 987654, "id_device": w.far.id}}, headers=admin),
        400,
        "Invalid id_site",
    )

    [added] = checked(front.post(SITES, json=add, headers=admin))
    assert (added["id_device"], added["id_site"]) == (w.far.id, w.site_a.id) and added["id_device_site"] > 0
    assert get(front, SITES, w.site_admin, id_device=w.far.id, list="1") == [added]
    # A device used in a project of the site cannot leave it.
    blocked = {"site": {"id_site": w.site_a.id, "devices": [{"id_device": w.free.id}, {"id_device": w.far.id}]}}
    refused(front.post(SITES, json=blocked, headers=admin), 400, "Can't delete device from site")
    assert live_rows(api_stack, "t_devices_sites", f"id_device = {w.used.id}") == 1
    # The device form replaces the device's sites.
    back = {"device": {"id_device": w.far.id, "sites": [{"id_site": w.site_b.id}]}}
    assert checked(front.post(SITES, json=back, headers=admin)) == []
    assert live_rows(api_stack, "t_devices_sites", f"id_device = {w.far.id}") == 1

    # Deleting needs site admin of the link's site; the device also leaves the site's projects.
    [project_link] = checked(
        front.post(
            PROJECTS,
            json={"device_project": {"id_device": w.free.id, "id_project": w.project_a2.id}},
            headers=w.site_admin.headers,
        )
    )
    [free_link] = get(front, SITES, w.site_admin, id_device=w.free.id, list="1")
    refused(front.delete(SITES, params={"id": 987654}, headers=admin), 400, "Bad parameter")
    target = {"id": free_link["id_device_site"]}
    refused(front.delete(SITES, params=target, headers=w.project_admin.headers), 403, "Forbidden")
    assert checked(front.delete(SITES, params=target, headers=w.site_admin.headers)) == ""
    assert live_rows(api_stack, "t_devices_sites", f"id_device = {w.free.id}") == 0
    assert live_rows(api_stack, "t_devices_projects", f"id_device_project = {project_link['id_device_project']}") == 0
