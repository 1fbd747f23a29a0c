"""/api/service/assets: session assets the calling service may see, with optional access tokens and URLs."""

from __future__ import annotations

from typing import Any

from flask_restx import inputs, reqparse
from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.asset_links import assets_json
from teraserver.api.common import Answer, ClientError, json_dict, require_int
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.service_access import ServiceAccess, service_access
from teraserver.service_auth import current_service

get_parser = reqparse.RequestParser()
for _name, _help in (
    ("id_device", "Assets of that device"),
    ("id_session", "Assets of that session"),
    ("id_participant", "Assets of that participant"),
    ("id_user", "Assets of that user"),
    ("id_creator_service", "Assets created by that service"),
    ("id_creator_user", "Assets created by that user"),
    ("id_creator_participant", "Assets created by that participant"),
    ("id_creator_device", "Assets created by that device"),
    ("id_asset", "ID of the asset"),
):
    get_parser.add_argument(_name, type=int, location="args", help=_help)
get_parser.add_argument("service_uuid", type=str, location="args", help="Assets owned by that service")
get_parser.add_argument("with_urls", type=inputs.boolean, location="args", help="Add access token and URLs")
get_parser.add_argument("with_only_token", type=inputs.boolean, location="args", help="Only uuids and tokens")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("uuid", type=str, location="args", required=True, help="UUID of the asset to delete")


def select_assets(access: ServiceAccess, args: dict[str, Any]) -> list[TeraAsset]:
    """The first given selector decides (upstream's order; as upstream, 0 and "" count as absent); its subject
    must be accessible (403 otherwise)."""
    if not any(args.values()):
        raise ClientError("No arguments specified")
    if args["id_device"]:
        _require(args["id_device"] in access.devices_ids, "Device")
        return TeraAsset.get_assets_for_device(args["id_device"])
    if args["id_session"]:
        _require(args["id_session"] in access.sessions_ids, "Session")
        return TeraAsset.get_assets_for_session(args["id_session"])
    if args["id_participant"]:
        _require(args["id_participant"] in access.participants_ids, "Participant")
        return TeraAsset.get_assets_for_participant(args["id_participant"])
    if args["id_user"]:
        _require(args["id_user"] in access.users_ids, "User")
        return TeraAsset.get_assets_for_user(args["id_user"])
    if args["id_creator_service"]:
        # Upstream lists every asset that service created, in any session; we keep those of sessions the caller
        # can read (upstream's own rule for an asset by id): the others are other projects' data.
        assets = TeraAsset.get_assets_created_by_service(args["id_creator_service"])
        return [asset for asset in assets if asset.id_session in access.sessions_ids]
    if args["id_creator_user"]:
        _require(args["id_creator_user"] in access.users_ids, "User")
        return TeraAsset.get_assets_created_by_user(args["id_creator_user"])
    if args["id_creator_participant"]:
        _require(args["id_creator_participant"] in access.participants_ids, "Participant")
        return TeraAsset.get_assets_created_by_participant(args["id_creator_participant"])
    if args["id_creator_device"]:
        _require(args["id_creator_device"] in access.devices_ids, "Device")
        return TeraAsset.get_assets_created_by_device(args["id_creator_device"])
    if args["id_asset"]:
        # As upstream: the asset if its session is readable, else an empty list.
        asset = TeraAsset.get_asset_by_id(args["id_asset"])
        return [asset] if asset is not None and asset.id_session in access.sessions_ids else []
    if args["service_uuid"]:
        # Upstream lists every asset owned by that service; we keep those of readable sessions (as above).
        assets = TeraAsset.get_assets_owned_by_service(args["service_uuid"])
        return [asset for asset in assets if asset.id_session in access.sessions_ids]
    raise ClientError("Missing argument")  # only flags (with_urls, with_only_token) were given


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise ClientError(f"{what} access denied", 403)


def owner_ids(access: ServiceAccess, values: dict[str, Any]) -> None:
    """Optional participant_uuid / user_uuid / device_uuid owners become ids: an unknown one is 400 (as
    upstream), one the caller cannot access 403 (upstream does not check access)."""
    for what, finder, allowed in (
        ("participant", TeraParticipant.get_participant_by_uuid, lambda: access.participants_ids),
        ("user", TeraUser.get_user_by_uuid, lambda: access.users_ids),
        ("device", TeraDevice.get_device_by_uuid, lambda: access.devices_ids),
    ):
        uuid_field, id_field = f"{what}_uuid", f"id_{what}"
        if uuid_field in values:
            owner = finder(str(values.pop(uuid_field)))
            if owner is None:
                raise ClientError(f"Invalid {what}")
            if getattr(owner, id_field) not in allowed():
                raise ClientError(f"No access to {uuid_field}", 403)
            values[id_field] = getattr(owner, id_field)


class ServiceQueryAssets(ServiceResource):
    @ns.doc(
        description="Assets (a list), selected by one of the ID parameters.",
        responses={200: "Success", 400: "No selector", 403: "Access denied"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get assets."""
        args = get_parser.parse_args()
        return assets_json(
            select_assets(service_access(), args),
            current_service().service_uuid,
            with_urls=bool(args["with_urls"]),
            with_only_token=bool(args["with_only_token"]),
        )

    @ns.expect(bodies.ASSET)
    @ns.doc(
        description="Create (id_asset 0, owned by the caller) or update an asset of an accessible session.",
        responses={200: "Success - list with the asset", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Answer | list[dict[str, Any]]:
        """Create or update an asset."""
        values = json_dict("asset")
        id_asset = require_int(values, "id_asset")
        access = service_access()
        if id_asset == 0 or "id_session" in values:
            if id_asset == 0 and "id_session" not in values:
                raise ClientError("Unknown session")
            _require(require_int(values, "id_session") in access.sessions_ids, "Session")
        owner_ids(access, values)
        if id_asset == 0:
            for field in ("asset_name", "asset_type"):
                if not values.get(field):
                    raise ClientError(f"Missing {field}")
            values.pop("id_asset")
            values["asset_service_uuid"] = current_service().service_uuid
            asset = TeraAsset()
            asset.from_json(values)
            TeraAsset.insert(asset)
        else:
            existing = TeraAsset.get_asset_by_id(id_asset)
            _require(existing is not None and existing.id_session in access.sessions_ids, "Asset")
            if "asset_service_uuid" in values:
                values["asset_service_uuid"] = current_service().service_uuid  # as upstream: always the caller
            TeraAsset.update(id_asset, values)
            asset = TeraAsset.get_asset_by_id(id_asset)
        return [asset.to_json()]

    @ns.doc(description="Delete an asset.", responses={200: "Success", 400: "Unknown asset", 403: "Forbidden"})
    @ns.expect(delete_parser)
    def delete(self) -> Answer:
        """Delete an asset."""
        asset = TeraAsset.get_asset_by_uuid(delete_parser.parse_args()["uuid"])
        if asset is None:
            raise ClientError("Unknown asset")
        _require(asset.id_session in service_access().sessions_ids, "Asset")
        TeraAsset.delete(asset.id_asset)
        return "", 200
