"""/api/user/server/settings and /api/user/versions through the front door."""

from __future__ import annotations

from typing import Any

import pytest
from user_world import UserWorld, auth

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack


def setting(stack: Stack, name: str) -> str:
    return stack.psql(f"SELECT server_settings_value FROM t_server_settings WHERE server_settings_name = '{name}'")[0][
        0
    ]


def test_settings_and_versions_need_a_user(https: FrontDoorSession) -> None:
    assert https.get("/api/user/server/settings", params={"uuid": "true"}).status_code == 401
    assert https.get("/api/user/versions").status_code == 401
    assert https.post("/api/user/versions", json={}).status_code == 401


def test_settings_answer_what_is_asked(devstack: Stack, https: FrontDoorSession, user_world: UserWorld) -> None:
    headers = user_world.outsider.headers  # any user may read them, as upstream
    assert https.get("/api/user/server/settings", headers=headers).json() == {}
    uuid_only = https.get("/api/user/server/settings", params={"uuid": "true"}, headers=headers).json()
    assert uuid_only == {"server_uuid": setting(devstack, "ServerUUID")}
    both = https.get(
        "/api/user/server/settings", params={"uuid": "1", "device_register_key": "true"}, headers=headers
    ).json()
    assert both == {
        "server_uuid": setting(devstack, "ServerUUID"),
        "device_register_key": setting(devstack, "DeviceRegisterKey"),
    }
    assert https.get("/api/user/server/settings", params={"uuid": "false"}, headers=headers).json() == {}


@pytest.mark.parametrize("params", [{"uuid": "perhaps"}, {"server": "true"}])
def test_bad_settings_queries_are_400(https: FrontDoorSession, admin_token: str, params: dict) -> None:
    assert https.get("/api/user/server/settings", params=params, headers=auth(admin_token)).status_code == 400


def test_versions(https: FrontDoorSession, user_world: UserWorld) -> None:
    versions = https.get("/api/user/versions", headers=user_world.member.headers).json()
    assert versions["version_string"].endswith("1.3.1")  # the package says "OpenTera_v1.3.1"
    assert (versions["version_major"], versions["version_minor"], versions["version_patch"]) == (1, 3, 1)
    assert versions["clients"]["OpenTeraPlus"]["client_name"] == "OpenTeraPlus"


def client_versions(name: str) -> dict[str, Any]:
    return {
        "ClientVersions": {
            "client_name": name,
            "client_description": "A test client",
            "client_version": "2.0.1",
            "client_documentation_url": "https://example.invalid/doc",
        }
    }


def test_superadmin_posts_client_versions(https: FrontDoorSession, user_world: UserWorld, admin_token: str) -> None:
    name = f"Client-{user_world.session_a.uuid[:8]}"
    response = https.post("/api/user/versions", json=client_versions(name), headers=auth(admin_token))
    assert response.status_code == 200, response.text
    assert response.json()["clients"][name]["client_version"] == "2.0.1"
    assert "OpenTeraPlus" in response.json()["clients"]
    stored = https.get("/api/user/versions", headers=user_world.member.headers).json()
    assert stored["clients"][name]["client_description"] == "A test client"


def test_only_superadmins_post_versions(https: FrontDoorSession, user_world: UserWorld) -> None:
    response = https.post("/api/user/versions", json=client_versions("Nope"), headers=user_world.project_admin.headers)
    assert response.status_code == 403
    assert "Nope" not in https.get("/api/user/versions", headers=user_world.member.headers).json()["clients"]


@pytest.mark.parametrize(
    "body",
    [
        None,
        [1],
        {"ClientVersions": "2.0"},
        {"ClientVersions": {"client_version": "1"}},
        {"ClientVersions": {"client_name": "X", "client_version": 2}},
        {"ClientVersions": {"client_name": "X", "client_colour": "red"}},
    ],
)
def test_bad_versions_bodies_are_400(https: FrontDoorSession, admin_token: str, body: Any) -> None:
    assert https.post("/api/user/versions", json=body, headers=auth(admin_token)).status_code == 400
