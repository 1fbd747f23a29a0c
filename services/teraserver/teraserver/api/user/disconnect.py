"""GET /api/user/disconnect: close the websocket of a user, participant or device the user administers.

Upstream's rules, as we implement them: the first parameter set, in the order id_user, user_uuid,
id_participant, participant_uuid, id_device, device_uuid, names the target; none: 400 "Invalid request". The
target must be among the users of the projects the user administers (403 "Forbidden"), the participants of
those projects, or the devices of the sites the user administers (superadmins: anyone). Oneself: 400 "Use
Logout instead to disconnect current user". Then the server's disconnect command goes to the target's
websocket topic (the message /api/service/disconnect sends), which asks an open websocket of the target to
close, and the answer is "Success", whether or not the target is connected (as upstream).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant

from teraserver import context
from teraserver.api.common import ClientError, forbidden
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.realtime import messages
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_user", type=int, location="args", help="ID of the user to disconnect")
get_parser.add_argument("user_uuid", type=str, location="args", help="UUID of the user to disconnect")
get_parser.add_argument("id_participant", type=int, location="args", help="ID of the participant to disconnect")
get_parser.add_argument("participant_uuid", type=str, location="args", help="UUID of the participant to disconnect")
get_parser.add_argument("id_device", type=int, location="args", help="ID of the device to disconnect")
get_parser.add_argument("device_uuid", type=str, location="args", help="UUID of the device to disconnect")


def target_uuid(access: UserAccess, args: dict[str, Any]) -> str:
    """uuid of the target the first given parameter names; 403 when the user does not administer it."""
    if args["id_user"] or args["user_uuid"]:
        users = access.accessible_users(admin_only=True)
        if args["id_user"]:
            user = next((u for u in users if u.id_user == args["id_user"]), None)
        else:
            user = next((u for u in users if u.user_uuid == args["user_uuid"]), None)
        if user is None:
            raise forbidden()
        if user.user_uuid == g.current_user.user_uuid:
            raise ClientError("Use Logout instead to disconnect current user")
        return user.user_uuid
    if args["id_participant"] or args["participant_uuid"]:
        visible = set(access.accessible_participants_ids(admin_only=True))
        if args["id_participant"]:
            participant = TeraParticipant.get_participant_by_id(args["id_participant"])
        else:
            participant = TeraParticipant.get_participant_by_uuid(args["participant_uuid"])
        if participant is None or participant.id_participant not in visible:
            raise forbidden()
        return participant.participant_uuid
    if args["id_device"] or args["device_uuid"]:
        visible = set(access.accessible_devices_ids(admin_only=True))
        if args["id_device"]:
            device = TeraDevice.get_device_by_id(args["id_device"])
        else:
            device = TeraDevice.get_device_by_uuid(args["device_uuid"])
        if device is None or device.id_device not in visible:
            raise forbidden()
        return device.device_uuid
    raise ClientError("Invalid request")


class UserQueryDisconnect(UserResource):
    @ns.doc(
        description="Disconnect a user, participant or device from the server (use logout for oneself).",
        responses={
            200: "Success - the target will be disconnected",
            400: "No target, or oneself",
            401: "Unauthorized",
            403: "Target not administered by the user",
        },
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Force a user, participant or device off the server."""
        args = get_parser.parse_args(strict=True)
        uuid = target_uuid(UserAccess(g.current_user), args)
        messages.send_disconnect(context.redis_client(), uuid)
        return "Success", 200
