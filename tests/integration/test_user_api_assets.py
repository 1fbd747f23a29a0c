"""/api/user/assets through the front door: selectors, access scope, access tokens and URLs."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import redis
from service_world import new_service
from user_world import UserWorld, auth, new_asset

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack

ASSET_FIELDS = {"id_asset", "asset_uuid", "asset_name", "asset_type", "asset_service_uuid", "id_session"}


def get_assets(https: FrontDoorSession, token: str, **params: Any) -> Any:
    return https.get("/api/user/assets", params=params, headers=auth(token))


def test_assets_need_a_user(https: FrontDoorSession) -> None:
    assert https.get("/api/user/assets", params={"id_session": 1}).status_code == 401
    assert https.post("/api/user/assets", json={}).status_code == 401
    assert https.delete("/api/user/assets", params={"id": 1}).status_code == 401


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "No arguments specified"),
        ({"with_urls": "true"}, "Missing argument"),
        ({"id_session": "one"}, "id_session"),
        ({"id_session": 1, "colour": "red"}, "colour"),
        ({"id_session": 1, "with_urls": "maybe"}, "with_urls"),
    ],
)
def test_bad_asset_queries_are_400(https: FrontDoorSession, admin_token: str, params: dict, named: str) -> None:
    response = get_assets(https, admin_token, **params)
    assert response.status_code == 400, response.text
    assert named in response.text


def test_assets_of_a_reachable_session(https: FrontDoorSession, user_world: UserWorld) -> None:
    response = get_assets(https, user_world.member.token, id_session=user_world.session_a.id)
    assert response.status_code == 200, response.text
    (asset,) = response.json()
    assert set(asset) >= ASSET_FIELDS
    assert asset["asset_uuid"] == user_world.asset_a.uuid
    assert asset["asset_service_uuid"] == user_world.service.uuid
    assert "asset_session_name" not in asset  # minimal unless full=true, as upstream
    full = get_assets(https, user_world.member.token, id_session=user_world.session_a.id, full="true").json()[0]
    assert full["asset_session_name"] == user_world.session_a.name
    assert full["asset_participant"] == user_world.participant_a.name


@pytest.mark.parametrize(
    "selector",
    ["id_participant", "id_asset", "asset_uuid", "service_uuid"],
)
def test_selectors_find_the_members_asset(https: FrontDoorSession, user_world: UserWorld, selector: str) -> None:
    value = {
        "id_participant": user_world.participant_a.id,
        "id_asset": user_world.asset_a.id,
        "asset_uuid": user_world.asset_a.uuid,
        "service_uuid": user_world.service.uuid,
    }[selector]
    response = get_assets(https, user_world.member.token, **{selector: value})
    assert response.status_code == 200, response.text
    # service_uuid also owns asset_b, in a session the member cannot see: it is left out.
    assert [a["asset_uuid"] for a in response.json()] == [user_world.asset_a.uuid]


def test_assets_out_of_reach(https: FrontDoorSession, user_world: UserWorld, admin_token: str) -> None:
    token = user_world.member.token
    for selector, value, what in (
        ("id_session", user_world.session_b.id, "Session"),
        ("id_participant", user_world.participant_b.id, "Participant"),
        ("id_device", 99999999, "Device"),
    ):
        response = get_assets(https, token, **{selector: value})
        assert response.status_code == 403, selector
        assert response.json() == f"{what} access denied"
    assert get_assets(https, token, id_asset=user_world.asset_b.id).json() == []
    assert get_assets(https, user_world.outsider.token, asset_uuid=user_world.asset_a.uuid).json() == []
    everything = get_assets(https, admin_token, service_uuid=user_world.service.uuid).json()
    assert {a["asset_uuid"] for a in everything} == {user_world.asset_a.uuid, user_world.asset_b.uuid}


def test_with_urls_mints_an_access_token_and_service_urls(
    https: FrontDoorSession, user_world: UserWorld, redis_client: redis.Redis
) -> None:
    member = user_world.member
    (asset,) = get_assets(https, member.token, id_asset=user_world.asset_a.id, with_urls="true").json()
    claims = jwt.decode(asset["access_token"], redis_client.get("ServiceTokenAPIKey"), algorithms=["HS256"])
    assert claims["asset_uuids"] == user_world.asset_a.uuid  # one uuid string, as upstream
    assert claims["requester_uuid"] == member.uuid
    assert claims["exp"] - claims["iat"] == 1800
    assert claims["iss"] == "TeraServer"
    endpoint = f"/{user_world.service.name.lower()}"
    assert asset["asset_url"].startswith("https://") and asset["asset_url"].endswith(f"{endpoint}/api/assets")
    assert asset["asset_infos_url"] == asset["asset_url"] + "/infos"


def test_with_only_token(https: FrontDoorSession, user_world: UserWorld, redis_client: redis.Redis) -> None:
    answer = get_assets(
        https, user_world.member.token, id_session=user_world.session_a.id, with_only_token="true", with_urls="true"
    ).json()
    assert [set(item) for item in answer] == [{"asset_uuid", "access_token"}]
    claims = jwt.decode(answer[0]["access_token"], redis_client.get("ServiceTokenAPIKey"), algorithms=["HS256"])
    assert claims["asset_uuids"] == user_world.asset_a.uuid


def test_urls_are_null_for_a_disabled_owner(
    devstack: Stack, https: FrontDoorSession, user_world: UserWorld, admin_token: str
) -> None:
    disabled = new_service(devstack, enabled=False)
    asset = new_asset(devstack, user_world.session_a.id, disabled.uuid)
    (item,) = get_assets(https, admin_token, id_asset=asset.id, with_urls="true").json()
    assert item["access_token"]
    assert (item["asset_url"], item["asset_infos_url"]) == (None, None)


def test_assets_are_written_through_their_service(https: FrontDoorSession, admin_token: str) -> None:
    # Upstream answers 501 on both: asset creation and deletion go through the owning service.
    assert https.post("/api/user/assets", json={"asset": {}}, headers=auth(admin_token)).status_code == 501
    assert https.delete("/api/user/assets", params={"id": 1}, headers=auth(admin_token)).status_code == 501
