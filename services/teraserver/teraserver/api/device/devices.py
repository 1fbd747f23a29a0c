"""/api/device/devices (GET, POST) and /api/device/participants (GET): the calling device's own data.

Upstream's behaviour, kept here:

* GET /devices: `device_info` (the device's minimal JSON), `participants_info` (name and uuid of each associated
  participant) and `session_types_info` (minimal JSON of the session types of the device's projects).
* POST /devices `{"device": {...}}`: a device may only change its own `device_config`; every other field is
  dropped. No `device` object: 400 "Missing device schema"; no `device_config`: 400 "Missing config"; an
  `id_device` other than its own: 403 "Forbidden" (a missing id means its own). Answers a list with the device's
  full JSON.
* GET /participants: for an onlineable device only, `participants_info` with the full JSON of each associated
  participant; any other device gets 403 "Invalid request".

Difference: a `device_config` the database refuses (e.g. an object instead of a string) is 400 with the reason
(upstream: 500 "Database error").
"""

from __future__ import annotations

from typing import Any

from opentera.db.models.TeraDevice import TeraDevice

from teraserver import context, queries
from teraserver.api.common import ClientError, forbidden, json_body
from teraserver.api.device.access import DeviceAccess
from teraserver.api.device.login import participants_info, session_types_info
from teraserver.api.device.namespace import ns
from teraserver.api.resources import DeviceResource
from teraserver.database import reads_without_transaction
from teraserver.device_auth import current_device

TOKEN_PARAM = {"token": "Device token (or Authorization: OpenTera <token>)"}
UPDATABLE_FIELDS = ("id_device", "device_config")


class DeviceQueryDevices(DeviceResource):
    @ns.doc(
        description="The calling device's information, its participants and its session types.",
        responses={200: "Success", 401: "Unauthorized"},
        params=TOKEN_PARAM,
    )
    @reads_without_transaction
    def get(self) -> Any:
        """Get the connected device's information."""
        return devices_answer(current_device())

    @ns.doc(
        description='Update the calling device: {"device": {"device_config": ...}}; only device_config can change.',
        responses={
            200: "Success - a list with the device",
            400: "Missing device or device_config, or a value the database refuses",
            401: "Unauthorized",
            403: "Another device's id_device",
        },
        params=TOKEN_PARAM,
    )
    def post(self) -> Any:
        """Update the connected device's configuration."""
        device = current_device()
        body = json_body()
        if "device" not in body:
            raise ClientError("Missing device schema")
        posted = body["device"]
        if not isinstance(posted, dict):
            raise ClientError("Invalid device: expected an object")
        posted = dict(posted)
        posted.setdefault("id_device", device.id_device)
        if "device_config" not in posted:
            raise ClientError("Missing config")
        if posted["id_device"] != device.id_device:
            raise forbidden()
        values = {name: posted[name] for name in UPDATABLE_FIELDS}
        TeraDevice.update(device.id_device, values)
        return [TeraDevice.get_device_by_id(device.id_device).to_json()]


class DeviceQueryParticipants(DeviceResource):
    @ns.doc(
        description="Full information on the calling device's participants (onlineable devices only).",
        responses={200: "Success", 401: "Unauthorized", 403: "The device is not onlineable"},
        params=TOKEN_PARAM,
    )
    @reads_without_transaction
    def get(self) -> Any:
        """Get the connected device's participants."""
        return participants_answer(current_device())


def devices_answer(device: TeraDevice) -> dict[str, Any]:
    """GET /devices' answer to `device` (also api/direct.py's)."""
    access = DeviceAccess(device)
    return {
        "device_info": device.to_json(minimal=True),
        "participants_info": participants_info(access),
        "session_types_info": session_types_info(access),
    }


def participants_answer(device: TeraDevice) -> dict[str, Any]:
    """GET /participants' answer to `device` (also api/direct.py's)."""
    if not device.device_onlineable:
        raise ClientError("Invalid request", 403)
    participants = queries.device_participants(device.id_device) if context.fast_paths() else device.device_participants
    return {"participants_info": [participant.to_json(minimal=False) for participant in participants]}
