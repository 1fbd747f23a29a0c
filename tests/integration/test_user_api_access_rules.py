"""What each account sees through the user API: upstream OpenTera's access rules, one row per (account, request),
on upstream's own test data set (the `upstream_data_stack`, loaded by `python -m teraserver.seed`).

The accounts of that set (password = username): `admin` (superadmin), `siteadmin` (admin of "Default Site"),
`user` (role "user" on projects 1 and 2), `user2` (role "user" on project 1 and admin of "Default Site"),
`user3` (admin of project 1) and `user4` (no role). Site 1 ("Default Site") holds projects 1 and 2, site 2
("Top Secret Site") project 3. Participants 1-3 are in project 1, participant 4 in project 3; every session has
participant 1; devices 1 and 2 are attached to site 1 (device 1 to site 2 too), device 3 to no site; assets 1-7
all belong to the OpenTeraServer service, assets 1-3 (of the session with id 2) were created by no service.

Each expected answer follows upstream's rules (DBManagerTeraUserAccess and the UserQuery* resources), except the
deviations listed in the README (where upstream shows more than it should, we keep to the stricter answer).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

ACCOUNTS = ("admin", "siteadmin", "user", "user2", "user3", "user4")
SERVER_UUID = "00000000-0000-0000-0000-000000000001"  # OpenTeraServer's service uuid: owner of every test asset
NULL = object()  # the answer is JSON null (upstream's participants endpoint when it selected nothing)


@pytest.fixture(scope="module")
def front(upstream_data_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoorSession]:
    ca_file = upstream_data_stack.copy_ca(tmp_path_factory.mktemp("access-rules-ca") / "ca_cert.pem")
    with FrontDoorSession(upstream_data_stack.base_url, ca_file) as session:
        yield session


@pytest.fixture(scope="module")
def tokens(front: FrontDoorSession) -> dict[str, str]:
    return {name: login(front, name, name) for name in ACCOUNTS}


def get(front: FrontDoorSession, tokens: dict[str, str], account: str, path: str) -> Any:
    return front.get(path, headers={"Authorization": f"OpenTera {tokens[account]}"}, timeout=60)


def ids_of(body: Any, field: str) -> set[int]:
    assert isinstance(body, list), body
    return {item[field] for item in body}


# (account, path, status, id field, expected ids | NULL | error text)
LISTS: list[tuple[str, str, int, str, Any]] = [
    # Projects: a role on a project, or admin of its site (admin of every project there); no role, no project.
    ("admin", "/api/user/projects", 200, "id_project", {1, 2, 3}),
    ("siteadmin", "/api/user/projects", 200, "id_project", {1, 2}),
    ("user", "/api/user/projects", 200, "id_project", {1, 2}),
    ("user3", "/api/user/projects", 200, "id_project", {1}),
    ("user4", "/api/user/projects", 200, "id_project", set()),
    ("user3", "/api/user/projects?id=2", 200, "id_project", set()),
    ("user", "/api/user/projects?id_site=2", 200, "id_project", set()),
    ("user3", "/api/user/projects?id_service=3", 200, "id_project", {1}),
    ("user", "/api/user/projects?id_service=3&id_site=1", 200, "id_project", {1, 2}),
    ("user", "/api/user/projects?id_service=2", 200, "id_project", set()),  # service 2 out of reach
    ("user3", "/api/user/projects?name=Default Project %232", 200, "id_project", set()),
    ("user", "/api/user/projects?name=Default Project %232", 200, "id_project", {2}),
    # Sites: a role on the site, or a role on one of its projects.
    ("admin", "/api/user/sites", 200, "id_site", {1, 2}),
    ("siteadmin", "/api/user/sites", 200, "id_site", {1}),
    ("user3", "/api/user/sites", 200, "id_site", {1}),
    ("user4", "/api/user/sites", 200, "id_site", set()),
    ("user", "/api/user/sites?id_site=2", 200, "id_site", set()),
    ("user", "/api/user/sites?name=Top Secret Site", 200, "id_site", set()),
    ("admin", "/api/user/sites?name=Top Secret Site", 200, "id_site", {2}),
    ("admin", "/api/user/sites?id_device=1", 200, "id_site", {1, 2}),
    ("user", "/api/user/sites?id_device=1", 200, "id_site", {1}),  # deviation: upstream adds site 2
    ("user4", "/api/user/sites?id_device=1", 200, "id_site", set()),
    # Users: those with a role on one of our projects (a site admin role does not count), and oneself.
    ("admin", "/api/user/users", 200, "id_user", {1, 2, 3, 4, 5, 6}),
    ("siteadmin", "/api/user/users", 200, "id_user", {2, 3, 4, 5}),
    ("user", "/api/user/users", 200, "id_user", {3, 4, 5}),
    ("user3", "/api/user/users", 200, "id_user", {3, 4, 5}),
    ("user4", "/api/user/users", 200, "id_user", {6}),
    ("user", "/api/user/users?id_user=1", 200, "id_user", set()),
    ("user", "/api/user/users?id_user=2", 200, "id_user", set()),
    ("user", "/api/user/users?id=4", 200, "id_user", {4}),
    ("user", "/api/user/users?username=admin", 200, "id_user", set()),
    ("user", "/api/user/users?username=siteadmin", 200, "id_user", set()),
    ("user", "/api/user/users?username=user2", 200, "id_user", {4}),
    ("user", "/api/user/users?self=true", 200, "id_user", {3}),
    # ... of one project: the project's users and its site's admins; superadmins only for a superadmin.
    ("admin", "/api/user/users?id_project=1", 200, "id_user", {1, 2, 3, 4, 5}),
    ("user", "/api/user/users?id_project=1", 200, "id_user", {2, 3, 4, 5}),
    ("user3", "/api/user/users?id_project=1", 200, "id_user", {2, 3, 4, 5}),
    ("user", "/api/user/users?id_project=3", 200, "id_user", set()),
    ("user4", "/api/user/users?id_project=1", 200, "id_user", set()),
    # ... of one group: its members we see.
    ("siteadmin", "/api/user/users?id_user_group=3", 200, "id_user", {2, 4}),
    ("user", "/api/user/users?id_user_group=3", 200, "id_user", {4}),
    ("user", "/api/user/users?id_user_group=1", 200, "id_user", {3}),
    ("user4", "/api/user/users?id_user_group=1", 200, "id_user", set()),
    # User groups: those with a role on one of our projects (by site with id_site).
    ("admin", "/api/user/usergroups", 200, "id_user_group", {1, 2, 3, 4, 5}),
    ("user", "/api/user/usergroups", 200, "id_user_group", {1, 2, 3, 4}),
    ("user4", "/api/user/usergroups", 200, "id_user_group", set()),
    ("user", "/api/user/usergroups?id_user_group=5", 200, "id_user_group", set()),
    ("user", "/api/user/usergroups?id_user=4", 200, "id_user_group", {3, 4}),
    ("user", "/api/user/usergroups?id_user=2", 200, "id_user_group", set()),  # siteadmin: not a visible user
    ("user4", "/api/user/usergroups?id_user=4", 200, "id_user_group", set()),
    ("user", "/api/user/usergroups?id_site=1", 200, "id_user_group", {1, 2, 3, 4}),
    ("user4", "/api/user/usergroups?id_site=1", 200, "id_user_group", set()),
    # Participants: those of our projects; nothing selected is null, as upstream.
    ("user", "/api/user/participants?id_participant=1", 200, "id_participant", {1}),
    ("user4", "/api/user/participants?id_participant=1", 200, "id_participant", NULL),
    ("siteadmin", "/api/user/participants?id=4", 200, "id_participant", NULL),
    ("admin", "/api/user/participants?id=4", 200, "id_participant", {4}),
    ("user", "/api/user/participants?id_participant=999", 200, "id_participant", NULL),
    ("user", "/api/user/participants?id_project=1", 200, "id_participant", {1, 2, 3}),
    ("user", "/api/user/participants?id_project=3", 200, "id_participant", NULL),
    ("user", "/api/user/participants?id_site=1", 200, "id_participant", {1, 2, 3}),
    ("admin", "/api/user/participants?id_site=2", 200, "id_participant", {4}),
    ("user", "/api/user/participants?id_site=2", 200, "id_participant", NULL),
    ("user", "/api/user/participants?id_group=1", 200, "id_participant", {1}),
    ("user", "/api/user/participants?id_session=2", 200, "id_participant", {1}),
    ("user4", "/api/user/participants?id_session=2", 200, "id_participant", NULL),
    ("user", "/api/user/participants?id_device=1", 200, "id_participant", {1, 2}),
    ("user4", "/api/user/participants?id_device=1", 200, "id_participant", NULL),
    ("user", "/api/user/participants?name=Participant %231", 200, "id_participant", {1}),
    ("user", "/api/user/participants?name=Secret Participant", 200, "id_participant", NULL),
    ("user", "/api/user/participants?username=participant1", 200, "id_participant", {1}),
    ("user4", "/api/user/participants?username=participant1", 200, "id_participant", set()),  # deviation
    ("user", "/api/user/participants?id_project=1&enabled=false", 200, "id_participant", set()),
    ("user", "/api/user/participants?id_project=1&limit=2", 200, "id_participant", {1, 2}),
    ("user", "/api/user/participants", 400, "", "Missing arguments"),
    # with_status is accepted but selects nothing: the status is in every answer (upstream ignores it too).
    ("user", "/api/user/participants?with_status=true", 400, "", "Missing arguments"),
    ("user", "/api/user/participants?id_participant=1&with_status=true", 200, "id_participant", {1}),
    # Devices: those attached to one of our sites (t_devices_sites).
    ("admin", "/api/user/devices", 200, "id_device", {1, 2, 3}),
    ("user", "/api/user/devices", 200, "id_device", {1, 2}),
    ("user3", "/api/user/devices", 200, "id_device", {1, 2}),
    ("user4", "/api/user/devices", 200, "id_device", set()),
    ("user", "/api/user/devices?id_device=3", 200, "id_device", set()),
    ("user", "/api/user/devices?id_site=1", 200, "id_device", {1, 2}),
    ("user", "/api/user/devices?available=true", 200, "id_device", {1, 2}),  # declared upstream, filters nothing
    ("user", "/api/user/devices?id_device=1&id_device_type=1", 200, "id_device", {1}),  # type ignored beside an id
    ("user", "/api/user/devices?id_site=1&id_device_type=1", 200, "id_device", {2}),
    # Session types: those attached to one of our sites; another site is 403.
    ("user", "/api/user/sessiontypes", 200, "id_session_type", {1, 2, 3, 4, 5}),
    ("user3", "/api/user/sessiontypes", 200, "id_session_type", {1, 2, 3, 4, 5}),  # type 5: site 1, project 2
    ("user4", "/api/user/sessiontypes", 200, "id_session_type", set()),
    ("user4", "/api/user/sessiontypes?id_session_type=1", 200, "id_session_type", set()),
    ("admin", "/api/user/sessiontypes?id_site=2", 200, "id_session_type", {4}),
    ("user", "/api/user/sessiontypes?id_site=2", 403, "", "Forbidden"),
    # Services: linked to one of our projects, or to a site we administer (OpenTeraServer never listed).
    ("admin", "/api/user/services", 200, "id_service", {2, 3, 4, 5, 6, 7}),
    ("user", "/api/user/services", 200, "id_service", {3, 6}),
    ("user2", "/api/user/services", 200, "id_service", {2, 3, 6}),
    ("siteadmin", "/api/user/services", 200, "id_service", {2, 3, 6}),
    ("user4", "/api/user/services", 200, "id_service", set()),
    ("user", "/api/user/services?id_service=2", 200, "id_service", set()),
    # Service roles: of one accessible service, or of every one; never OpenTeraServer's (service 1).
    ("user", "/api/user/services/roles", 200, "id_service", {3, 6}),
    ("user", "/api/user/services/roles?id_service=2", 200, "id_service", set()),
    ("user2", "/api/user/services/roles?id_service=2", 200, "id_service", {2}),
    ("admin", "/api/user/services/roles?id_service=1", 200, "id_service", set()),
    # Sessions of a participant, user or device we do not see: an empty list (not 403), as upstream.
    ("admin", "/api/user/sessions?id_user=2", 200, "id_session", {2, 5, 6, 7, 8}),
    ("siteadmin", "/api/user/sessions?id_user=2", 200, "id_session", {2, 5, 6, 7, 8}),
    ("user", "/api/user/sessions?id_user=2", 200, "id_session", set()),
    ("user", "/api/user/sessions?id_user=3", 200, "id_session", {5, 6, 7, 8, 28}),
    ("user4", "/api/user/sessions?id_participant=1", 200, "id_session", set()),
    ("user4", "/api/user/sessions?id_device=1", 200, "id_session", set()),
    ("user", "/api/user/sessions?id_device=3", 200, "id_session", set()),
    # One session: created by us, us among its users, or its project one of ours.
    ("user", "/api/user/sessions?id_session=2", 200, "id_session", {2}),
    ("user4", "/api/user/sessions?id_session=2", 200, "id_session", set()),
    ("user", "/api/user/sessions?list=true", 200, "id_session", set()),
    ("user", "/api/user/sessions", 400, "", "Missing arguments"),
    # Session events follow the session.
    ("user4", "/api/user/sessions/events?id_session=2", 200, "id_session_event", set()),
    # Assets: the subject must be ours (403 otherwise); one asset needs its session and its service.
    ("siteadmin", "/api/user/assets?id_user=2", 200, "id_asset", {1, 2, 3}),
    ("user", "/api/user/assets?id_user=2", 403, "", "User access denied"),
    ("user", "/api/user/assets?id_creator_user=1", 403, "", "User access denied"),
    ("user", "/api/user/assets?id_participant=4", 403, "", "Participant access denied"),
    ("user4", "/api/user/assets?id_device=1", 403, "", "Device access denied"),
    ("user4", "/api/user/assets?id_session=2", 403, "", "Session access denied"),
    ("user", "/api/user/assets?id_session=2", 200, "id_asset", {1, 2, 3}),
    ("user", "/api/user/assets?id_creator_service=1", 403, "", "Service access denied"),
    ("admin", "/api/user/assets?id_asset=1", 200, "id_asset", {1}),
    ("siteadmin", "/api/user/assets?id_asset=1", 200, "id_asset", set()),  # OpenTeraServer not a visible service
    ("user", "/api/user/assets?id_asset=1", 200, "id_asset", set()),
    ("user4", "/api/user/assets?id_asset=1", 200, "id_asset", set()),
    # ... of a service: in our sessions, and created by a service we see or by none.
    ("admin", f"/api/user/assets?service_uuid={SERVER_UUID}", 200, "id_asset", {1, 2, 3, 4, 5, 6, 7}),
    ("user", f"/api/user/assets?service_uuid={SERVER_UUID}", 200, "id_asset", {1, 2, 3}),
    ("user4", f"/api/user/assets?service_uuid={SERVER_UUID}", 200, "id_asset", set()),
]


@pytest.mark.parametrize(
    ("account", "path", "status", "field", "expected"), LISTS, ids=[f"{r[0]} {r[1]}" for r in LISTS]
)
def test_what_each_account_sees(
    front: FrontDoorSession, tokens: dict[str, str], account: str, path: str, status: int, field: str, expected: Any
) -> None:
    response = get(front, tokens, account, path)
    assert response.status_code == status, response.text
    body = response.json()
    if expected is NULL:
        assert body is None
    elif isinstance(expected, str):
        assert expected in body
    else:
        assert ids_of(body, field) == expected


@pytest.mark.parametrize(
    ("account", "project_roles", "site_roles"),
    [
        # A site admin is admin of every project of the site, even over a "user" role (user2).
        ("siteadmin", {1: "admin", 2: "admin"}, {1: "admin"}),
        ("user2", {1: "admin", 2: "admin"}, {1: "admin"}),
        # A project role gives "user" on the project's site.
        ("user", {1: "user", 2: "user"}, {1: "user"}),
        ("user3", {1: "admin"}, {1: "user"}),
    ],
)
def test_roles_of_each_account(
    front: FrontDoorSession,
    tokens: dict[str, str],
    account: str,
    project_roles: dict[int, str],
    site_roles: dict[int, str],
) -> None:
    projects = get(front, tokens, account, "/api/user/projects").json()
    assert {p["id_project"]: p["project_role"] for p in projects} == project_roles
    sites = get(front, tokens, account, "/api/user/sites").json()
    assert {s["id_site"]: s["site_role"] for s in sites} == site_roles
    [me] = get(front, tokens, account, "/api/user/users?self=true").json()
    assert {p["id_project"]: p["project_role"] for p in me["projects"]} == project_roles
    assert {s["id_site"]: s["site_role"] for s in me["sites"]} == site_roles


def test_another_users_projects_and_sites_by_uuid_need_that_user_visible(
    front: FrontDoorSession, tokens: dict[str, str]
) -> None:
    """Upstream answers any user's projects and sites by uuid (README, deviations); we answer nothing for a
    user the caller does not see, and only projects and sites the caller shares, with that user's roles."""
    users = {u["user_username"]: u["user_uuid"] for u in get(front, tokens, "admin", "/api/user/users").json()}
    for path in ("/api/user/projects", "/api/user/sites"):
        assert get(front, tokens, "user", f"{path}?user_uuid={users['siteadmin']}").json() == []
        assert get(front, tokens, "user", f"{path}?user_uuid={users['admin']}").json() == []
    projects = get(front, tokens, "user", f"/api/user/projects?user_uuid={users['user3']}").json()
    assert {p["id_project"]: p["project_role"] for p in projects} == {1: "admin"}
    assert get(front, tokens, "user", f"/api/user/users?user_uuid={users['siteadmin']}").json() == []


def test_with_usergroups_lists_only_visible_groups(front: FrontDoorSession, tokens: dict[str, str]) -> None:
    [user2] = get(front, tokens, "user", "/api/user/users?id_user=4&with_usergroups=true").json()
    assert {group["id_user_group"] for group in user2["user_user_groups"]} == {3, 4}


def test_usergroup_roles_are_limited_to_the_callers_projects_and_sites(
    front: FrontDoorSession, tokens: dict[str, str]
) -> None:
    [group] = get(front, tokens, "user3", "/api/user/usergroups?id_user_group=3").json()
    # "Admins - Default Site": admin of site 1, hence (inherited) of projects 1 and 2; user3 sees project 1 only.
    assert [(s["id_site"], s["site_access_role"]) for s in group["user_group_sites_access"]] == [(1, "admin")]
    projects = group["user_group_projects_access"]
    assert [(p["id_project"], p["project_access_role"], p.get("project_access_inherited")) for p in projects] == [
        (1, "admin", True)
    ]
    [group] = get(front, tokens, "admin", "/api/user/usergroups?id_user_group=1").json()
    assert {p["id_project"] for p in group["user_group_projects_access"]} == {1, 2}
    # Site 1 through the projects' roles: inherited "user".
    assert [
        (s["id_site"], s["site_access_role"], s.get("site_access_inherited")) for s in group["user_group_sites_access"]
    ] == [(1, "user", True)]
    [minimal] = get(front, tokens, "admin", "/api/user/usergroups?id_user_group=1&list=true").json()
    assert "user_group_projects_access" not in minimal


def test_participant_fields(front: FrontDoorSession, tokens: dict[str, str]) -> None:
    [one] = get(front, tokens, "user", "/api/user/participants?id_participant=1").json()
    assert one["id_site"] == 1
    assert one["participant_busy"] is False and one["participant_online"] is False
    assert one["participant_lastsession"] is not None
    [full] = get(front, tokens, "user", "/api/user/participants?id_participant=1&full=true").json()
    assert full["participant_project"]["id_project"] == 1
    assert {d["id_device"] for d in full["participant_devices"]} == {1}
    assert full["participant_participant_group"]["id_participant_group"] == 1
    listed = get(front, tokens, "user", "/api/user/participants?id_project=1&list=true").json()
    assert all("id_site" not in p and "participant_lastsession" not in p for p in listed)
    assert all(p["participant_online"] is False for p in listed)


def test_project_list_counts_participants_the_caller_sees(front: FrontDoorSession, tokens: dict[str, str]) -> None:
    projects = {p["id_project"]: p for p in get(front, tokens, "admin", "/api/user/projects?list=true").json()}
    assert {i: (p["project_participant_count"], p["project_participant_group_count"]) for i, p in projects.items()} == {
        1: (3, 1),
        2: (0, 1),
        3: (1, 0),
    }
    assert all("project_role" not in p for p in projects.values())


def test_sessions_with_session_type_are_flat(front: FrontDoorSession, tokens: dict[str, str]) -> None:
    [session] = get(front, tokens, "user", "/api/user/sessions?id_session=2&with_session_type=true").json()
    assert isinstance(session["session_type_name"], str) and session["session_type_name"]
    assert "session_type_color" in session
    assert "session_type" not in session


def post(front: FrontDoorSession, tokens: dict[str, str], account: str, path: str, body: dict[str, Any]) -> Any:
    return front.post(path, json=body, headers={"Authorization": f"OpenTera {tokens[account]}"}, timeout=60)


# (account, path, body, status, text in the answer): writes upstream refuses (nothing is changed).
REFUSED_WRITES: list[tuple[str, str, dict[str, Any], int, str]] = [
    # User groups are written by site admins only; a group's project role needs admin of the project's site.
    ("user3", "/api/user/usergroups", {"user_group": {"id_user_group": 2, "user_group_name": "renamed"}}, 403, ""),
    (
        "user3",
        "/api/user/usergroups",
        {
            "user_group": {
                "id_user_group": 0,
                "user_group_name": "x",
                "user_group_projects_access": [{"id_project": 1, "project_access_role": "user"}],
            }
        },
        403,
        "",
    ),
    (
        "siteadmin",
        "/api/user/usergroups",
        {
            "user_group": {
                "id_user_group": 0,
                "user_group_name": "x",
                "user_group_projects_access": [{"id_project": 3, "project_access_role": "user"}],
            }
        },
        403,
        "No site admin access",
    ),
    # A participant's group must be one of ours, and gives its project.
    (
        "user3",
        "/api/user/participants",
        {"participant": {"id_participant": 0, "participant_name": "x", "id_participant_group": 2}},
        403,
        "No admin access to group",
    ),
    (
        "user",
        "/api/user/participants",
        {"participant": {"id_participant": 0, "participant_name": "x", "id_participant_group": 1, "id_project": 2}},
        400,
        "Mismatch",
    ),
    ("user4", "/api/user/participants", {"participant": {"id_participant": 1, "participant_name": "x"}}, 403, ""),
    # Updating another user needs admin of one of that user's sites.
    ("user3", "/api/user/users", {"user": {"id_user": 4, "user_lastname": "x"}}, 403, ""),
]


@pytest.mark.parametrize(
    ("account", "path", "body", "status", "text"),
    REFUSED_WRITES,
    ids=[f"{r[0]} {r[1]} {i}" for i, r in enumerate(REFUSED_WRITES)],
)
def test_refused_writes(
    front: FrontDoorSession,
    tokens: dict[str, str],
    account: str,
    path: str,
    body: dict[str, Any],
    status: int,
    text: str,
) -> None:
    response = post(front, tokens, account, path, body)
    assert response.status_code == status, response.text
    assert text in response.text


def test_one_session_by_its_creator_its_users_or_its_project(
    upstream_data_stack: Stack, front: FrontDoorSession, tokens: dict[str, str]
) -> None:
    """A session without participants (so of no project), created by admin, with siteadmin among its users:
    visible to those two only, whoever else sees siteadmin."""
    session_uuid = str(uuid.uuid4())
    id_session = upstream_data_stack.psql(
        "INSERT INTO t_sessions (id_session, session_uuid, id_session_type, session_name, session_start_datetime,"
        " session_duration, session_status, id_creator_user, version_id) VALUES (nextval('id_session_sequence'),"
        f" '{session_uuid}', 1, 'no participant', now(), 0, 2, 1, 1) RETURNING id_session"
    )[0][0]
    upstream_data_stack.psql(
        "INSERT INTO t_sessions_users (id_session_user, id_session, id_user, version_id)"
        f" VALUES (nextval('id_session_user'), {id_session}, 2, 1) RETURNING id_session_user"
    )
    try:
        expected = {"admin": {int(id_session)}, "siteadmin": {int(id_session)}}
        for account in ACCOUNTS:
            for query in (f"id_session={id_session}", f"session_uuid={session_uuid}"):
                response = get(front, tokens, account, f"/api/user/sessions?{query}")
                assert response.status_code == 200, response.text
                assert ids_of(response.json(), "id_session") == expected.get(account, set()), (account, query)
    finally:
        upstream_data_stack.psql(f"DELETE FROM t_sessions_users WHERE id_session = {id_session} RETURNING id_session")
        upstream_data_stack.psql(f"DELETE FROM t_sessions WHERE id_session = {id_session} RETURNING id_session")


def test_a_device_is_reached_through_its_site_not_its_projects(
    upstream_data_stack: Stack, front: FrontDoorSession, tokens: dict[str, str]
) -> None:
    """A device attached to site 1 but to no project: seen by everyone with a role in site 1's projects."""
    device_uuid = str(uuid.uuid4())
    id_device = upstream_data_stack.psql(
        "INSERT INTO t_devices (id_device, device_uuid, device_name, id_device_type, device_enabled,"
        " device_onlineable, version_id) VALUES (nextval('id_device_sequence'),"
        f" '{device_uuid}', 'site-only device', 1, true, false, 1) RETURNING id_device"
    )[0][0]
    upstream_data_stack.psql(
        "INSERT INTO t_devices_sites (id_device_site, id_device, id_site, version_id)"
        f" VALUES (nextval('id_device_site_sequence'), {id_device}, 1, 1) RETURNING id_device_site"
    )
    try:
        for account in ACCOUNTS:
            seen = ids_of(get(front, tokens, account, "/api/user/devices").json(), "id_device")
            assert (int(id_device) in seen) is (account != "user4"), account
    finally:
        upstream_data_stack.psql(f"DELETE FROM t_devices_sites WHERE id_device = {id_device} RETURNING id_device")
        upstream_data_stack.psql(f"DELETE FROM t_devices WHERE id_device = {id_device} RETURNING id_device")
