"""/api/service/sites and /api/service/projects: what the t_services_sites / t_services_projects links give."""

from __future__ import annotations

from service_world import (
    ServiceClient,
    World,
    new_project,
    new_project_user,
    new_service,
    unique,
)

from devstack.testing.stack import Stack
from devstack.testing.tokens import mint_service_token

# Fixtures of the shared helper module: world, client, other_client, token_key.


def test_sites_are_the_linked_ones_minimal(client: ServiceClient, world: World) -> None:
    sites = client.get("/sites").json()
    assert sites == [{"id_site": world.site_a.id, "site_name": world.site_a.name, "site_2fa_required": False}]
    assert client.get("/sites", id_site=world.site_a.id).json() == sites
    assert client.get("/sites", id_site=world.site_b.id).status_code == 403
    assert client.get("/sites", bogus=1).status_code == 400


def test_sites_of_a_user(client: ServiceClient, api_stack: Stack, world: World) -> None:
    member = new_project_user(api_stack, world.project_a1.id)
    assert [s["id_site"] for s in client.get("/sites", id_user=member.id).json()] == [world.site_a.id]
    outsider = new_project_user(api_stack, world.project_b1.id)
    assert client.get("/sites", id_user=outsider.id).json() == []


def test_fresh_service_sees_nothing(front, api_stack: Stack, token_key: str) -> None:
    from service_world import ServiceClient as Client

    fresh = Client(front, mint_service_token(token_key, new_service(api_stack).uuid))
    assert fresh.get("/sites").json() == []
    assert fresh.get("/projects", id_site=1).status_code == 403


def test_projects(client: ServiceClient, api_stack: Stack, world: World) -> None:
    unlinked_in_site_a = new_project(api_stack, world.site_a.id)
    by_site = client.get("/projects", id_site=world.site_a.id).json()
    # As upstream: every project of an accessible site, the unlinked one too.
    assert [p["id_project"] for p in by_site] == [world.project_a1.id, unlinked_in_site_a.id]
    one = client.get("/projects", id_project=world.project_a1.id).json()
    assert one == [
        {
            "id_project": world.project_a1.id,
            "id_site": world.site_a.id,
            "project_name": world.project_a1.name,
            "project_enabled": True,
            "project_description": None,
        }
    ]
    assert client.get("/projects", id_project=world.project_b1.id).status_code == 403
    assert client.get("/projects").status_code == 400


def test_project_create_links_it_to_the_service_then_update_and_delete(client: ServiceClient, world: World) -> None:
    name = unique("NewProject")
    created = client.post("/projects", {"project": {"id_project": 0, "id_site": world.site_a.id, "project_name": name}})
    assert created.status_code == 200, created.text
    id_project = created.json()["id_project"]
    assert client.get("/projects", id_project=id_project).json()[0]["project_name"] == name
    updated = client.post("/projects", {"project": {"id_project": id_project, "project_description": "d"}})
    assert updated.status_code == 200 and updated.json()["project_description"] == "d"
    assert client.delete("/projects", id=id_project).status_code == 200
    assert client.get("/projects", id_project=id_project).status_code == 403


def test_project_create_refusals(client: ServiceClient, world: World) -> None:
    assert (
        client.post(
            "/projects", {"project": {"id_project": 0, "id_site": world.site_b.id, "project_name": "x"}}
        ).status_code
        == 403
    )
    assert client.post("/projects", {"project": {"id_project": 0, "project_name": "x"}}).status_code == 400
    assert client.post("/projects", {"project": {"id_project": "zero"}}).status_code == 400
    assert client.delete("/projects", id=world.project_b1.id).status_code == 403
