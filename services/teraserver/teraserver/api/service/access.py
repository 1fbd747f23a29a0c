"""GET /api/service/access: what a user, participant or device can access, as seen from its side."""

from __future__ import annotations

from typing import Any

from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import Answer, ClientError
from teraserver.api.resources import ServiceResource
from teraserver.api.service.namespace import ns
from teraserver.user_access import UserAccess

FLAGS = ("with_users", "with_projects", "with_participants", "with_devices", "with_sites", "admin", "with_names")

get_parser = reqparse.RequestParser()
get_parser.add_argument("from_user_uuid", type=str, location="args", help="User whose access is queried")
get_parser.add_argument("from_participant_uuid", type=str, location="args", help="Participant whose access...")
get_parser.add_argument("from_device_uuid", type=str, location="args", help="Device whose access is queried")
for _flag in FLAGS:
    get_parser.add_argument(_flag, type=inputs.boolean, location="args", default=False, help=f"Flag {_flag}")


def _item(key: str, value: Any, name: str | None, with_names: bool) -> dict[str, Any]:
    return {key: value, "name": name} if with_names else {key: value}


def user_view(user: TeraUser, args: dict[str, Any]) -> dict[str, Any]:
    access = UserAccess(user)
    admin, names = bool(args["admin"]), bool(args["with_names"])
    result: dict[str, Any] = {"admin": admin, "from_user_uuid": user.user_uuid}
    if args["with_users"]:
        result["users"] = [
            _item("uuid", u.user_uuid, u.get_fullname(), names) for u in access.accessible_users(admin_only=admin)
        ]
    if args["with_projects"]:
        result["projects"] = [
            _item("id", p.id_project, p.project_name, names) for p in access.accessible_projects(admin_only=admin)
        ]
    if args["with_participants"]:
        result["participants"] = [
            _item("uuid", p.participant_uuid, p.participant_name, names)
            for p in access.accessible_participants(admin_only=admin)
        ]
    if args["with_devices"]:
        result["devices"] = [
            _item("uuid", d.device_uuid, d.device_name, names) for d in access.accessible_devices(admin_only=admin)
        ]
    if args["with_sites"]:
        result["sites"] = [
            _item("id", s.id_site, s.site_name, names) for s in access.accessible_sites(admin_only=admin)
        ]
    return result


def participant_view(participant: TeraParticipant, args: dict[str, Any]) -> dict[str, Any]:
    """As upstream: a participant sees only itself; users, projects, devices and sites are empty."""
    result: dict[str, Any] = {"from_participant_uuid": participant.participant_uuid}
    for flag, key in (
        ("with_users", "users"),
        ("with_projects", "projects"),
        ("with_devices", "devices"),
        ("with_sites", "sites"),
    ):
        if args[flag]:
            result[key] = []
    if args["with_participants"]:
        result["participants"] = [
            _item("uuid", participant.participant_uuid, participant.participant_name, bool(args["with_names"]))
        ]
    return result


def device_view(device: TeraDevice, args: dict[str, Any]) -> dict[str, Any]:
    """As upstream: a device sees itself and its participants; users, projects and sites are empty."""
    names = bool(args["with_names"])
    result: dict[str, Any] = {"from_device_uuid": device.device_uuid}
    for flag, key in (("with_users", "users"), ("with_projects", "projects"), ("with_sites", "sites")):
        if args[flag]:
            result[key] = []
    if args["with_participants"]:
        result["participants"] = [
            _item("uuid", p.participant_uuid, p.participant_name, names) for p in device.device_participants
        ]
    if args["with_devices"]:
        result["devices"] = [_item("uuid", device.device_uuid, device.device_name, names)]
    return result


class ServiceQueryAccess(ServiceResource):
    @ns.doc(
        description="Access of a user, participant or device (one from_*_uuid) with the requested lists.",
        responses={
            200: "Success ({} for flags without a uuid)",
            400: "No argument, invalid uuid, or participant/device with admin",
        },
    )
    @ns.expect(get_parser)
    def get(self) -> Answer | dict[str, Any]:
        """Get access information."""
        args = get_parser.parse_args()
        if not any(args.values()):
            raise ClientError("No arguments specified")
        if args["from_user_uuid"]:
            user = TeraUser.get_user_by_uuid(args["from_user_uuid"])
            if user is None:
                raise ClientError("Invalid user uuid")
            return user_view(user, args)
        if args["from_participant_uuid"] or args["from_device_uuid"]:
            if args["admin"]:
                raise ClientError("Participant or device cannot be admin")
            if args["from_participant_uuid"]:
                participant = TeraParticipant.get_participant_by_uuid(args["from_participant_uuid"])
                if participant is None:
                    raise ClientError("Invalid participant uuid")
                return participant_view(participant, args)
            device = TeraDevice.get_device_by_uuid(args["from_device_uuid"])
            if device is None:
                raise ClientError("Invalid device uuid")
            return device_view(device, args)
        # As upstream: flags without any from_*_uuid give an empty object.
        return {}
