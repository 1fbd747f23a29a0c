"""/api/service/devices: one device (GET) and device creation / update (POST)."""

from __future__ import annotations

from typing import Any

from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceSubType import TeraDeviceSubType
from opentera.db.models.TeraDeviceType import TeraDeviceType

from teraserver.api.common import Answer, ClientError, json_dict, optional_int, require_int
from teraserver.api.resources import ServiceResource
from teraserver.api.service import bodies
from teraserver.api.service.namespace import ns
from teraserver.service_access import service_access

get_parser = reqparse.RequestParser()
get_parser.add_argument("device_uuid", type=str, location="args", help="UUID of the device")
get_parser.add_argument("id_device", type=int, location="args", help="ID of the device")
get_parser.add_argument("with_device_type", type=inputs.boolean, location="args", help="Add device_type")
get_parser.add_argument("with_device_subtype", type=inputs.boolean, location="args", help="Add device_subtype")
get_parser.add_argument("with_device_assets", type=inputs.boolean, location="args", help="Add device_assets")


def device_json(device: TeraDevice, args: dict[str, Any]) -> dict[str, Any]:
    result = device.to_json()
    if args["with_device_type"] and device.device_type is not None:
        result["device_type"] = device.device_type.to_json(minimal=True)
    if args["with_device_subtype"]:
        subtype = device.device_subtype
        result["device_subtype"] = subtype.to_json(minimal=True) if subtype is not None else None
    if args["with_device_assets"]:
        result["device_assets"] = [asset.to_json(minimal=True) for asset in device.device_assets]
    return result


def check_type_and_subtype(values: dict[str, Any]) -> None:
    """Upstream's rule (type >= 1, subtype >= 0 with 0 = none), plus: they must exist."""
    if "id_device_type" in values:
        id_type = require_int(values, "id_device_type")
        if id_type < 1 or TeraDeviceType.get_device_type_by_id(id_type) is None:
            raise ClientError("Unknown device type", 403)
    id_subtype = optional_int(values, "id_device_subtype")
    if id_subtype is not None:
        if id_subtype < 0:
            raise ClientError("Unknown device subtype", 403)
        if id_subtype == 0:
            values["id_device_subtype"] = None
        elif TeraDeviceSubType.get_device_subtype_by_id(id_subtype) is None:
            raise ClientError("Unknown device subtype", 403)


class ServiceQueryDevices(ServiceResource):
    @ns.doc(
        description="Return one device (a single object).",
        responses={200: "Success", 400: "Missing parameter", 403: "Forbidden"},
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | dict[str, Any]:
        """Get a device by uuid or id."""
        args = get_parser.parse_args()
        # As upstream: 0 and "" count as absent, and an unknown device gets the same 400 as no selector.
        if args["device_uuid"]:
            device = TeraDevice.get_device_by_uuid(args["device_uuid"])
        elif args["id_device"]:
            device = TeraDevice.get_device_by_id(args["id_device"])
        else:
            device = None
        if device is None:
            raise ClientError("Missing arguments")
        if device.id_device not in service_access().devices_ids:
            raise ClientError("Forbidden", 403)
        return device_json(device, args)

    @ns.expect(bodies.DEVICE)
    @ns.doc(
        description="Create (id_device 0) or update a device.",
        responses={200: "Success", 400: "Bad body", 403: "Unknown type/subtype or device not accessible"},
    )
    def post(self) -> Answer | dict[str, Any]:
        """Create or update a device."""
        values = json_dict("device")
        id_device = require_int(values, "id_device")
        check_type_and_subtype(values)
        if id_device == 0:
            if not values.get("device_name") or "id_device_type" not in values:
                raise ClientError("Missing fields: device_name and id_device_type are required")
            device = TeraDevice()
            device.device_name = values["device_name"]
            device.id_device_type = values["id_device_type"]
            device.id_device_subtype = values.get("id_device_subtype")
            # Upstream's defaults for a device created by a service; insert() makes its token.
            device.device_enabled = True
            device.device_onlineable = True
            TeraDevice.insert(device)
        else:
            if id_device not in service_access().devices_ids:
                raise ClientError("Forbidden", 403)
            TeraDevice.update(id_device, values)
            device = TeraDevice.get_device_by_id(id_device)
        return device.to_json(minimal=False)
