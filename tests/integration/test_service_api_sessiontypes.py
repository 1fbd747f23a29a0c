"""/api/service/sessiontypes and /api/service/sessiontypes/projects."""

from __future__ import annotations

from service_world import (
    ServiceClient,
    World,
    insert,
    new_session_type,
    unique,
)

from devstack.testing.stack import Stack

# Fixtures of the shared helper module: world, client, other_client, token_key.

NEW_TYPE = {
    "id_session_type": 0,
    "session_type_online": True,
    "session_type_color": "#112233",
    "session_type_category": 1,
}


def test_own_and_secondary_types_only(client: ServiceClient, api_stack: Stack, world: World) -> None:
    own = new_session_type(api_stack, world.service.id)
    secondary = new_session_type(api_stack, world.other_service.id)
    insert(
        api_stack,
        "t_sessions_types_services",
        {"id_session_type": secondary.id, "id_service": world.service.id},
        "id_session_type_service",
    )
    foreign = new_session_type(api_stack, world.other_service.id)
    listed = {t["id_session_type"]: t for t in client.get("/sessiontypes").json()}
    assert own.id in listed and secondary.id in listed and foreign.id not in listed
    assert listed[own.id]["session_type_service_key"] == world.service.name
    # Upstream's JSON, not the newer opentera package's: no capabilities nor secondary services.
    assert not {"session_type_secondary_services", "session_type_service_has_assets"} & set(listed[own.id])
    assert client.get("/sessiontypes", id_session_type=own.id).json()[0]["session_type_name"] == own.name
    assert client.get("/sessiontypes", id_session_type=foreign.id).json() == []  # as upstream: empty, not 403


def test_create_link_to_project_and_filter(client: ServiceClient, world: World) -> None:
    name = unique("Type")
    created = client.post(
        "/sessiontypes",
        {
            "service_session_type": {
                "session_type": {**NEW_TYPE, "session_type_name": name},
                "id_projects": [world.project_a1.id],
            }
        },
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["session_type_name"] == name and body["id_service"] == world.service.id
    by_project = client.get("/sessiontypes", id_project=world.project_a1.id).json()
    assert body["id_session_type"] in {t["id_session_type"] for t in by_project}
    by_site = client.get("/sessiontypes", id_site=world.site_a.id).json()  # the site link was made too
    assert body["id_session_type"] in {t["id_session_type"] for t in by_site}
    by_participant = client.get("/sessiontypes", id_participant=world.participant_a.id).json()
    assert body["id_session_type"] in {t["id_session_type"] for t in by_participant}
    assert client.get("/sessiontypes", id_project=world.project_b1.id).json() == []  # as upstream: empty, not 403


def test_post_refusals(client: ServiceClient, api_stack: Stack, world: World) -> None:
    foreign = new_session_type(api_stack, world.other_service.id)
    update_foreign = {
        "service_session_type": {"session_type": {"id_session_type": foreign.id, "session_type_name": "stolen"}}
    }
    assert client.post("/sessiontypes", update_foreign).status_code == 403
    to_b1 = {
        "service_session_type": {
            "session_type": {**NEW_TYPE, "session_type_name": "x"},
            "id_projects": [world.project_b1.id],
        }
    }
    assert client.post("/sessiontypes", to_b1).status_code == 403
    incomplete = {"service_session_type": {"session_type": {"id_session_type": 0, "session_type_name": "x"}}}
    assert client.post("/sessiontypes", incomplete).status_code == 400
    assert client.post("/sessiontypes", {"service_session_type": {}}).status_code == 400


def test_type_projects_replace_get_and_delete(client: ServiceClient, api_stack: Stack, world: World) -> None:
    own = new_session_type(api_stack, world.service.id)
    posted = client.post(
        "/sessiontypes/projects",
        {"session_type": {"id_session_type": own.id, "projects": [{"id_project": world.project_a1.id}]}},
    )
    assert posted.status_code == 200, posted.text
    [link] = posted.json()
    assert (link["id_session_type"], link["id_project"]) == (own.id, world.project_a1.id)
    listed = client.get("/sessiontypes/projects", id_session_type=own.id, with_sites="true").json()
    assert [(x["id_project"], x["project_name"], x["id_site"], x["session_type_name"]) for x in listed] == [
        (world.project_a1.id, world.project_a1.name, world.site_a.id, own.name)
    ]
    by_project = client.get("/sessiontypes/projects", id_project=world.project_a1.id).json()
    assert link["id_session_type_project"] in {x["id_session_type_project"] for x in by_project}
    assert client.delete("/sessiontypes/projects", id=link["id_session_type_project"]).status_code == 200
    assert client.get("/sessiontypes/projects", id_session_type=own.id).json() == []


def test_type_projects_refusals(client: ServiceClient, api_stack: Stack, world: World) -> None:
    own = new_session_type(api_stack, world.service.id)
    foreign = new_session_type(api_stack, world.other_service.id)
    assert client.get("/sessiontypes/projects").status_code == 400
    assert client.get("/sessiontypes/projects", with_sites="false").status_code == 400
    # As upstream: a flag set is enough to pass the "missing arguments" check; without an id it lists nothing.
    assert client.get("/sessiontypes/projects", with_sites="true").json() == []
    # As upstream: out of reach is an empty list, not a 403.
    assert client.get("/sessiontypes/projects", id_project=world.project_b1.id).json() == []
    assert client.get("/sessiontypes/projects", id_session_type=foreign.id).json() == []
    pair = {"sessions_types_projects": [{"id_session_type": own.id, "id_project": world.project_b1.id}]}
    assert client.post("/sessiontypes/projects", pair).status_code == 403
    assert client.post("/sessiontypes/projects", {"something": 1}).status_code == 400
    # Upstream's words for a malformed body (the forms are parsed by api/links.py).
    for body, message in (
        ({"something": 1}, "Unknown format"),
        ({"session_type": {"projects": []}}, "Missing id_session_type"),
        ({"session_type": {"id_session_type": own.id}}, "Missing projects"),
        ({"project": {"sessions_types": []}}, "Missing project ID"),
        ({"project": {"id_project": world.project_a1.id}}, "Missing sessions_types"),
        ({"sessions_types_projects": [{"id_project": world.project_a1.id}]}, "Badly formatted request"),
    ):
        refused = client.post("/sessiontypes/projects", body)
        assert (refused.status_code, refused.json()) == (400, message), body
    assert client.delete("/sessiontypes/projects", id=987654).status_code == 400
