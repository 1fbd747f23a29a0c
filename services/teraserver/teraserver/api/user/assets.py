"""/api/user/assets: GET assets the user may see (with access tokens and URLs on request); POST and DELETE
answer 501 as upstream (asset creation and deletion go through the owning service)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g
from flask_restx import inputs
from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraUser import TeraUser

from teraserver import asset_rows
from teraserver.api.asset_links import assets_json
from teraserver.api.common import ClientError, forbidden
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.database import reads_without_transaction
from teraserver.user_access import UserAccess

NOT_HERE = "Asset information update, creation and deletion must be done directly into a service"

get_parser = QueryParser()
for _name, _help in (
    ("id_asset", "ID of the asset"),
    ("id_device", "Assets of that device"),
    ("id_session", "Assets of that session"),
    ("id_participant", "Assets of that participant"),
    ("id_user", "Assets of that user"),
    ("id_creator_service", "Assets created by that service"),
    ("id_creator_user", "Assets created by that user"),
    ("id_creator_participant", "Assets created by that participant"),
    ("id_creator_device", "Assets created by that device"),
):
    get_parser.add_argument(_name, type=int, location="args", help=_help)
get_parser.add_argument("asset_uuid", type=str, location="args", help="UUID of the asset")
get_parser.add_argument("service_uuid", type=str, location="args", help="Assets owned by that service")
get_parser.add_argument("with_urls", type=inputs.boolean, location="args", help="Add access token and URLs")
get_parser.add_argument("with_only_token", type=inputs.boolean, location="args", help="Only uuids and tokens")
get_parser.add_argument("full", type=inputs.boolean, location="args", help="Add session, owner... names")


class AssetScope:
    """Session visibility of one user, each session checked once per request."""

    def __init__(self, access: UserAccess) -> None:
        self.access = access
        self._sessions: dict[int, bool] = {}

    def session_visible(self, id_session: int | None) -> bool:
        if id_session is None:
            return False
        if id_session not in self._sessions:
            session = TeraSession.get_session_by_id(id_session)
            self._sessions[id_session] = session is not None and self.access.can_access_session(session)
        return self._sessions[id_session]


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise forbidden(f"{what} access denied")


def select_assets(access: UserAccess, args: dict[str, Any]) -> list[TeraAsset]:
    """The first given selector decides (upstream's order); its subject must be reachable (403 otherwise). One
    asset (id or uuid) needs its session reachable and its owner service visible; service_uuid lists that
    service's assets in visible sessions (UserAccess)."""
    scope = AssetScope(access)
    if args["id_device"]:
        _require(args["id_device"] in access.accessible_devices_ids(), "Device")
        return asset_rows.assets_of("id_device", args["id_device"])
    if args["id_session"]:
        _require(scope.session_visible(args["id_session"]), "Session")
        return TeraAsset.get_assets_for_session(args["id_session"])
    if args["id_participant"]:
        _require(args["id_participant"] in access.accessible_participants_ids(), "Participant")
        return asset_rows.assets_of("id_participant", args["id_participant"])
    if args["id_user"]:
        _require(args["id_user"] in access.accessible_users_ids(), "User")
        return asset_rows.assets_of("id_user", args["id_user"])
    if args["id_creator_service"]:
        _require(args["id_creator_service"] in access.accessible_services_ids(), "Service")
        return TeraAsset.get_assets_created_by_service(args["id_creator_service"])
    if args["id_creator_user"]:
        _require(args["id_creator_user"] in access.accessible_users_ids(), "User")
        return TeraAsset.get_assets_created_by_user(args["id_creator_user"])
    if args["id_creator_participant"]:
        _require(args["id_creator_participant"] in access.accessible_participants_ids(), "Participant")
        return TeraAsset.get_assets_created_by_participant(args["id_creator_participant"])
    if args["id_creator_device"]:
        _require(args["id_creator_device"] in access.accessible_devices_ids(), "Device")
        return TeraAsset.get_assets_created_by_device(args["id_creator_device"])
    if args["id_asset"]:
        asset = TeraAsset.get_asset_by_id(args["id_asset"])
        return [asset] if access.asset_visible(asset) else []
    if args["asset_uuid"]:
        asset = TeraAsset.get_asset_by_uuid(args["asset_uuid"])
        return [asset] if access.asset_visible(asset) else []
    if args["service_uuid"]:
        return access.assets_of_service(args["service_uuid"])
    raise ClientError("Missing argument")


def assets_answer(
    user: TeraUser,
    args: dict[str, Any],
    select: Callable[[UserAccess, dict[str, Any]], list[TeraAsset]] = select_assets,
) -> list[dict[str, Any]]:
    """The GET's answer to `user` for the parsed `args`, the assets chosen by `select` (api/direct.py gives its
    own, reading the access check with the assets)."""
    if not any(args.values()):  # upstream tells "nothing at all" apart from "flags but no selector"
        raise ClientError("No arguments specified")
    return assets_json(
        select(UserAccess(user), args),
        user.user_uuid,
        with_urls=bool(args["with_urls"]),
        with_only_token=bool(args["with_only_token"]),
        minimal=not args["full"],
    )


class UserQueryAssets(UserResource):
    @ns.doc(
        description="Assets (a list), selected by one of the ID/UUID parameters. with_urls adds an access token "
        "and the owner service's URLs, with_only_token answers uuids and tokens only, full adds names.",
        responses={200: "Success", 400: "No selector", 403: "Access denied"},
    )
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Any:
        """Get assets."""
        return assets_answer(g.current_user, get_parser.parse_args(strict=True))

    @ns.doc(description="Not here: assets are created through their service.", responses={501: "Not implemented"})
    def post(self) -> Any:
        """Create / update an asset (not here)."""
        raise ClientError(NOT_HERE, 501)

    @ns.doc(description="Not here: assets are deleted through their service.", responses={501: "Not implemented"})
    def delete(self) -> Any:
        """Delete an asset (not here)."""
        raise ClientError(NOT_HERE, 501)
