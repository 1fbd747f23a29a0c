"""/api/participant/assets: assets that name the calling participant (`id_participant`).

Upstream's rules, recorded:

* Role `limited`. With a static token, one of `id_asset`, `asset_uuid`, `id_session` is required (else 403
  `Forbidden`), and `with_urls` / `with_only_token` are ignored (plain asset JSON, no access token).
* `id_session` must be a session the participant created (else 403 `No access to session`).
* Only assets whose `id_participant` is the caller; the selectors apply in the order `id_asset`, `asset_uuid`,
  `id_session` (the first one given wins). Arguments are not parsed strictly.
* With full access: `with_only_token` answers `{asset_uuid, access_token}` per asset; `with_urls` adds
  `access_token`, `asset_infos_url` and `asset_url` to the asset's JSON (with both flags, upstream gives the
  uuid, the token and the two URLs), the URLs under the owner service's
  client endpoint when that service is linked to the participant's project, else null. Access tokens are
  signed with `ServiceTokenAPIKey`, valid 30 minutes, `requester_uuid` = the participant's uuid.
"""

from __future__ import annotations

from typing import Any

from flask_restx import inputs
from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.redis.RedisVars import RedisVars

from teraserver import asset_rows, context, participant_auth
from teraserver.api.asset_links import ACCESS_TOKEN_LIFETIME, asset_urls
from teraserver.api.common import forbidden
from teraserver.api.participant.namespace import ns
from teraserver.api.participant.sessions import created_session_ids
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import ParticipantResource
from teraserver.database import reads_without_transaction
from teraserver.participant_auth import ROLE_LIMITED, current_participant, has_full_access

get_parser = QueryParser()
get_parser.add_argument("asset_uuid", type=str, location="args", help="Asset UUID to query")
get_parser.add_argument("id_asset", type=int, location="args", help="Asset ID to query")
get_parser.add_argument("id_session", type=int, location="args", help="Session ID to query assets for")
get_parser.add_argument("with_urls", type=inputs.boolean, location="args", help="Add access token and asset urls")
get_parser.add_argument(
    "with_only_token", type=inputs.boolean, location="args", help="Only uuid and access token (wins over with_urls)"
)


def participant_assets(id_participant: int, args: dict[str, Any]) -> list[TeraAsset]:
    query = TeraAsset.query.filter(TeraAsset.id_participant == id_participant)
    if args["id_asset"]:
        query = query.filter(TeraAsset.id_asset == args["id_asset"])
    elif args["asset_uuid"]:
        query = query.filter(TeraAsset.asset_uuid == args["asset_uuid"])
    elif args["id_session"]:
        query = query.filter(TeraAsset.id_session == args["id_session"])
    return query.order_by(TeraAsset.id_asset).all()


def project_client_endpoints(id_project: int | None) -> dict[str, str]:
    """service_uuid -> clientendpoint of the services linked to the project (what upstream lets it reach)."""
    links = TeraServiceProject.get_services_for_project(id_project=id_project)
    services = [link.service_project_service for link in links]
    return {service.service_uuid: service.service_clientendpoint or "" for service in services if service}


class ParticipantQueryAssets(ParticipantResource):
    method_decorators = [participant_auth.participant_multi_required(ROLE_LIMITED)]

    @ns.doc(
        description="The participant's assets; with a static token, id_asset, asset_uuid or id_session is needed",
        responses={200: "Success", 400: "Invalid argument", 403: "No access to that session, or no selector"},
    )
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Any:
        """Get the participant's assets."""
        args = get_parser.parse_args()
        participant = current_participant()
        full = has_full_access()
        if not full and not (args["id_session"] or args["id_asset"] or args["asset_uuid"]):
            raise forbidden("Forbidden")
        if args["id_session"] and args["id_session"] not in created_session_ids(participant.id_participant):
            raise forbidden("No access to session")
        assets = participant_assets(participant.id_participant, args)

        with_token = full and bool(args["with_urls"] or args["with_only_token"])
        only_token = full and bool(args["with_only_token"])
        key = context.redis_client().get(RedisVars.RedisVar_ServiceTokenAPIKey) if with_token and assets else None
        endpoints = project_client_endpoints(participant.id_project) if with_token and assets else {}
        if not only_token:
            assets = asset_rows.for_json(assets)
        result = []
        for asset in assets:
            item = {"asset_uuid": asset.asset_uuid} if only_token else asset.to_json()
            if with_token:
                item["access_token"] = TeraAsset.get_access_token(
                    asset_uuids=asset.asset_uuid,
                    token_key=key,
                    requester_uuid=participant.participant_uuid,
                    expiration=ACCESS_TOKEN_LIFETIME,
                )
            if full and args["with_urls"]:
                item.update(asset_urls(asset, endpoints))
            result.append(item)
        return result
