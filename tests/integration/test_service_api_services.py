"""GET /api/service/services: one service's minimal JSON in a list, by id, uuid or key."""

from __future__ import annotations

from urllib.parse import urlparse

from service_world import (
    ServiceClient,
    World,
    new_service,
)

from devstack.testing.stack import Stack

# Fixtures (world, client, other_client, token_key) of the shared helper module.

MINIMAL_FIELDS = {
    "id_service",
    "service_uuid",
    "service_name",
    "service_key",
    "service_hostname",
    "service_port",
    "service_endpoint",
    "service_clientendpoint",
    "service_enabled",
    "service_system",
    "service_editable_config",
    "service_has_assets",
    "service_has_tests",
}


def test_by_key_id_and_uuid_give_the_same_single_minimal_service(client: ServiceClient, world: World) -> None:
    other = world.other_service
    answers = [
        client.get("/services", service_key=other.name),
        client.get("/services", id_service=other.id),
        client.get("/services", uuid_service=other.uuid),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        body = response.json()
        assert isinstance(body, list) and len(body) == 1
    first = answers[0].json()[0]
    assert all(response.json()[0] == first for response in answers)
    assert first["service_key"] == other.name and first["service_uuid"] == other.uuid
    assert set(first) == MINIMAL_FIELDS  # no default config, roles or projects in the minimal JSON


def test_system_services_are_visible_to_any_service(client: ServiceClient) -> None:
    response = client.get("/services", service_key="FileTransferService")
    assert response.status_code == 200
    assert response.json()[0]["service_key"] == "FileTransferService"


def test_no_selector_is_400(client: ServiceClient) -> None:
    response = client.get("/services")
    assert response.status_code == 400 and response.json() == "Missing service key, id or uuid"


def test_unknown_service_is_404_not_500(client: ServiceClient) -> None:
    assert client.get("/services", service_key="NoSuchService").status_code == 404
    assert client.get("/services", id_service=987654).status_code == 404
    assert client.get("/services", uuid_service="nope").status_code == 404


def test_non_integer_id_is_400(client: ServiceClient) -> None:
    assert client.get("/services", id_service="abc").status_code == 400


def test_base_url_of_a_local_service_goes_through_the_front_door(client: ServiceClient, world: World) -> None:
    response = client.get("/services", service_key=world.other_service.name, with_base_url="true")
    front = urlparse(client.https.base_url)
    expected = f"https://{front.hostname}:{front.port}/{world.other_service.name.lower()}"
    assert response.json()[0]["service_base_url"] == expected


def test_base_url_of_a_remote_service_is_its_own(client: ServiceClient, api_stack: Stack) -> None:
    remote = new_service(api_stack, hostname="remote.example", port=8443)
    response = client.get("/services", id_service=remote.id, with_base_url="1")
    assert response.json()[0]["service_base_url"] == f"https://remote.example:8443/{remote.name.lower()}"


def test_without_with_base_url_there_is_none(client: ServiceClient, world: World) -> None:
    response = client.get("/services", id_service=world.service.id)
    assert "service_base_url" not in response.json()[0]
