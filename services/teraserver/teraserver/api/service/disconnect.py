"""GET /api/service/disconnect: close the websocket of a user, participant or device."""

from __future__ import annotations

from flask_restx import reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraUser import TeraUser

from teraserver import context
from teraserver.api.common import Answer, ClientError
from teraserver.api.resources import ServiceResource
from teraserver.api.service.namespace import ns
from teraserver.realtime import messages
from teraserver.service_access import service_access

get_parser = reqparse.RequestParser()
for _name in ("id_user", "id_participant", "id_device"):
    get_parser.add_argument(_name, type=int, location="args", help=f"{_name} to disconnect")
for _name in ("user_uuid", "participant_uuid", "device_uuid"):
    get_parser.add_argument(_name, type=str, location="args", help=f"{_name} to disconnect")


def target_uuid(args: dict) -> str:
    """uuid of the accessible entity named by the first given parameter (403 if not accessible)."""
    access = service_access()
    for id_name, uuid_name, model, finder_by_id, finder_by_uuid, allowed in (
        ("id_user", "user_uuid", "user", TeraUser.get_user_by_id, TeraUser.get_user_by_uuid, access.users_ids),
        (
            "id_participant",
            "participant_uuid",
            "participant",
            TeraParticipant.get_participant_by_id,
            TeraParticipant.get_participant_by_uuid,
            access.participants_ids,
        ),
        (
            "id_device",
            "device_uuid",
            "device",
            TeraDevice.get_device_by_id,
            TeraDevice.get_device_by_uuid,
            access.devices_ids,
        ),
    ):
        if args[id_name] is None and not args[uuid_name]:
            continue
        row = finder_by_id(args[id_name]) if args[id_name] is not None else finder_by_uuid(args[uuid_name])
        if row is None or getattr(row, id_name) not in allowed:
            raise ClientError("Forbidden", 403)
        return getattr(row, f"{model}_uuid")
    raise ClientError(
        "Missing parameter: one of id_user, user_uuid, id_participant, participant_uuid, id_device, device_uuid"
    )


class ServiceQueryDisconnect(ServiceResource):
    @ns.doc(
        description="Disconnect a user, participant or device from its websocket.",
        responses={200: "Success", 400: "Missing parameter", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer:
        """Disconnect a client."""
        uuid = target_uuid(get_parser.parse_args())
        messages.send_disconnect(context.redis_client(), uuid)
        return "Success", 200
