"""Asset JSON with access tokens and the owning service's asset URLs.

Shared by /api/service/assets and /api/user/assets: `with_only_token` answers `{asset_uuid, access_token}`
per asset; `with_urls` adds `access_token`, `asset_infos_url` and `asset_url` under the owner service's
clientendpoint through the front door, or null URLs when that service is unknown or disabled.
"""

from __future__ import annotations

from typing import Any

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraService import TeraService
from opentera.redis.RedisVars import RedisVars

from teraserver import asset_rows, context
from teraserver.api.common import server_url

ACCESS_TOKEN_LIFETIME = 1800  # seconds, as upstream


def enabled_client_endpoints() -> dict[str, str]:
    """service_uuid -> clientendpoint of every enabled service, read once per request (upstream does the same)."""
    services = TeraService.query_with_filters({"service_enabled": True})
    return {service.service_uuid: service.service_clientendpoint or "" for service in services}


def asset_urls(asset: TeraAsset, endpoints: dict[str, str]) -> dict[str, str | None]:
    if asset.asset_service_uuid not in endpoints:
        return {"asset_infos_url": None, "asset_url": None}
    base = f"{server_url()}{endpoints[asset.asset_service_uuid]}"
    return {"asset_infos_url": f"{base}/api/assets/infos", "asset_url": f"{base}/api/assets"}


def assets_json(
    assets: list[TeraAsset],
    requester_uuid: str,
    *,
    with_urls: bool = False,
    with_only_token: bool = False,
    minimal: bool = False,
) -> list[dict[str, Any]]:
    """The answer of a GET .../assets: `with_only_token` wins over `with_urls`, as upstream."""
    key = context.redis_client().get(RedisVars.RedisVar_ServiceTokenAPIKey) if with_urls or with_only_token else None
    endpoints = enabled_client_endpoints() if with_urls and not with_only_token else {}
    if not with_only_token and not minimal:
        assets = asset_rows.for_json(assets)
    result = []
    for asset in assets:
        if with_only_token or with_urls:
            # A single uuid string where a list is documented: what upstream sends.
            token = TeraAsset.get_access_token(asset.asset_uuid, key, requester_uuid, expiration=ACCESS_TOKEN_LIFETIME)
        if with_only_token:
            result.append({"asset_uuid": asset.asset_uuid, "access_token": token})
            continue
        item = asset.to_json(minimal=minimal)
        if with_urls:
            item["access_token"] = token
            item.update(asset_urls(asset, endpoints))
        result.append(item)
    return result
