"""/api/user/devicetypes: GET device types, POST create/update, DELETE (superadmins write).

Upstream's rules, as we implement them:

* GET: every authenticated user reads every device type (upstream's accessible types are all types). With
  neither `id_device_type` nor `device_type_key`: all of them. An id or key that names no type is 403
  "Unexisting ID/Forbidden access"; `id_device_type=0` (or an empty key) selects nothing: an empty list. The id
  wins over the key. `list` is accepted; a device type has no shorter form.
* POST {"device_type": {...}}: "Missing device type" / "Missing id_device_type" (also when null) are 400, then
  anyone but a superadmin gets 403 "Forbidden". id 0 creates (unknown fields ignored), an id > 0 updates
  ("Invalid device type" 400 when it names no type). Answer: [the type].
* DELETE by `id` or by `device_type_key` (not both: "Tried to delete with 2 parameters"; neither: "Missing
  arguments"); "Device type not found" 400 comes before 403 "Forbidden" for non-superadmins. Answer: "Device
  type successfully deleted".

Deviations (as elsewhere in this tree): a type still used by devices, a key already taken, a wrong value or an
unknown field in an update is 400 with the reason (upstream: 500); GET parsing is strict.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDeviceType import TeraDeviceType

from teraserver.api.common import ClientError, database_write, forbidden, json_body
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_values, creatable, updatable
from teraserver.api.user.namespace import ns

IN_USE = "Can't delete device type: please delete all associated devices before deleting."

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_device_type", type=int, location="args", help="ID of the device type")
get_parser.add_argument("device_type_key", type=str, location="args", help="Key of the device type")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (same fields)")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", help="Device type ID to delete")
delete_parser.add_argument("device_type_key", type=str, location="args", help="Key of the device type to delete")


def all_types() -> list[TeraDeviceType]:
    return TeraDeviceType.query.order_by(TeraDeviceType.id_device_type).all()


def selected_types(args: dict[str, Any]) -> list[TeraDeviceType]:
    if args["id_device_type"] is None and args["device_type_key"] is None:
        return all_types()
    if args["id_device_type"]:
        found = TeraDeviceType.get_device_type_by_id(args["id_device_type"])
    elif args["device_type_key"]:
        found = TeraDeviceType.get_device_type_by_key(args["device_type_key"])
    else:
        return []
    if found is None:
        raise forbidden("Unexisting ID/Forbidden access")
    return [found]


class UserQueryDeviceTypes(UserResource):
    @ns.doc(
        description="Device types: all, or one by id_device_type (wins) or device_type_key.",
        responses={200: "Success - a list", 400: "Unknown parameter", 401: "Unauthorized", 403: "No such type"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get device types."""
        args = get_parser.parse_args(strict=True)
        return [device_type.to_json(minimal=bool(args["list"])) for device_type in selected_types(args)]

    @ns.doc(
        description='Create (id_device_type 0) or update a device type (superadmin): {"device_type": {...}}',
        responses={200: "Success - [device type]", 400: "Bad body", 403: "Not superadmin"},
    )
    def post(self) -> Any:
        """Create / update a device type."""
        body = json_body()
        if "device_type" not in body:
            raise ClientError("Missing device type")
        data = body["device_type"]
        if not isinstance(data, dict):
            raise ClientError("Invalid device_type: expected an object")
        id_type = data.get("id_device_type")
        if id_type is None:
            raise ClientError("Missing id_device_type")
        if not g.current_user.user_superadmin:
            raise forbidden()
        if isinstance(id_type, bool) or not isinstance(id_type, int):
            raise ClientError(f"Invalid id_device_type: {id_type!r} is not an integer")
        if id_type > 0:
            if TeraDeviceType.get_device_type_by_id(id_type) is None:
                raise ClientError("Invalid device type")
            values = updatable(TeraDeviceType, data, "id_device_type", "device_type")
            check_values(TeraDeviceType, values, creating=False)
            with database_write("device type"):
                if values:
                    TeraDeviceType.update(id_type, values)
        else:
            values = creatable(TeraDeviceType, data, "id_device_type")
            check_values(TeraDeviceType, values, creating=True)
            with database_write("device type"):
                device_type = TeraDeviceType()
                device_type.from_json(values)
                TeraDeviceType.insert(device_type)
            id_type = device_type.id_device_type
        return [TeraDeviceType.get_device_type_by_id(id_type).to_json()]

    @ns.doc(
        description="Delete a device type by id or by device_type_key (superadmin).",
        responses={200: "Success", 400: "Missing, both or unknown, or still used by devices", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a device type."""
        args = delete_parser.parse_args(strict=True)
        if not args["id"] and not args["device_type_key"]:
            raise ClientError("Missing arguments")
        if args["id"] and args["device_type_key"]:
            raise ClientError("Tried to delete with 2 parameters")
        if args["id"]:
            device_type = TeraDeviceType.get_device_type_by_id(args["id"])
        else:
            device_type = TeraDeviceType.get_device_type_by_key(args["device_type_key"])
        if device_type is None:
            raise ClientError("Device type not found")
        if not g.current_user.user_superadmin:
            raise forbidden()
        with database_write("device type", in_use=IN_USE):
            TeraDeviceType.delete(id_todel=device_type.id_device_type)
        return "Device type successfully deleted", 200
