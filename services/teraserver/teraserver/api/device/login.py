"""GET /api/device/login and GET /api/device/logout.

Upstream's login answer: `device_info` (the device's full JSON, plus the names of its type and subtype),
`participants_info` (name and uuid of each associated participant), `session_types_info` (minimal JSON of the
session types of the device's projects) and, for an onlineable device only, `websocket_url`. Before handing out
that URL, upstream asks its UserManager module (RPC `online_devices`) whether the device is already connected;
we read the shared presence state the UserManager answers from. Already connected: 403 "Device already logged
in." and an ERROR login event (status already logged in). Upstream's other refusal, 403 "Unable to get online
devices." when the RPC goes unanswered, has no counterpart: reading Redis either answers or fails the request.
The login also records `device_lastonline` (even when it is then refused, as upstream). Logout asks the device's
websocket to close (a CMD_CLIENT_DISCONNECT command on its TwistedModule topic) and answers 200 "Device logged
out.".
"""

from __future__ import annotations

import logging
from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraDevice import TeraDevice
from sqlalchemy.orm.exc import StaleDataError

from teraserver import context, login_events, presence
from teraserver.api.common import ClientError, websocket_url
from teraserver.api.device.access import DeviceAccess
from teraserver.api.device.namespace import ns
from teraserver.api.resources import DeviceResource
from teraserver.device_auth import current_device
from teraserver.realtime import messages

log = logging.getLogger("teraserver.api.device.login")

# Upstream declares only `token` (read by the authentication) and parses strictly: other arguments are a 400.
token_parser = reqparse.RequestParser()
token_parser.add_argument("token", type=str, help="Device token")


def record_last_online(device: Any) -> None:
    """Best effort, like the user login: of two concurrent logins of one device, the loser's timestamp (a row
    version conflict) is dropped instead of failing the login."""
    try:
        device.update_last_online()
    except StaleDataError:
        TeraDevice.db().session.rollback()
        log.info("last-online time not recorded: concurrent update", extra={"device_uuid": device.device_uuid})


def participants_info(access: DeviceAccess) -> list[dict[str, Any]]:
    return [
        {"participant_name": participant.participant_name, "participant_uuid": participant.participant_uuid}
        for participant in access.participants()
    ]


def session_types_info(access: DeviceAccess) -> list[dict[str, Any]]:
    return [session_type.to_json(minimal=True) for session_type in access.session_types()]


class DeviceLogin(DeviceResource):
    @ns.doc(
        description="Login a device with its token: device, participants and session types information; a "
        "websocket URL for an onlineable device.",
        responses={200: "Success", 401: "Unauthorized", 403: "Device already logged in"},
        params={"token": "Device token (or Authorization: OpenTera <token>)"},
    )
    @ns.expect(token_parser)
    def get(self) -> Any:
        """Device login."""
        token_parser.parse_args(strict=True)
        device = current_device()
        record_last_online(device)

        info = device.to_json(minimal=False)
        if device.device_type:
            info["device_type"] = device.device_type.device_type_name
        if device.device_subtype:
            info["device_subtype"] = device.device_subtype.device_subtype_name
        access = DeviceAccess(device)
        response: dict[str, Any] = {
            "device_info": info,
            "participants_info": participants_info(access),
            "session_types_info": session_types_info(access),
        }
        if device.device_onlineable:
            if presence.is_online(context.redis_client(), "device", device.device_uuid):
                log.info("device login refused: already online", extra={"device_uuid": device.device_uuid})
                login_events.send(
                    login_events.ALREADY_LOGGED_IN, login_type=login_events.TOKEN, device_uuid=device.device_uuid
                )
                raise ClientError("Device already logged in.", 403)
            response["websocket_url"] = websocket_url("device", device.device_uuid)
        log.info("device logged in", extra={"device_uuid": device.device_uuid})
        # As upstream, a device login is a login event too (its token is its credential).
        login_events.send(login_events.SUCCESS, login_type=login_events.TOKEN, device_uuid=device.device_uuid)
        return response


class DeviceLogout(DeviceResource):
    @ns.doc(
        description="Device logout: its websocket, if any, is asked to close.",
        responses={200: "Success", 401: "Unauthorized"},
        params={"token": "Device token (or Authorization: OpenTera <token>)"},
    )
    @ns.expect(token_parser)
    def get(self) -> Any:
        """Device logout."""
        device_uuid = current_device().device_uuid
        messages.send_disconnect(context.redis_client(), device_uuid)
        log.info("device logged out", extra={"device_uuid": device_uuid})
        return "Device logged out.", 200
