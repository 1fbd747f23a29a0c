"""/api/participant/devices: devices linked to the calling participant (t_devices_participants).

Upstream: GET needs role `full` (a static token is 403); arguments `id_device` and `list` (minimal JSON),
parsed strictly; the answer is always a list (empty when the device is not linked to the participant).
"""

from __future__ import annotations

from typing import Any

from flask_restx import inputs
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceParticipant import TeraDeviceParticipant
from opentera.db.models.TeraParticipant import TeraParticipant
from sqlalchemy.orm import lazyload

from teraserver import context, queries
from teraserver.api.participant.namespace import ns
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import ParticipantResource
from teraserver.database import reads_without_transaction
from teraserver.participant_auth import current_participant

get_parser = QueryParser()
get_parser.add_argument("id_device", type=int, location="args", help="ID of the device to query")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information only")


class ParticipantQueryDevices(ParticipantResource):
    @ns.doc(
        description="Devices associated with the participant",
        responses={200: "Success", 400: "Unknown or invalid argument", 403: "Static token (limited access)"},
    )
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Any:
        """Get the participant's devices."""
        return devices_answer(current_participant(), get_parser.parse_args(strict=True))


def devices_answer(participant: TeraParticipant, args: dict[str, Any]) -> list[dict[str, Any]]:
    """The GET's answer to `participant` for the parsed `args` (also api/direct.py's)."""
    if context.fast_paths():
        return devices_json(queries.participant_devices(participant.id_participant, args["id_device"] or None), args)
    # to_json() does not read the devices' projects, which the model would otherwise load (selectin).
    query = TeraDevice.query.options(lazyload(TeraDevice.device_projects))
    query = query.join(TeraDeviceParticipant, TeraDeviceParticipant.id_device == TeraDevice.id_device)
    query = query.filter(TeraDeviceParticipant.id_participant == participant.id_participant)
    if args["id_device"]:
        query = query.filter(TeraDevice.id_device == args["id_device"])
    return devices_json(query.order_by(TeraDevice.id_device).all(), args)


def devices_json(devices: list[TeraDevice], args: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's list for these devices (api/direct.py reads them with the token check)."""
    return [device.to_json(minimal=bool(args["list"])) for device in devices]
