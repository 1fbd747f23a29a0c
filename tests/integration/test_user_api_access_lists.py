"""/api/user/projectaccess, /api/user/siteaccess and /api/user/users/usergroups (upstream's rules:
teraserver/api/user/project_access.py, site_access.py, user_usergroups.py).

Runs on `api_stack`. Site A with projects A1, A2; site B with B1 (OpenTeraServer roles on each). Accounts, each
in a group of its own: a site admin of A (group GS), a project admin of A1 (GP), a project user of A1 (GU), an
outsider (no group); GX is a group without any role.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from service_world import Row, new_project, new_site, new_user_group
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PROJECT_ACCESS = "/api/user/projectaccess"
SITE_ACCESS = "/api/user/siteaccess"
MEMBERSHIPS = "/api/user/users/usergroups"


@dataclass(frozen=True)
class AccessWorld:
    site_a: Row
    site_b: Row
    project_a1: Row
    project_a2: Row
    project_b1: Row
    site_admin: Account
    project_admin: Account
    project_user: Account
    outsider: Account
    group_of: dict[str, int]  # account username -> its group
    group_x: Row
    group_y: Row  # a "user" role in A1


@pytest.fixture(scope="module")
def world(api_stack: Stack, api_stack_ca: Path) -> AccessWorld:
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        return build_world(api_stack, front)


def build_world(api_stack: Stack, front: FrontDoorSession) -> AccessWorld:
    site_a, site_b = new_site(api_stack), new_site(api_stack)
    a1, a2, b1 = new_project(api_stack, site_a.id), new_project(api_stack, site_a.id), new_project(api_stack, site_b.id)
    for site in (site_a, site_b):
        add_server_roles(api_stack, id_site=site.id)
    for project in (a1, a2, b1):
        add_server_roles(api_stack, id_project=project.id)
    admin = login(front, "admin", "admin")
    accounts = {
        "site_admin": make_account(front, admin, admin_sites=(site_a.id,)),
        "project_admin": make_account(front, admin, project_roles={a1.id: "admin"}),
        "project_user": make_account(front, admin, project_roles={a1.id: "user"}),
    }
    groups = {}
    for account in accounts.values():
        rows = api_stack.psql(f"SELECT id_user_group FROM t_users_users_groups WHERE id_user = {account.id}")
        groups[account.username] = int(rows[0][0])
    return AccessWorld(
        site_a=site_a,
        site_b=site_b,
        project_a1=a1,
        project_a2=a2,
        project_b1=b1,
        outsider=make_account(front, admin),
        group_of=groups,
        group_x=new_user_group(api_stack),
        group_y=new_user_group(
            api_stack,
            int(
                api_stack.psql(
                    "SELECT id_service_role FROM t_services_roles "
                    f"WHERE id_project = {a1.id} AND service_role_name = 'user'"
                )[0][0]
            ),
        ),
        **accounts,
    )


def get(front: FrontDoorSession, path: str, account: Account, **params: Any) -> Any:
    return checked(front.get(path, params=params, headers=account.headers))


def group(w: AccessWorld, account: Account) -> int:
    return w.group_of[account.username]


def by_key(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_needs_authentication(front: FrontDoorSession) -> None:
    for path in (PROJECT_ACCESS, SITE_ACCESS, MEMBERSHIPS):
        assert front.get(path, params={"id_user": 1}).status_code == 401, path
        assert front.post(path, json={}).status_code == 401, path
        assert front.delete(path, params={"id": 1}).status_code == 401, path


# --- /projectaccess ----------------------------------------------------------------------------------------------
def test_project_access_lists(front: FrontDoorSession, world: AccessWorld) -> None:
    w = world
    admin = w.project_admin
    for params in ({}, {"admins": "false"}):
        response = front.get(PROJECT_ACCESS, params=params, headers=admin.headers)
        assert response.status_code == 400 and response.json() == "Missing arguments"
    [a1] = get(front, PROJECT_ACCESS, admin, id_user=w.project_user.id)
    assert a1["id_project"] == w.project_a1.id and a1["project_access_role"] == "user"
    assert "site_name" not in a1 and "project_access_inherited" not in a1
    [with_site] = get(front, PROJECT_ACCESS, admin, id_user=w.project_user.id, with_sites="true")
    assert with_site["site_name"] == w.site_a.name and with_site["id_site"] == w.site_a.id
    assert get(front, PROJECT_ACCESS, admin, id_user=w.outsider.id) == []  # not a user the caller sees
    assert get(front, PROJECT_ACCESS, admin, id_user=w.project_user.id, admins="true") == []

    groups = by_key(get(front, PROJECT_ACCESS, admin, id_project=w.project_a1.id), "id_user_group")
    assert groups[group(w, w.project_admin)]["project_access_role"] == "admin"
    assert groups[group(w, w.project_user)]["project_access_role"] == "user"
    # The site admin's group is admin of A1 through its site role.
    assert groups[group(w, w.site_admin)]["project_access_inherited"] is True
    admins = get(front, PROJECT_ACCESS, admin, id_project=w.project_a1.id, admins="true")
    assert group(w, w.project_user) not in by_key(admins, "id_user_group")

    # A group: its roles in the caller's projects; with_empty adds the caller's other projects.
    site_admin = w.site_admin
    rows = get(front, PROJECT_ACCESS, site_admin, id_user_group=group(w, w.project_user), with_empty="true")
    roles = {row["id_project"]: row["project_access_role"] for row in rows}
    assert roles == {w.project_a1.id: "user", w.project_a2.id: None}
    assert [row["project_name"] for row in rows] == sorted(row["project_name"] for row in rows)
    users = get(front, PROJECT_ACCESS, admin, id_project=w.project_a1.id, by_users="true")
    by_user = by_key(users, "id_user")
    assert by_user[w.project_user.id]["project_access_role"] == "user"
    assert by_user[w.project_user.id]["project_access_inherited"] is False
    assert set(by_user[w.project_user.id]) >= {"user_name", "user_enabled", "id_project"}


def test_project_access_grant_change_remove(front: FrontDoorSession, api_stack: Stack, world: AccessWorld) -> None:
    w = world
    item = {"id_user_group": w.group_x.id, "id_project": w.project_a1.id, "project_access_role": "user"}
    assert front.post(PROJECT_ACCESS, json={"project_access": item}, headers=w.project_user.headers).status_code == 403
    [granted] = checked(front.post(PROJECT_ACCESS, json={"project_access": item}, headers=w.project_admin.headers))
    assert granted["project_access_role"] == "user" and granted["id_project_access"] == granted["id_service_access"]
    assert granted["id_user_group"] == w.group_x.id and granted["id_project"] == w.project_a1.id
    promoted = dict(item, project_access_role="admin")
    [changed] = checked(
        front.post(PROJECT_ACCESS, json={"project_access": [promoted]}, headers=w.project_admin.headers)
    )
    assert changed["id_service_access"] == granted["id_service_access"] and changed["project_access_role"] == "admin"
    removed = dict(item, project_access_role="")
    assert checked(front.post(PROJECT_ACCESS, json={"project_access": removed}, headers=w.project_admin.headers)) == []
    rows = api_stack.psql(
        f"SELECT count(*) FROM t_services_access WHERE id_user_group = {w.group_x.id} AND deleted_at IS NULL"
    )
    assert rows == [["0"]]

    for body, status, message in (
        ({"id_project": w.project_a1.id, "project_access_role": "user"}, 400, "Missing id_user_group"),
        ({"id_user_group": w.group_x.id, "project_access_role": "user"}, 400, "Missing id_project"),
        ({"id_user_group": w.group_x.id, "id_project": w.project_a1.id}, 400, "Missing role name or id"),
        (dict(item, id_project=w.project_a2.id), 403, "Forbidden"),
        (dict(item, project_access_role="boss"), 400, "Invalid role name or id for that project"),
        (dict(item, id_user_group=99999999), 400, "Invalid id_user_group: 99999999"),
    ):
        response = front.post(PROJECT_ACCESS, json={"project_access": body}, headers=w.project_admin.headers)
        assert (response.status_code, response.json()) == (status, message), body
    # A role of another project, given by id, is refused (upstream would accept it).
    other_role = int(
        api_stack.psql(f"SELECT id_service_role FROM t_services_roles WHERE id_project = {w.project_b1.id} LIMIT 1")[0][
            0
        ]
    )
    by_id = {"id_user_group": w.group_x.id, "id_project": w.project_a1.id, "id_project_role": 1}
    by_id["id_service_role"] = other_role
    response = front.post(PROJECT_ACCESS, json={"project_access": by_id}, headers=w.project_admin.headers)
    assert response.status_code == 400


def test_project_access_delete(front: FrontDoorSession, world: AccessWorld) -> None:
    w = world
    item = {"id_user_group": w.group_x.id, "id_project": w.project_a1.id, "project_access_role": "user"}
    [granted] = checked(front.post(PROJECT_ACCESS, json={"project_access": item}, headers=w.project_admin.headers))
    params = {"id": granted["id_service_access"]}
    assert front.delete(PROJECT_ACCESS, params=params, headers=w.project_user.headers).status_code == 403
    assert front.delete(PROJECT_ACCESS, params=params, headers=w.project_admin.headers).status_code == 200
    response = front.delete(PROJECT_ACCESS, params=params, headers=w.project_admin.headers)
    assert response.status_code == 400 and response.json() == "No project access to delete."


# --- /siteaccess -------------------------------------------------------------------------------------------------
def test_site_access_lists(front: FrontDoorSession, world: AccessWorld) -> None:
    w = world
    admin = w.site_admin
    assert front.get(SITE_ACCESS, headers=admin.headers).json() == "Missing arguments"
    groups = by_key(get(front, SITE_ACCESS, admin, id_site=w.site_a.id), "id_user_group")
    assert groups[group(w, w.site_admin)]["site_access_role"] == "admin"
    assert groups[group(w, w.project_user)]["site_access_role"] == "user"
    assert groups[group(w, w.project_user)]["site_access_inherited"] is True
    # `admins` with any value keeps admin roles only, as upstream.
    admins_only = by_key(get(front, SITE_ACCESS, admin, id_site=w.site_a.id, admins="false"), "id_user_group")
    assert set(admins_only) == {group(w, w.site_admin)}
    [site] = get(front, SITE_ACCESS, admin, id_user=w.project_user.id)
    assert site["id_site"] == w.site_a.id and site["site_access_role"] == "user" and site["site_access_inherited"]
    # GX has no role: the site admin does not see it.
    assert get(front, SITE_ACCESS, admin, id_user_group=w.group_x.id, with_empty="true") == []
    users = by_key(
        get(front, SITE_ACCESS, admin, id_site=w.site_a.id, by_users="true", with_usergroups="true"), "id_user"
    )
    entry = users[w.project_user.id]
    assert entry["site_access_role"] == "user" and entry["site_access_inherited"] is True
    assert [g["id_user_group"] for g in entry["user_groups"]] == [group(w, w.project_user)]
    assert get(front, SITE_ACCESS, w.project_user, id_site=w.site_b.id) == []


def test_site_access_grant_and_remove(front: FrontDoorSession, api_stack: Stack, world: AccessWorld) -> None:
    w = world
    item = {"id_user_group": w.group_x.id, "id_site": w.site_a.id, "site_access_role": "admin"}
    assert front.post(SITE_ACCESS, json={"site_access": item}, headers=w.project_admin.headers).status_code == 403
    [granted] = checked(front.post(SITE_ACCESS, json={"site_access": item}, headers=w.site_admin.headers))
    assert granted["site_access_role"] == "admin" and granted["id_site_access"] == granted["id_service_access"]
    groups = by_key(get(front, SITE_ACCESS, w.site_admin, id_site=w.site_a.id), "id_user_group")
    assert groups[w.group_x.id]["site_access_role"] == "admin"
    # "user" on the site for a group that already has a role in one of its projects: the site role goes.
    inherited = {"id_user_group": group(w, w.project_user), "id_site": w.site_a.id, "site_access_role": "user"}
    assert checked(front.post(SITE_ACCESS, json={"site_access": inherited}, headers=w.site_admin.headers)) == []
    elsewhere = dict(item, id_site=w.site_b.id)
    assert front.post(SITE_ACCESS, json={"site_access": elsewhere}, headers=w.site_admin.headers).status_code == 403
    bad = dict(item, site_access_role="boss")
    response = front.post(SITE_ACCESS, json={"site_access": bad}, headers=w.site_admin.headers)
    assert response.json() == "Invalid role name or id for that site"

    params = {"id": granted["id_service_access"]}
    assert front.delete(SITE_ACCESS, params=params, headers=w.project_admin.headers).status_code == 403
    assert front.delete(SITE_ACCESS, params=params, headers=w.site_admin.headers).status_code == 200
    assert front.delete(SITE_ACCESS, params=params, headers=w.site_admin.headers).json() == "No site access to delete"


# --- /users/usergroups -------------------------------------------------------------------------------------------
def test_memberships_lists(front: FrontDoorSession, world: AccessWorld) -> None:
    w = world
    admin = w.project_admin
    response = front.get(MEMBERSHIPS, headers=admin.headers)
    assert response.status_code == 400 and response.json() == "At least one id must be specified"
    [member] = get(front, MEMBERSHIPS, admin, id_user_group=group(w, w.project_user))
    assert member["id_user"] == w.project_user.id and member["user_group_name"]
    assert member["user_fullname"].startswith("Test ")
    [minimal] = get(front, MEMBERSHIPS, admin, id_user_group=group(w, w.project_user), list="true")
    assert "user_fullname" not in minimal
    others = get(front, MEMBERSHIPS, admin, id_user_group=group(w, w.project_user), with_empty="true")
    assert {row["id_user"] for row in others if row["id_user_group"] is None} >= {w.project_admin.id}
    [mine] = get(front, MEMBERSHIPS, admin, id_user=w.project_user.id)
    assert mine["id_user_group"] == group(w, w.project_user)
    assert get(front, MEMBERSHIPS, w.outsider, id_user=w.project_user.id) == []


def test_memberships_create_and_delete(front: FrontDoorSession, stack_admin_token: str, world: AccessWorld) -> None:
    w = world
    item = {"id_user": w.project_user.id, "id_user_group": w.group_y.id, "ignored": "field"}
    response = front.post(MEMBERSHIPS, json={"user_user_group": item}, headers=w.outsider.headers)
    assert (response.status_code, response.json()) == (403, "No access to specified user")
    mine = {"id_user": w.project_user.id, "id_user_group": w.group_x.id}
    response = front.post(MEMBERSHIPS, json={"user_user_group": mine}, headers=w.project_admin.headers)
    assert (response.status_code, response.json()) == (403, "No access to specified user group")
    [created] = checked(front.post(MEMBERSHIPS, json={"user_user_group": item}, headers=w.project_admin.headers))
    assert created["id_user_user_group"] > 0
    [again] = checked(front.post(MEMBERSHIPS, json={"user_user_group": [item]}, headers=w.project_admin.headers))
    assert again["id_user_user_group"] == created["id_user_user_group"]
    superadmin = {"id_user": 1, "id_user_group": w.group_x.id}
    response = front.post(MEMBERSHIPS, json={"user_user_group": superadmin}, headers=bearer(stack_admin_token))
    assert (response.status_code, response.json()) == (400, "Super admins can't be associated to an user group")
    assert front.post(
        MEMBERSHIPS, json={"user_user_group": {"id_user": 1}}, headers=w.project_admin.headers
    ).json() == ("Missing id_user_group")

    params = {"id": created["id_user_user_group"]}
    response = front.delete(MEMBERSHIPS, params=params, headers=w.project_user.headers)
    assert (response.status_code, response.json()) == (403, "No access to relationship's user group")
    assert front.delete(MEMBERSHIPS, params=params, headers=w.project_admin.headers).status_code == 200
    response = front.delete(MEMBERSHIPS, params=params, headers=w.project_admin.headers)
    assert (response.status_code, response.json()) == (400, "Can't delete specified relationship")


@pytest.mark.parametrize(
    ("path", "place", "flag_sets"),
    [
        (PROJECT_ACCESS, "id_project", ({"by_users": "true", "with_sites": "true"}, {"with_sites": "true"})),
        (SITE_ACCESS, "id_site", ({"by_users": "true"}, {})),
    ],
)
def test_an_unknown_project_or_site_lists_nothing(
    front: FrontDoorSession,
    stack_admin_token: str,
    world: AccessWorld,
    path: str,
    place: str,
    flag_sets: tuple[dict[str, str], ...],
) -> None:
    """Found by fuzzing: an unknown project (or site) with by_users / with_sites was a 500."""
    for flags in flag_sets:
        params = {place: -339, "id_user_group": world.group_x.id, "with_empty": "true", **flags}
        response = front.get(path, params=params, headers=bearer(stack_admin_token))
        assert (response.status_code, response.json()) == (200, []), (flags, response.text)
