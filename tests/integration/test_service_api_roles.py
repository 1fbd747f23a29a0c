"""/api/service/roles, /serviceaccess and /usergroups: a service managing its own roles and who holds them."""

from __future__ import annotations

from service_world import (
    ServiceClient,
    World,
    new_role,
    new_user_group,
    unique,
)

from devstack.testing.stack import Stack

# Fixtures (world, client, other_client, token_key) of the shared helper module.


def test_roles_lifecycle(client: ServiceClient, other_client: ServiceClient, world: World) -> None:
    name = unique("role")
    created = client.post(
        "/roles", {"service_role": {"id_service_role": 0, "service_role_name": name, "id_project": world.project_a1.id}}
    )
    assert created.status_code == 200, created.text
    role = created.json()
    assert role["id_service"] == world.service.id and role["id_project"] == world.project_a1.id
    assert role["id_service_role"] in {r["id_service_role"] for r in client.get("/roles").json()}
    assert role["id_service_role"] not in {r["id_service_role"] for r in other_client.get("/roles").json()}
    assert other_client.delete("/roles", id=role["id_service_role"]).status_code == 403
    assert client.delete("/roles", id=role["id_service_role"]).status_code == 200
    assert role["id_service_role"] not in {r["id_service_role"] for r in client.get("/roles").json()}


def test_roles_refusals(client: ServiceClient, world: World) -> None:
    assert (
        client.post(
            "/roles",
            {"service_role": {"id_service_role": 0, "service_role_name": "x", "id_project": world.project_b1.id}},
        ).status_code
        == 403
    )
    assert client.post("/roles", {"service_role": {"id_service_role": 0}}).status_code == 400
    assert client.delete("/roles", id=987654).status_code == 400


def test_usergroups_and_serviceaccess(
    client: ServiceClient, other_client: ServiceClient, api_stack: Stack, world: World
) -> None:
    role_name = unique("editor")
    role = new_role(api_stack, world.service.id, role_name)
    name = unique("Group")
    # A global role is given by name: by id, upstream (and so we) require it bound to a project and a site.
    created = client.post(
        "/usergroups",
        {
            "user_group": {
                "id_user_group": 0,
                "user_group_name": name,
                "user_group_services_access": [{"service_role_name": role_name}],
            }
        },
    )
    assert created.status_code == 200, created.text
    group = created.json()
    assert group["user_group_name"] == name
    listed = client.get("/usergroups").json()
    assert group["id_user_group"] in {g["id_user_group"] for g in listed}
    assert other_client.get("/usergroups", id_user_group=group["id_user_group"]).json() == []

    access = client.get("/serviceaccess", id_user_group=group["id_user_group"]).json()
    assert [(a["id_service_role"], a["id_user_group"]) for a in access] == [(role, group["id_user_group"])]
    # Posting an existing row without id_service_role deletes it.
    removed = client.post(
        "/serviceaccess",
        {
            "service_access": {
                "id_service_access": access[0]["id_service_access"],
                "id_user_group": group["id_user_group"],
            }
        },
    )
    assert removed.status_code == 200, removed.text
    assert client.get("/serviceaccess", id_user_group=group["id_user_group"]).json() == []
    # ...and the group, holding none of the caller's roles any more, is no longer its business.
    assert client.delete("/usergroups", id=group["id_user_group"]).status_code == 403


def test_usergroup_and_access_refusals(client: ServiceClient, api_stack: Stack, world: World) -> None:
    foreign_role = new_role(api_stack, world.other_service.id, "theirs")
    body = {
        "user_group": {
            "id_user_group": 0,
            "user_group_name": "x",
            "user_group_services_access": [{"id_service_role": foreign_role}],
        }
    }
    assert client.post("/usergroups", body).status_code == 403
    assert client.post("/usergroups", {"user_group": {"id_user_group": 0, "user_group_name": "x"}}).status_code == 400
    theirs = new_user_group(api_stack, foreign_role)
    assert client.get("/usergroups", id_user_group=theirs.id).json() == []
    assert client.get("/serviceaccess").status_code == 400
    own_role = new_role(api_stack, world.service.id, unique("r"))
    grab = {"service_access": [{"id_service_access": 0, "id_user_group": theirs.id, "id_service_role": own_role}]}
    assert client.post("/serviceaccess", grab).status_code == 403
    assert client.get("/usergroups", id_project=world.project_b1.id).status_code == 403
    assert client.delete("/serviceaccess", id=987654).status_code == 400
