"""/api/service/testtypes and /api/service/testtypes/projects."""

from __future__ import annotations

from service_world import (
    ServiceClient,
    World,
    unique,
)

# Fixtures (world, client, other_client, token_key) of the shared helper module.

TEST_TYPE_FIELDS = {
    "id_test_type",
    "test_type_uuid",
    "test_type_name",
    "test_type_description",
    "test_type_key",
    "test_type_has_json_format",
    "test_type_has_web_format",
    "test_type_has_web_editor",
    "id_service",
    "test_type_service_key",
    "test_type_service_uuid",
}


def create(client: ServiceClient, **fields: object) -> dict:
    response = client.post(
        "/testtypes",
        {"test_type": {"id_test_type": 0, "test_type_name": unique("TT"), "test_type_key": unique("key"), **fields}},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_create_get_update_delete(client: ServiceClient, other_client: ServiceClient, world: World) -> None:
    foreign_service = {"id_test_type": 0, "test_type_name": unique("TT"), "id_service": world.other_service.id}
    assert client.post("/testtypes", {"test_type": foreign_service}).status_code == 403  # as upstream
    created = create(client)
    assert created["id_service"] == world.service.id
    listed = client.get("/testtypes").json()
    assert created["id_test_type"] in {t["id_test_type"] for t in listed}
    assert set(listed[0]) >= TEST_TYPE_FIELDS
    for selector in (
        {"id_test_type": created["id_test_type"]},
        {"test_type_uuid": created["test_type_uuid"]},
        {"test_type_key": created["test_type_key"]},
    ):
        assert [t["id_test_type"] for t in client.get("/testtypes", **selector).json()] == [created["id_test_type"]]
    assert other_client.get("/testtypes", id_test_type=created["id_test_type"]).json() == []
    renamed = client.post(
        "/testtypes", {"test_type": {"test_type_uuid": created["test_type_uuid"], "test_type_description": "d"}}
    )
    assert renamed.status_code == 200 and renamed.json()["test_type_description"] == "d"
    assert other_client.delete("/testtypes", uuid=created["test_type_uuid"]).status_code == 403
    assert client.delete("/testtypes", uuid=created["test_type_uuid"]).status_code == 200
    assert client.get("/testtypes", id_test_type=created["id_test_type"]).json() == []


def test_strict_and_bad_input(client: ServiceClient, other_client: ServiceClient) -> None:
    assert client.get("/testtypes", unknown="1").status_code == 400
    assert client.post("/testtypes", {"test_type": {"test_type_name": "x"}}).status_code == 400
    assert client.post("/testtypes", {"test_type": {"test_type_uuid": "nope"}}).status_code == 400
    theirs = create(other_client)
    steal = {"test_type": {"id_test_type": theirs["id_test_type"], "test_type_name": "mine"}}
    assert client.post("/testtypes", steal).status_code == 403
    assert client.delete("/testtypes", uuid="nope").status_code == 400


def test_project_links(client: ServiceClient, world: World) -> None:
    test_type = create(client)
    id_type = test_type["id_test_type"]
    added = client.post(
        "/testtypes/projects", {"test_type_project": {"id_test_type": id_type, "id_project": world.project_a1.id}}
    )
    assert added.status_code == 200, added.text
    [link] = added.json()
    assert [t["id_test_type"] for t in client.get("/testtypes", id_project=world.project_a1.id).json()] == [id_type]
    assert id_type in {t["id_test_type"] for t in client.get("/testtypes", id_site=world.site_a.id).json()}
    replaced = client.post("/testtypes/projects", {"project": {"id_project": world.project_a1.id, "testtypes": []}})
    assert replaced.status_code == 200 and replaced.json() == []
    assert client.get("/testtypes/projects", id_test_type=id_type).json() == []
    assert client.delete("/testtypes/projects", id=link["id_test_type_project"]).status_code == 400  # gone already
    assert client.get("/testtypes/projects", id_project=world.project_b1.id).json() == []  # as upstream, not 403
    # As upstream: nothing set is a 400, a flag alone an empty list.
    assert client.get("/testtypes/projects").status_code == 400
    assert client.get("/testtypes/projects", with_sites="true").json() == []
    # Upstream's words for a malformed body (the forms are parsed by api/links.py).
    for body, message in (
        ({"project": {"id_project": world.project_a1.id}}, "Missing test types"),
        ({"test_type": {"id_test_type": id_type}}, "Missing projects"),
        ({"test_type_project": {"id_test_type": id_type}}, "Badly formatted request"),
    ):
        refused = client.post("/testtypes/projects", body)
        assert (refused.status_code, refused.json()) == (400, message), body
