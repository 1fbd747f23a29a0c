"""/api/user/devicesubtypes: GET device subtypes, POST create/update, DELETE (superadmins write).

Upstream's rules, as we implement them:

* GET: every authenticated user reads every subtype (upstream's accessible subtypes are those of all device
  types). `id_device_subtype` (0 included) and `id_device_type` together: 400 "Too Many IDs". A subtype id that
  names no subtype: 403 "No access to device subtype"; a type id that names no type: 403 "No access to device
  type". Without either: all subtypes, type by type. Each carries `device_subtype_parent` (its type's name).
* POST {"device_subtype": {...}}: "Missing device_subtype" / "Missing id_device_subtype" (400) come first,
  then 403 "Forbidden" for anyone but a superadmin. id 0 creates (unknown fields ignored; `id_device_type`
  must name a type). An update ("Invalid device subtype" 400 for an unknown id) keeps the subtype's type: a
  posted `id_device_type` is replaced by the current one, as upstream does. Answer: [the subtype].
* DELETE `id` (required): 403 "Forbidden" for non-superadmins comes first, then "Device subtype not found"
  (400). Answer: "Device subtype successfully deleted".

Deviations (as elsewhere in this tree): an unknown type, a subtype still used by devices, a wrong value or an
unknown field in an update is 400 with the reason (upstream: 500); a null id is 400; GET parsing is strict.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDeviceSubType import TeraDeviceSubType
from opentera.db.models.TeraDeviceType import TeraDeviceType

from teraserver.api.common import ClientError, database_write, forbidden, json_body
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_values, creatable, updatable
from teraserver.api.user.namespace import ns

IN_USE = "Can't delete device subtype: please delete all devices of that subtype before deleting."

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_device_subtype", type=int, location="args", help="ID of the device subtype to query")
get_parser.add_argument("id_device_type", type=int, location="args", help="Subtypes of that device type")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (same fields)")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Device subtype ID to delete")


def selected_subtypes(args: dict[str, Any]) -> list[TeraDeviceSubType]:
    if args["id_device_subtype"] is not None and args["id_device_type"] is not None:
        raise ClientError("Too Many IDs")
    if args["id_device_subtype"] is not None:
        found = TeraDeviceSubType.get_device_subtype_by_id(args["id_device_subtype"])
        if found is None:
            raise forbidden("No access to device subtype")
        return [found]
    if args["id_device_type"] is not None:
        if TeraDeviceType.get_device_type_by_id(args["id_device_type"]) is None:
            raise forbidden("No access to device type")
        return (
            TeraDeviceSubType.query.filter_by(id_device_type=args["id_device_type"])
            .order_by(TeraDeviceSubType.id_device_subtype)
            .all()
        )
    return TeraDeviceSubType.query.order_by(TeraDeviceSubType.id_device_type, TeraDeviceSubType.id_device_subtype).all()


class UserQueryDeviceSubTypes(UserResource):
    @ns.doc(
        description="Device subtypes: all, one (id_device_subtype) or those of a type (id_device_type).",
        responses={200: "Success - a list", 400: "Too many ids", 401: "Unauthorized", 403: "No such subtype/type"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get device subtypes."""
        args = get_parser.parse_args(strict=True)
        return [subtype.to_json(minimal=bool(args["list"])) for subtype in selected_subtypes(args)]

    @ns.doc(
        description='Create (id_device_subtype 0) or update a device subtype (superadmin): {"device_subtype": {...}}',
        responses={200: "Success - [device subtype]", 400: "Bad body", 403: "Not superadmin"},
    )
    def post(self) -> Any:
        """Create / update a device subtype."""
        body = json_body()
        if "device_subtype" not in body:
            raise ClientError("Missing device_subtype")
        data = body["device_subtype"]
        if not isinstance(data, dict):
            raise ClientError("Invalid device_subtype: expected an object")
        if data.get("id_device_subtype") is None:
            raise ClientError("Missing id_device_subtype")
        if not g.current_user.user_superadmin:
            raise forbidden()
        id_subtype = data["id_device_subtype"]
        if isinstance(id_subtype, bool) or not isinstance(id_subtype, int):
            raise ClientError(f"Invalid id_device_subtype: {id_subtype!r} is not an integer")
        if id_subtype > 0:
            existing = TeraDeviceSubType.get_device_subtype_by_id(id_subtype)
            if existing is None:
                raise ClientError("Invalid device subtype")
            values = updatable(TeraDeviceSubType, data, "id_device_subtype", "device_subtype")
            values["id_device_type"] = existing.id_device_type  # the type of a subtype does not change
            check_values(TeraDeviceSubType, values, creating=False)
            with database_write("device subtype"):
                TeraDeviceSubType.update(id_subtype, values)
        else:
            values = creatable(TeraDeviceSubType, data, "id_device_subtype")
            check_values(TeraDeviceSubType, values, creating=True)
            with database_write("device subtype"):
                subtype = TeraDeviceSubType()
                subtype.from_json(values)
                TeraDeviceSubType.insert(subtype)
            id_subtype = subtype.id_device_subtype
        return [TeraDeviceSubType.get_device_subtype_by_id(id_subtype).to_json()]

    @ns.doc(
        description="Delete a device subtype (superadmin).",
        responses={200: "Success", 400: "Not found or still used by devices", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a device subtype."""
        args = delete_parser.parse_args(strict=True)
        if not g.current_user.user_superadmin:
            raise forbidden()
        subtype = TeraDeviceSubType.get_device_subtype_by_id(args["id"])
        if subtype is None:
            raise ClientError("Device subtype not found")
        with database_write("device subtype", in_use=IN_USE):
            TeraDeviceSubType.delete(id_todel=subtype.id_device_subtype)
        return "Device subtype successfully deleted", 200
