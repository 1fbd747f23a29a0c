"""/api/service/assets: assets of accessible sessions, access tokens and the owner service's URLs."""

from __future__ import annotations

import jwt
from service_world import (
    ServiceClient,
    World,
    new_session,
    new_session_type,
)

from devstack.testing.stack import Stack

# Fixtures of the shared helper module: world, client, other_client, token_key.


def test_asset_lifecycle(client: ServiceClient, api_stack: Stack, world: World, token_key: str) -> None:
    # A session of one of the service's session types: readable (a session of an accessible project is not).
    session = new_session(api_stack, new_session_type(api_stack, world.service.id).id, world.participant_a.id)
    created = client.post(
        "/assets",
        {
            "asset": {
                "id_asset": 0,
                "id_session": session.id,
                "asset_name": "video.mp4",
                "asset_type": "video/mp4",
                "participant_uuid": world.participant_a.uuid,
            }
        },
    )
    assert created.status_code == 200, created.text
    [asset] = created.json()
    assert asset["asset_service_uuid"] == world.service.uuid and asset["id_participant"] == world.participant_a.id
    assert asset["id_service"] is None  # as upstream: a service's new asset gets no creator service id
    for selector in (
        {"id_session": session.id},
        {"id_participant": world.participant_a.id},
        {"id_asset": asset["id_asset"]},
        {"service_uuid": world.service.uuid},
    ):
        assert asset["asset_uuid"] in {a["asset_uuid"] for a in client.get("/assets", **selector).json()}, selector
    [with_urls] = client.get("/assets", id_asset=asset["id_asset"], with_urls="true").json()
    claims = jwt.decode(with_urls["access_token"], token_key, algorithms=["HS256"])
    assert claims["asset_uuids"] == asset["asset_uuid"] and claims["requester_uuid"] == world.service.uuid
    assert with_urls["asset_url"].endswith(f"/{world.service.name.lower()}/api/assets")
    assert with_urls["asset_infos_url"].endswith("/api/assets/infos")
    [only] = client.get("/assets", id_asset=asset["id_asset"], with_only_token="true").json()
    assert set(only) == {"asset_uuid", "access_token"}
    assert client.delete("/assets", uuid=asset["asset_uuid"]).status_code == 200
    assert client.get("/assets", id_session=session.id).json() == []


def test_asset_refusals(client: ServiceClient, api_stack: Stack, world: World) -> None:
    hidden = new_session(api_stack, new_session_type(api_stack, None).id, world.participant_b.id)
    response = client.get("/assets", id_session=hidden.id)
    assert response.status_code == 403 and response.json() == "Session access denied"
    response = client.get("/assets", id_participant=world.participant_b.id)
    assert response.status_code == 403 and response.json() == "Participant access denied"
    # As upstream, another service's assets are not refused (ours: only those of readable sessions are listed).
    assert client.get("/assets", id_creator_service=world.other_service.id).status_code == 200
    response = client.get("/assets")
    assert response.status_code == 400 and response.json() == "No arguments specified"
    response = client.get("/assets", with_urls="true")  # flags only
    assert response.status_code == 400 and response.json() == "Missing argument"
    body = {"asset": {"id_asset": 0, "id_session": hidden.id, "asset_name": "x", "asset_type": "text/plain"}}
    assert client.post("/assets", body).status_code == 403
    visible = new_session(api_stack, new_session_type(api_stack, world.service.id).id, world.participant_a.id)
    no_type = {"asset": {"id_asset": 0, "id_session": visible.id, "asset_name": "x"}}
    assert client.post("/assets", no_type).status_code == 400
    assert client.delete("/assets", uuid="unknown").status_code == 400
