"""/api/user/devices: GET devices of accessible projects, POST create/update, DELETE.

Who may write (upstream's rules): superadmins and site admins create devices (a site admin must attach the
new device to projects or sites they administer); a project admin may only change a device's config and
notes; a site admin of one of the device's projects may change anything. DELETE by a non-superadmin removes
the device from the projects they administer, and deletes it only when no other project holds it.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceProject import TeraDeviceProject
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraSite import TeraSite

from teraserver import context, presence
from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_fields
from teraserver.api.user.namespace import ns
from teraserver.user_access import ADMIN, UserAccess

# A project admin who is not site admin of the device may change only these.
PROJECT_ADMIN_FIELDS = ("id_device", "device_config", "device_notes")

get_parser = reqparse.RequestParser()
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_device"')
get_parser.add_argument("id_device", type=int, location="args", help="ID of the device to query")
get_parser.add_argument("device_uuid", type=str, location="args", help="UUID of the device to query")
get_parser.add_argument("uuid", type=str, location="args", help='Alias for "device_uuid"')
get_parser.add_argument("id_site", type=int, location="args", help="Devices of that site's projects")
get_parser.add_argument("id_project", type=int, location="args", help="Devices of that project")
get_parser.add_argument("id_device_type", type=int, location="args", help="Devices of that type (combinable)")
get_parser.add_argument("id_device_subtype", type=int, location="args", help="Devices of that subtype")
get_parser.add_argument("name", type=str, location="args", help="Device with that name")
# Upstream declares it, but its filter is disabled (commented out of its parser): the flag changes nothing there.
get_parser.add_argument(
    "available", type=inputs.boolean, location="args", help="Ignored, as upstream's (no availability filter)"
)
get_parser.add_argument("projects", type=inputs.boolean, location="args", help="Also the device's projects")
get_parser.add_argument("enabled", type=inputs.boolean, location="args", help="Only (not) enabled devices")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")
get_parser.add_argument("with_participants", type=inputs.boolean, location="args", help="Also its participants")
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Also its sites")
get_parser.add_argument("with_status", type=inputs.boolean, location="args", help="Also online/busy status")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Device ID to delete")


def selected_devices(access: UserAccess, args: dict[str, Any]) -> list[TeraDevice]:
    """Upstream's selection: at most one id-like filter (400 "Too many IDs"; `id` overrides `id_device`);
    id_device_type narrows all accessible devices, a site's or a project's, and is ignored with the others."""
    selectors = {
        "id_device": args["id"] or args["id_device"],
        "device_uuid": args["device_uuid"] or args["uuid"],
        "id_site": args["id_site"],
        "id_project": args["id_project"],
        "id_device_subtype": args["id_device_subtype"],
        "device_name": args["name"],
    }
    given = {name: value for name, value in selectors.items() if value is not None}
    # More than one selector is refused; so is an `id` of 0 alone, which upstream counts as given but not as an id.
    if len(given) > 1 or (not given and args["id"] is not None):
        raise ClientError("Too many IDs")
    by_type = not given or "id_site" in given or "id_project" in given
    if "id_site" in given:
        devices = access.devices_in_site(given.pop("id_site"))
    elif "id_project" in given:
        devices = access.devices_in_project(given.pop("id_project"))
    else:
        devices = access.accessible_devices()
    for field, value in given.items():
        devices = [device for device in devices if getattr(device, field) == value]
    if by_type and args["id_device_type"] is not None:
        devices = [device for device in devices if device.id_device_type == args["id_device_type"]]
    if args["enabled"] is not None:
        devices = [device for device in devices if device.device_enabled == args["enabled"]]
    return devices


def device_json(
    access: UserAccess, device: TeraDevice, args: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    minimal = bool(args["list"])
    data = device.to_json(minimal=minimal)
    if args["with_participants"]:
        participants = []
        for participant in access.device_participants(device):
            item = {
                "id_participant": participant.id_participant,
                "participant_name": participant.participant_name,
                "id_project": participant.id_project,
            }
            if not minimal:
                item["project_name"] = participant.participant_project.project_name
            participants.append(item)
        data["device_participants"] = participants
    if args["with_sites"]:
        ignore = ["site_name"] if minimal else []
        data["device_sites"] = [site.to_json(ignore_fields=list(ignore)) for site in access.device_sites(device)]
    if args["projects"]:
        projects = []
        for link in TeraDeviceProject.get_projects_for_device(device.id_device):
            item = link.to_json(ignore_fields=["project_name"] if minimal else [])
            if not minimal:
                item["project"] = link.device_project_project.to_json()
            projects.append(item)
        data["device_projects"] = projects
    if device.id_device_subtype is not None:
        data["device_subtype"] = device.device_subtype.to_json()
    if args["with_status"]:
        # As upstream, `device_status` is the device's whole presence entry ({online, busy, status}), or null.
        entry = statuses.get(device.device_uuid)
        if entry is None:
            data.update(device_busy=False, device_online=False, device_status=None)
        else:
            data.update(device_busy=entry["busy"], device_online=entry["online"], device_status=entry)
    return data


def id_list(data: dict[str, Any], field: str, item_field: str) -> list[int]:
    items = data.pop(field)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ClientError(f"Invalid {field}: expected a list of objects")
    return [require_int(item, item_field) for item in items]


def check_site_admin_of_projects(access: UserAccess, project_ids: list[int]) -> None:
    for id_project in project_ids:
        project = TeraProject.get_project_by_id(id_project)
        if project is None:
            raise ClientError(f"Invalid id_project: {id_project}")
        if access.site_role(project.id_site) != ADMIN:
            raise forbidden("No site admin access for at least one project in the list")


def check_site_admin_of_sites(access: UserAccess, site_ids: list[int]) -> None:
    for id_site in site_ids:
        if TeraSite.get_site_by_id(id_site) is None:
            raise ClientError(f"Invalid id_site: {id_site}")
        if access.site_role(id_site) != ADMIN:
            raise forbidden("No site admin access for at least one site in the list")


def editable_fields(access: UserAccess, data: dict[str, Any]) -> dict[str, Any]:
    """An update by someone who is not site admin of the device keeps only what a project admin may change."""
    device = TeraDevice.get_device_by_id(data["id_device"])
    if access.superadmin or any(access.site_role(p.id_site) == ADMIN for p in device.device_projects):
        return data
    return {field: data[field] for field in PROJECT_ADMIN_FIELDS if field in data}


def sync_links(current: list[Any], wanted: list[int], manageable: list[int], fetch: Any, key: str) -> list[Any]:
    """Add the wanted rows; remove current rows the user manages that are not wanted; keep the others."""
    current_ids = [getattr(row, key) for row in current]
    kept = [row for row in current if getattr(row, key) in wanted or getattr(row, key) not in manageable]
    added = [fetch(row_id) for row_id in wanted if row_id not in current_ids]
    return kept + added


class UserQueryDevices(UserResource):
    @ns.doc(
        description="Devices of accessible projects; at most one of id_device/id, device_uuid/uuid, id_site, "
        "id_project, id_device_subtype, name (id_device_type combines with any).",
        responses={200: "Success - a list", 400: "Too many IDs or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get devices."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        # As upstream, one read of the presence state (the UserManager's status_devices) for the whole list.
        statuses = presence.status(context.redis_client(), "device") if args["with_status"] else {}
        return [device_json(access, device, args, statuses) for device in selected_devices(access, args)]

    @ns.doc(
        description='Create (id_device 0) or update a device: {"device": {..., [device_projects: [{id_project}]], '
        "[device_sites: [{id_site}]]}}",
        responses={200: "Success - [device]", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update a device."""
        access = UserAccess(g.current_user)
        data = json_object("device")
        if not isinstance(data, dict):
            raise ClientError("Invalid device: expected an object")
        data = dict(data)
        id_device = require_int(data, "id_device")
        project_ids = id_list(data, "device_projects", "id_project") if "device_projects" in data else None
        site_ids = id_list(data, "device_sites", "id_site") if "device_sites" in data else None
        check_site_admin_of_projects(access, project_ids or [])
        check_site_admin_of_sites(access, site_ids or [])
        data.pop("device_uuid", None)  # generated on create, immutable afterwards
        data = check_fields(TeraDevice, data, "device", creating=id_device == 0)
        if id_device == 0:
            if not access.superadmin and project_ids is None and site_ids is None:
                raise forbidden()
            with database_write("device"):
                device = TeraDevice()
                device.from_json({k: v for k, v in data.items() if k != "id_device"})
                TeraDevice.insert(device)
            id_device = device.id_device
        else:
            if id_device not in access.accessible_devices_ids(admin_only=True):
                raise forbidden()
            values = {k: v for k, v in editable_fields(access, data).items() if k != "id_device"}
            with database_write("device"):
                if values:
                    TeraDevice.update(id_device, values)
        device = TeraDevice.get_device_by_id(id_device)
        with database_write("device links"):
            if site_ids is not None:
                device.device_sites = sync_links(
                    device.device_sites, site_ids, access.admin_sites_ids(), TeraSite.get_site_by_id, "id_site"
                )
            if project_ids is not None:
                device.device_projects = sync_links(
                    device.device_projects,
                    project_ids,
                    access.accessible_projects_ids(admin_only=True),
                    TeraProject.get_project_by_id,
                    "id_project",
                )
            TeraDevice.commit()
        return [TeraDevice.get_device_by_id(id_device).to_json()]

    @ns.doc(
        description="Delete a device (superadmin), or remove it from the projects one administers (deleted "
        "when no other project holds it).",
        responses={200: "Success", 400: "Invalid id or still referenced", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a device."""
        args = delete_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        device = TeraDevice.get_device_by_id(args["id"])
        if device is None:
            raise ClientError("Invalid id")
        full_delete = access.superadmin
        if not access.superadmin:
            admin_projects = set(access.accessible_projects_ids(admin_only=True))
            if not admin_projects:
                raise forbidden()
            others = [p for p in device.device_projects if p.id_project not in admin_projects]
            if others and len(others) == len(device.device_projects):
                raise forbidden()  # none of the device's projects is theirs
            full_delete = not others
        with database_write("device deletion"):
            if full_delete:
                TeraDevice.delete(id_todel=device.id_device)
            else:
                device.device_projects = others
                TeraDevice.commit()
        return "Device successfully deleted", 200
