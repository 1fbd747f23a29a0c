"""GET /api/device/assets: the calling device's own assets (`t_assets.id_device`).

Upstream's behaviour, kept here:

* Filters `id_asset`, then `asset_uuid`, then `id_session` (the first one given wins); none = all its assets.
  An `id_session` the device did not create is 403 "No access to session". Unknown arguments are ignored.
* `with_only_token`: each asset is `{asset_uuid, access_token}`; `with_urls`: the full asset JSON plus
  `access_token`, `asset_infos_url` and `asset_url`. Both flags: `{asset_uuid, access_token, asset_infos_url,
  asset_url}` (upstream applies the URL step after the token-only step).
* Access tokens: `TeraAsset.get_access_token` for that one asset, signed with the Redis `ServiceTokenAPIKey`,
  requester = the device's uuid, 30 minutes.
* URLs: `https://<host>:<port><service clientendpoint>/api/assets/infos` and `.../api/assets`, only for assets
  whose owner service is linked to one of the device's projects (enabled or not); otherwise both are null.
"""

from __future__ import annotations

from typing import Any

from flask_restx import inputs
from opentera.db.models.TeraAsset import TeraAsset
from opentera.redis.RedisVars import RedisVars

from teraserver import asset_rows, context
from teraserver.api.asset_links import ACCESS_TOKEN_LIFETIME, asset_urls
from teraserver.api.common import ClientError
from teraserver.api.device.access import DeviceAccess
from teraserver.api.device.namespace import ns
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import DeviceResource
from teraserver.database import reads_without_transaction
from teraserver.device_auth import current_device

get_parser = QueryParser()
get_parser.add_argument("asset_uuid", type=str, help="Asset UUID to query", default=None)
get_parser.add_argument("id_asset", type=int, help="Asset ID to query", default=None)
get_parser.add_argument("id_session", type=int, help="Session ID to query assets for", default=None)
get_parser.add_argument("with_urls", type=inputs.boolean, help="Also include assets infos and download-upload url")
get_parser.add_argument(
    "with_only_token", type=inputs.boolean, help="Only includes the access token. Will ignore with_urls if specified."
)


class DeviceQueryAssets(DeviceResource):
    @ns.doc(
        description="The device's assets: of one session, one asset (id or uuid), or all of them.",
        responses={200: "Success", 401: "Unauthorized", 403: "No access to that session"},
        params={"token": "Device token (or Authorization: OpenTera <token>)"},
    )
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Any:
        """Get the device's assets."""
        args = get_parser.parse_args()
        device = current_device()
        access = DeviceAccess(device)
        if args["id_session"] and args["id_session"] not in access.created_sessions_ids():
            raise ClientError("No access to session", 403)
        assets = access.assets(args["id_asset"], args["asset_uuid"], args["id_session"])

        with_urls, with_only_token = bool(args["with_urls"]), bool(args["with_only_token"])
        endpoints: dict[str, str] = {}
        key = None
        if (with_urls or with_only_token) and assets:
            endpoints = {service.service_uuid: service.service_clientendpoint or "" for service in access.services()}
            key = context.redis_client().get(RedisVars.RedisVar_ServiceTokenAPIKey)
        if not with_only_token:
            assets = asset_rows.for_json(assets)
        result = []
        for asset in assets:
            item = {"asset_uuid": asset.asset_uuid} if with_only_token else asset.to_json()
            if with_urls or with_only_token:
                item["access_token"] = TeraAsset.get_access_token(
                    asset.asset_uuid, key, device.device_uuid, expiration=ACCESS_TOKEN_LIFETIME
                )
            if with_urls:
                item.update(asset_urls(asset, endpoints))
            result.append(item)
        return result
