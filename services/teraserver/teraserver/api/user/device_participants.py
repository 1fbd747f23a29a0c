"""/api/user/devices/participants: which participants use which devices (GET, POST, DELETE).

Upstream's rules, as we implement them:

* GET needs one of `id_device`, `id_participant`, `id_site` (all unset or false: 400 "Missing arguments"; a
  lone `id_device_type` or `list` selects nothing). `id_device`: if the user sees the device, its links to
  participants the user sees. `id_participant`: if the user sees the participant, all its device links, or
  with `id_device_type` those to devices of that type. `id_site`: if the user sees the site, the links between
  the site's devices and participants of the site's projects. Anything out of reach: an empty list. Each link
  is {id_device_participant, id_device, id_participant}; without `list`, plus `participant_name`,
  `device_name` and the device itself (`device_participant_device`).
* POST {"device_participant": obj | [obj]} with id_device and id_participant: the user must be admin of the
  participant's project (403 "User is not admin of the participant's project") and see the device (403 "Access
  denied to device"); the device must be in the participant's project (403 "Device not assigned to project or
  participant"). An existing link is kept. Answer: the posted objects with `id_device_participant`, and for a
  new link `participant_name` and `device_name`.
* DELETE `id` of the link: "Not found" 400, then the same two access checks. Answer: "" (200).

Deviations: every posted link is checked before the first one is written (upstream may write part of a list);
a missing body key or id is 400 with its name (upstream: 500 or an empty body); GET parsing is strict.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceParticipant import TeraDeviceParticipant
from opentera.db.models.TeraDeviceProject import TeraDeviceProject
from opentera.db.models.TeraDeviceSite import TeraDeviceSite
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraProject import TeraProject

from teraserver.api.common import ClientError, database_write, forbidden, json_body, object_or_list, require_int
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

NOT_PARTICIPANT_ADMIN = "User is not admin of the participant's project"
NO_DEVICE_ACCESS = "Access denied to device"

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_device", type=int, location="args", help="Participants linked to that device")
get_parser.add_argument("id_participant", type=int, location="args", help="Devices linked to that participant")
get_parser.add_argument("id_site", type=int, location="args", help="Device-participant links of that site")
get_parser.add_argument("id_device_type", type=int, location="args", help="With id_participant: that device type")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument(
    "id", type=int, location="args", required=True, help="ID of the device-participant link itself"
)


def _ordered(query: Any) -> list[TeraDeviceParticipant]:
    return query.order_by(TeraDeviceParticipant.id_device_participant).all()


def selected_links(access: UserAccess, args: dict[str, Any]) -> list[TeraDeviceParticipant]:
    if not any(args.values()):
        raise ClientError("Missing arguments")
    query = TeraDeviceParticipant.query
    if args["id_device"]:
        if args["id_device"] not in access.accessible_devices_ids():
            return []
        participants = access.accessible_participants_ids()
        return _ordered(
            query.filter(
                TeraDeviceParticipant.id_device == args["id_device"],
                TeraDeviceParticipant.id_participant.in_(participants),
            )
        )
    if args["id_participant"]:
        if args["id_participant"] not in access.accessible_participants_ids():
            return []
        query = query.filter(TeraDeviceParticipant.id_participant == args["id_participant"])
        if args["id_device_type"]:
            query = query.join(TeraDevice, TeraDevice.id_device == TeraDeviceParticipant.id_device).filter(
                TeraDevice.id_device_type == args["id_device_type"]
            )
        return _ordered(query)
    if args["id_site"]:
        if args["id_site"] not in access.accessible_sites_ids():
            return []
        site_devices = TeraDeviceSite.query.filter(TeraDeviceSite.id_site == args["id_site"]).with_entities(
            TeraDeviceSite.id_device
        )
        site_participants = (
            TeraParticipant.query.join(TeraProject, TeraProject.id_project == TeraParticipant.id_project)
            .filter(TeraProject.id_site == args["id_site"])
            .with_entities(TeraParticipant.id_participant)
        )
        return _ordered(
            query.filter(
                TeraDeviceParticipant.id_device.in_(site_devices),
                TeraDeviceParticipant.id_participant.in_(site_participants),
            )
        )
    return []


def link_json(link: TeraDeviceParticipant, minimal: bool) -> dict[str, Any]:
    data = link.to_json(ignore_fields=[])
    if not minimal:
        device = TeraDevice.get_device_by_id(link.id_device)
        data["participant_name"] = TeraParticipant.get_participant_by_id(link.id_participant).participant_name
        data["device_name"] = device.device_name
        data["device_participant_device"] = device.to_json()
    return data


def check_access(access: UserAccess, id_participant: int, id_device: int) -> None:
    if id_participant not in access.accessible_participants_ids(admin_only=True):
        raise forbidden(NOT_PARTICIPANT_ADMIN)
    if id_device not in access.accessible_devices_ids():
        raise forbidden(NO_DEVICE_ACCESS)


class UserQueryDeviceParticipants(UserResource):
    @ns.doc(
        description="Device-participant links of a device (id_device), a participant (id_participant, "
        "optionally id_device_type) or a site (id_site).",
        responses={200: "Success - a list", 400: "No id or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get device-participant links."""
        args = get_parser.parse_args(strict=True)
        links = selected_links(UserAccess(g.current_user), args)
        return [link_json(link, minimal=args["list"] is not None) for link in links]

    @ns.doc(
        description='Link devices to participants: {"device_participant": {id_device, id_participant} or a list}',
        responses={200: "Success - the posted links", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Link devices to participants."""
        body = json_body()
        if "device_participant" not in body:
            raise ClientError("Missing device_participant")
        items = [dict(item) for item in object_or_list(body["device_participant"], "device_participant")]
        access = UserAccess(g.current_user)
        pairs = []
        for item in items:
            if "id_participant" not in item or "id_device" not in item:
                raise ClientError("Missing id_participant or id_device")
            pair = (require_int(item, "id_participant"), require_int(item, "id_device"))
            check_access(access, *pair)
            pairs.append(pair)
        for id_participant, id_device in pairs:
            project = TeraParticipant.get_participant_by_id(id_participant).id_project
            if TeraDeviceProject.get_device_project_id_for_device_and_project(id_device, project) is None:
                raise forbidden("Device not assigned to project or participant")
        with database_write("device-participant link"):
            for item, (id_participant, id_device) in zip(items, pairs, strict=True):
                link = TeraDeviceParticipant.query_device_participant_for_participant_device(id_device, id_participant)
                if link is not None:
                    item["id_device_participant"] = link.id_device_participant
                    continue
                link = TeraDeviceParticipant()
                link.id_device = id_device
                link.id_participant = id_participant
                link = TeraDeviceParticipant.insert(link)
                item["id_device_participant"] = link.id_device_participant
                item["participant_name"] = TeraParticipant.get_participant_by_id(id_participant).participant_name
                item["device_name"] = TeraDevice.get_device_by_id(id_device).device_name
        return items

    @ns.doc(
        description="Delete a device-participant link by its own id (admin of the participant's project, with "
        "access to the device).",
        responses={200: "Success", 400: "Not found", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a device-participant link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraDeviceParticipant.get_device_participant_by_id(args["id"])
        if link is None:
            raise ClientError("Not found")
        check_access(UserAccess(g.current_user), link.id_participant, link.id_device)
        with database_write("device-participant link"):
            TeraDeviceParticipant.delete(id_todel=link.id_device_participant)
        return "", 200
