"""Sites, projects, users, user groups, participants and service <-> site/project links, as a setup script
uses them: create a project, a group with a role in it, a user in the group, link a service to the site and
the project. Checked through NGINX, and directly against TeraServer's port for the read side.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import requests

from devstack.testing.stack import Stack

PASSWORD = "Very$ecret-Passw0rd"
DEFAULT_SITE = 1  # upstream's defaults create "Default Site"


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


@dataclass
class Setup:
    id_project: int
    id_user_group: int
    id_service: int
    user_uuid: str
    user_token: str


def checked(response: requests.Response) -> object:
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    return response.json()


@pytest.fixture
def setup(https: requests.Session, admin_token: str) -> Setup:
    """A project in the default site, a group with the "user" role in it, a user in that group, a service."""
    admin = auth_header(admin_token)
    tag = uuid.uuid4().hex[:8]
    [project] = checked(
        https.post(
            "/api/user/projects",
            json={"project": {"id_project": 0, "id_site": DEFAULT_SITE, "project_name": f"Dev project {tag}"}},
            headers=admin,
        )
    )
    [group] = checked(
        https.post(
            "/api/user/usergroups",
            json={
                "user_group": {
                    "id_user_group": 0,
                    "user_group_name": f"group {tag}",
                    "user_group_projects_access": [
                        {"id_project": project["id_project"], "project_access_role": "user"}
                    ],
                }
            },
            headers=admin,
        )
    )
    username = f"user{tag}"
    [user] = checked(
        https.post(
            "/api/user/users",
            json={
                "user": {
                    "id_user": 0,
                    "user_username": username,
                    "user_firstname": "Pat",
                    "user_lastname": tag,
                    "user_password": PASSWORD,
                    "user_enabled": True,
                    "user_user_groups": [{"id_user_group": group["id_user_group"]}],
                }
            },
            headers=admin,
        )
    )
    [service] = checked(
        https.post(
            "/api/user/services",
            json={
                "service": {
                    "id_service": 0,
                    "service_key": f"Links{tag}",
                    "service_name": f"Links {tag}",
                    "service_hostname": "links",
                    "service_port": 5000,
                    "service_endpoint": "/",
                    "service_clientendpoint": f"/links{tag}",
                    "service_enabled": True,
                }
            },
            headers=admin,
        )
    )
    token = https.get("/api/user/login", auth=(username, PASSWORD)).json()["user_token"]
    return Setup(project["id_project"], group["id_user_group"], service["id_service"], user["user_uuid"], token)


def test_reads_need_authentication(https: requests.Session) -> None:
    for path in (
        "/api/user/sites",
        "/api/user/projects",
        "/api/user/users",
        "/api/user/usergroups",
        "/api/user/participants",
        "/api/user/services/sites?id_site=1",
        "/api/user/services/projects?id_project=1",
    ):
        assert https.get(path).status_code == 401, path


@pytest.mark.parametrize(
    "path",
    [
        "/api/user/sites?id_site=abc",
        "/api/user/sites?unknown=1",
        "/api/user/projects?id_project=x",
        "/api/user/users?id_user=x",
        "/api/user/users?self=maybe",
        "/api/user/usergroups?nope=1",
        "/api/user/participants?id_project=x",
        "/api/user/services/sites",
        "/api/user/services/projects",
        "/api/user/services/projects?id_project=1&bogus=1",
    ],
)
def test_bad_parameters_are_400(https: requests.Session, admin_token: str, path: str) -> None:
    assert https.get(path, headers=auth_header(admin_token)).status_code == 400


def test_roles_of_a_project_user(https: requests.Session, admin_token: str, setup: Setup) -> None:
    admin = auth_header(admin_token)
    # As seen by the admin, the user's roles: "user" in the project, hence "user" in its site.
    projects = checked(https.get("/api/user/projects", params={"user_uuid": setup.user_uuid}, headers=admin))
    assert [(p["id_project"], p["project_role"]) for p in projects] == [(setup.id_project, "user")]
    assert {"project_name", "id_site", "site_name", "project_enabled"} <= set(projects[0])
    sites = checked(https.get("/api/user/sites", params={"user_uuid": setup.user_uuid}, headers=admin))
    assert [(s["id_site"], s["site_role"]) for s in sites] == [(DEFAULT_SITE, "user")]

    # As seen by the user itself: the same roles, and `users?self` lists them.
    user = auth_header(setup.user_token)
    mine = checked(https.get("/api/user/projects", headers=user))
    assert [(p["id_project"], p["project_role"]) for p in mine] == [(setup.id_project, "user")]
    [me] = checked(https.get("/api/user/users", params={"self": "true"}, headers=user))
    assert me["user_uuid"] == setup.user_uuid
    assert [(s["id_site"], s["site_role"]) for s in me["sites"]] == [(DEFAULT_SITE, "user")]
    assert [(p["id_project"], p["project_role"]) for p in me["projects"]] == [(setup.id_project, "user")]
    assert "user_password" not in me

    by_uuid = checked(https.get("/api/user/users", params={"user_uuid": setup.user_uuid}, headers=admin))
    assert [u["user_uuid"] for u in by_uuid] == [setup.user_uuid]
    groups = checked(https.get("/api/user/usergroups", params={"id_project": setup.id_project}, headers=admin))
    assert [g["id_user_group"] for g in groups] == [setup.id_user_group]


def test_plain_users_cannot_administer(https: requests.Session, setup: Setup) -> None:
    user = auth_header(setup.user_token)
    project = {"project": {"id_project": 0, "id_site": DEFAULT_SITE, "project_name": "not mine"}}
    assert https.post("/api/user/projects", json=project, headers=user).status_code == 403
    link = {"service_site": {"id_service": setup.id_service, "id_site": DEFAULT_SITE}}
    assert https.post("/api/user/services/sites", json=link, headers=user).status_code == 403
    link = {"service_project": {"id_service": setup.id_service, "id_project": setup.id_project}}
    assert https.post("/api/user/services/projects", json=link, headers=user).status_code == 403
    assert https.delete("/api/user/projects", params={"id": setup.id_project}, headers=user).status_code == 403
    # A plain user does not see a service that is not linked to its project.
    assert https.get("/api/user/services", params={"id": setup.id_service}, headers=user).json() == []


def test_service_links_need_the_site_link_first(https: requests.Session, admin_token: str, setup: Setup) -> None:
    admin = auth_header(admin_token)
    project_link = {"service_project": {"id_service": setup.id_service, "id_project": setup.id_project}}
    refused = https.post("/api/user/services/projects", json=project_link, headers=admin)
    assert refused.status_code == 403

    [site_link] = checked(
        https.post(
            "/api/user/services/sites",
            json={"service_site": {"id_service": setup.id_service, "id_site": DEFAULT_SITE}},
            headers=admin,
        )
    )
    assert site_link["id_service_site"] > 0
    [link] = checked(https.post("/api/user/services/projects", json=project_link, headers=admin))
    assert link["id_service_project"] > 0

    listed = checked(https.get("/api/user/services/projects", params={"id_project": setup.id_project}, headers=admin))
    assert [(x["id_service"], x["id_service_project"]) for x in listed] == [
        (setup.id_service, link["id_service_project"])
    ]
    assert {"service_name", "project_name"} <= set(listed[0])
    sites = checked(https.get("/api/user/services/sites", params={"id_service": setup.id_service}, headers=admin))
    assert [(x["id_site"], x["site_name"]) for x in sites] == [(DEFAULT_SITE, "Default Site")]

    # Now the project's user sees the service.
    seen = https.get(
        "/api/user/services", params={"id_project": setup.id_project}, headers=auth_header(setup.user_token)
    )
    assert [s["id_service"] for s in seen.json()] == [setup.id_service]

    # Unlinking: project link first, then the site link.
    assert https.delete("/api/user/services/projects", params={"id": link["id_service_project"]}, headers=admin).ok
    assert https.delete("/api/user/services/sites", params={"id": site_link["id_service_site"]}, headers=admin).ok
    assert checked(https.get("/api/user/services/sites", params={"id_service": setup.id_service}, headers=admin)) == []
    assert https.delete("/api/user/services/sites", params={"id": 999999}, headers=admin).status_code == 400


def test_participants_in_a_project(https: requests.Session, admin_token: str, setup: Setup) -> None:
    admin = auth_header(admin_token)
    body = {"participant": {"id_participant": 0, "id_project": setup.id_project, "participant_name": "Alice"}}
    [participant] = checked(https.post("/api/user/participants", json=body, headers=admin))
    assert participant["id_project"] == setup.id_project
    uuid.UUID(participant["participant_uuid"])
    # The project's user sees it; bad ids are refused.
    seen = checked(
        https.get(
            "/api/user/participants", params={"id_project": setup.id_project}, headers=auth_header(setup.user_token)
        )
    )
    assert [p["participant_uuid"] for p in seen] == [participant["participant_uuid"]]
    other = {"participant": {"id_participant": 0, "id_project": 999999, "participant_name": "Bob"}}
    assert https.post("/api/user/participants", json=other, headers=auth_header(setup.user_token)).status_code == 403


def test_read_side_directly_on_teraserver(devstack: Stack, admin_token: str, setup: Setup) -> None:
    """Same answers without NGINX in front (TeraServer's own published port)."""
    base = f"http://127.0.0.1:{devstack.host_port('teraserver', 4040)}"
    response = requests.get(
        f"{base}/api/user/projects", params={"user_uuid": setup.user_uuid}, headers=auth_header(admin_token), timeout=10
    )
    assert response.status_code == 200
    assert [(p["id_project"], p["project_role"]) for p in response.json()] == [(setup.id_project, "user")]
    assert requests.get(f"{base}/api/user/sites", timeout=10).status_code == 401


def test_project_delete(https: requests.Session, admin_token: str) -> None:
    admin = auth_header(admin_token)
    body = {"project": {"id_project": 0, "id_site": DEFAULT_SITE, "project_name": f"Temp {uuid.uuid4().hex[:6]}"}}
    [project] = checked(https.post("/api/user/projects", json=body, headers=admin))
    assert https.delete("/api/user/projects", params={"id": project["id_project"]}, headers=admin).status_code == 200
    assert checked(https.get("/api/user/projects", params={"id": project["id_project"]}, headers=admin)) == []
    assert https.delete("/api/user/projects", params={"id": project["id_project"]}, headers=admin).status_code == 400
