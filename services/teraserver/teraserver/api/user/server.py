"""/api/user/server/settings (GET: server uuid and/or device registration key) and /api/user/versions
(GET: server and known client versions; POST: superadmins add or replace one client's versions)."""

from __future__ import annotations

import json
from typing import Any

from flask import g, request
from flask_restx import inputs, reqparse
from opentera.db.models.TeraServerSettings import TeraServerSettings
from opentera.utils.TeraVersions import ClientVersions, TeraVersions

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns

CLIENT_VERSION_FIELDS = set(ClientVersions().to_dict())

settings_parser = reqparse.RequestParser()
settings_parser.add_argument("uuid", type=inputs.boolean, location="args", help="Add server_uuid")
settings_parser.add_argument(
    "device_register_key", type=inputs.boolean, location="args", help="Add device_register_key"
)


class UserQueryServerSettings(UserResource):
    @ns.doc(
        description="Server settings asked for: server_uuid (uuid=true), "
        "device_register_key (device_register_key=true)",
        responses={200: "Success - an object with the requested settings"},
    )
    @ns.expect(settings_parser)
    def get(self) -> Any:
        """Get server settings."""
        args = settings_parser.parse_args(strict=True)
        settings: dict[str, Any] = {}
        if args["uuid"]:
            settings["server_uuid"] = TeraServerSettings.get_server_setting_value(TeraServerSettings.ServerUUID)
        if args["device_register_key"]:
            settings["device_register_key"] = TeraServerSettings.get_server_setting_value(
                TeraServerSettings.ServerDeviceRegisterKey
            )
        return settings


def stored_versions() -> dict[str, Any]:
    """The ServerVersions setting written at boot; this package's versions when the row is missing."""
    stored = TeraServerSettings.get_server_setting_value(TeraServerSettings.ServerVersions)
    return json.loads(stored) if stored else TeraVersions().to_dict()


def posted_client_versions() -> ClientVersions | None:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ClientError("Invalid JSON body: expected an object")
    if "ClientVersions" not in body:
        return None
    data = body["ClientVersions"]
    if not isinstance(data, dict):
        raise ClientError("Invalid ClientVersions: expected an object")  # upstream: 404 "Wrong ClientVersions"
    unknown = sorted(set(data) - CLIENT_VERSION_FIELDS)
    if unknown:
        raise ClientError(f"Unknown ClientVersions fields: {', '.join(unknown)}")
    for field, value in data.items():
        if value is not None and not isinstance(value, str):
            raise ClientError(f"Invalid ClientVersions.{field}: {value!r} is not a string")
    if not data.get("client_name"):
        raise ClientError("Missing ClientVersions.client_name")
    client = ClientVersions()
    client.from_dict(data)
    return client


class UserQueryVersions(UserResource):
    @ns.doc(description="Server and client versions", responses={200: "Success"})
    def get(self) -> Any:
        """Get versions."""
        return stored_versions()

    @ns.doc(
        description='Superadmin: add or replace one client\'s versions, {"ClientVersions": {client_name, '
        "client_description, client_version, client_documentation_url, client_*_download_url}}",
        responses={200: "Success - all versions", 400: "Bad body", 403: "Not superadmin"},
    )
    def post(self) -> Any:
        """Update client versions."""
        if not g.current_user.user_superadmin:
            raise forbidden("Not authorized")
        client = posted_client_versions()
        versions = TeraVersions()
        versions.load_from_db()
        if client is not None:
            versions.set_client_version_with_name(client.client_name, client)
            with database_write("versions"):
                versions.save_to_db()
        return versions.to_dict()
