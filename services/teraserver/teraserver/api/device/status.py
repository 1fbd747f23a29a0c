"""POST /api/device/status: the calling device reports its status `{"status": {...}, "timestamp": <number>}`.

Upstream's behaviour, kept here: both fields are required (400 "Missing arguments"). The server does not store
the status itself: it calls the UserManager module's RPC `update_device_status(device_uuid, json.dumps(status),
timestamp)` on `module.TeraServer.UserManagerModule.rpc`. The UserManager records the status of an **online**
device (connected by websocket), publishes a DeviceEvent of type DEVICE_STATUS_CHANGED (with `device_name` and
`device_status`) on `module.TeraServer.UserManagerModule.events`, and answers `{uuid, status, timestamp}`,
which becomes the HTTP answer. For an offline device it answers null, and the endpoint answers 403
"Status update forbidden on offline device." (also when the UserManager does not answer at all).

Here the call goes through Redis to this server's own UserManager responder (`rpc_server.py`). Websockets are
not implemented yet, so no device is ever online: every well-formed status post is answered 403, as upstream
answers a device that has no websocket open. When presence arrives, only the responder has to change.
"""

from __future__ import annotations

import json
from typing import Any

from teraserver import context, rpc
from teraserver.api.common import ClientError, json_body
from teraserver.api.device.namespace import ns
from teraserver.api.resources import DeviceResource
from teraserver.device_auth import current_device
from teraserver.realtime.messages import USER_MANAGER_MODULE

OFFLINE = "Status update forbidden on offline device."

status_schema = ns.schema_model(
    "device_status",
    {
        "type": "object",
        "properties": {"status": {"type": "object"}, "timestamp": {"type": "number"}},
        "required": ["status", "timestamp"],
    },
)


class DeviceQueryStatus(DeviceResource):
    @ns.doc(
        description="Set the device status (sent to the UserManager, which only accepts it from an online device).",
        responses={
            200: "Success - {uuid, status, timestamp}",
            400: "Missing status or timestamp",
            401: "Unauthorized",
            403: "The device is offline",
        },
        params={"token": "Device token (or Authorization: OpenTera <token>)"},
    )
    @ns.expect(status_schema)
    def post(self) -> Any:
        """Update the connected device's status."""
        body = json_body()
        if "status" not in body or "timestamp" not in body:
            raise ClientError("Missing arguments")
        reply = rpc.call_module(
            context.redis_client(),
            USER_MANAGER_MODULE,
            "update_device_status",
            current_device().device_uuid,
            json.dumps(body["status"]),
            body["timestamp"],
        )
        if reply is rpc.NO_REPLY or reply.return_value is None:
            raise ClientError(OFFLINE, 403)
        return reply.return_value
