"""GET /api/service/users (one user object) and /api/service/users/access (role in a project or site)."""

from __future__ import annotations

from service_world import (
    ServiceClient,
    World,
    new_project_user,
    new_user,
)

from devstack.testing.stack import Stack

# Fixtures of the shared helper module: world, client, other_client, token_key.

USER_FIELDS = {
    "id_user",
    "user_uuid",
    "user_username",
    "user_email",
    "user_firstname",
    "user_lastname",
    "user_enabled",
    "user_profile",
    "user_notes",
    "user_lastonline",
    "user_superadmin",
    "user_2fa_enabled",
    "user_2fa_otp_enabled",
    "user_2fa_email_enabled",
    "user_force_password_change",
    "user_name",
}


def test_project_member_is_one_object_by_uuid_or_id(client: ServiceClient, api_stack: Stack, world: World) -> None:
    member = new_project_user(api_stack, world.project_a1.id)
    by_uuid = client.get("/users", user_uuid=member.uuid)
    by_id = client.get("/users", id_user=member.id)
    assert by_uuid.status_code == 200, by_uuid.text
    body = by_uuid.json()
    assert isinstance(body, dict) and body == by_id.json()
    assert body["user_uuid"] == member.uuid and body["id_user"] == member.id
    assert set(body) == USER_FIELDS  # never the password hash or OTP secret


def test_user_of_an_unlinked_project_is_forbidden(client: ServiceClient, api_stack: Stack, world: World) -> None:
    outsider = new_project_user(api_stack, world.project_b1.id)
    response = client.get("/users", user_uuid=outsider.uuid)
    assert (
        response.status_code == 403
        and response.json() == "Service doesn't have permission to access the requested data"
    )
    assert client.get("/users", id_user=outsider.id).status_code == 403


def test_user_without_any_role_is_forbidden(client: ServiceClient, api_stack: Stack) -> None:
    assert client.get("/users", id_user=new_user(api_stack).id).status_code == 403


def test_superadmins_are_visible_to_a_service_with_a_project(client: ServiceClient) -> None:
    response = client.get("/users", id_user=1)  # the default admin
    assert response.status_code == 200 and response.json()["user_superadmin"] is True


def test_missing_or_unknown_parameters(client: ServiceClient) -> None:
    response = client.get("/users")
    assert response.status_code == 400 and response.json() == "Missing arguments"
    response = client.get("/users", id_user=1, whatever="x")
    assert response.status_code == 400 and "whatever" in response.json()["message"]
    assert client.get("/users", user_uuid="no-such-uuid").status_code == 403
    assert client.get("/users", id_user=2**40).status_code in (400, 403)


def test_access_gives_project_and_site_roles(client: ServiceClient, api_stack: Stack, world: World) -> None:
    admin = new_project_user(api_stack, world.project_a1.id, role="admin")
    assert client.get("/users/access", uuid_user=admin.uuid, id_project=world.project_a1.id).json() == {
        "project_role": "admin"
    }
    assert client.get("/users/access", uuid_user=admin.uuid, id_project=world.project_b1.id).json() == {
        "project_role": None
    }
    # A project role gives the "user" role on the project's site.
    assert client.get("/users/access", uuid_user=admin.uuid, id_site=world.site_a.id).json() == {"site_role": "user"}


def test_access_parameters(client: ServiceClient, api_stack: Stack, world: World) -> None:
    member = new_project_user(api_stack, world.project_a1.id)
    assert client.get("/users/access", id_project=world.project_a1.id).status_code == 400  # uuid_user required
    assert client.get("/users/access", uuid_user=member.uuid).status_code == 400  # project or site required
    unknown = client.get("/users/access", uuid_user="unknown", id_site=world.site_a.id)
    assert unknown.status_code == 200 and unknown.json() == {"site_role": None}  # as upstream
    assert client.get("/users/access", uuid_user=member.uuid, id_site=1, extra=1).status_code == 400
