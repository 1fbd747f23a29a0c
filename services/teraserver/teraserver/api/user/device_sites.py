"""/api/user/devices/sites: which sites hold which devices (GET, POST superadmin, DELETE).

Upstream's rules, as we implement them:

* GET needs `id_device` or `id_site` (all parameters unset or false: 400 "Missing arguments"; flags alone
  select nothing). `id_device`, if the user sees the device: its links to the user's sites, by site name;
  `with_sites` adds an unsaved entry (id_device null) for each other site of the user's. `id_site`, if the user
  sees the site: all its device links, by device name; `with_devices` adds an unsaved entry (id_site null) for
  each other device of the user's sites (every device for a superadmin). Out of reach: an empty list. Without
  `list`, each entry also has `device_name`, `site_name` and `device_available` (no participant the user sees
  uses the device; false for an entry without device).
* POST: superadmins only (403 "Forbidden", before anything else). {"device": {id_device, sites: [{id_site}]}}
  replaces the device's sites, {"site": {id_site, devices: [{id_device}]}} the site's devices,
  {"device_site": obj | [obj]} adds links (id_device or device_uuid, and id_site). Removing a device from a
  site also removes it from the site's projects, and is refused while participants or sessions there use it.
  Answer: the links added (an already existing one keeps its id), each with `id_device_site`.
* DELETE `id` of the link: "Bad parameter" 400; site admin of the link's site and of a site holding the
  device, else 403 "Forbidden". Answer: "".

Deviations: the whole body is checked before the first change; unknown ids and blocked removals are 400 with
the reason (upstream: 500 or a crash); the {"site": ...} form's removals are committed (upstream's are left
uncommitted when nothing is added); GET parsing is strict.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceSite import TeraDeviceSite
from opentera.db.models.TeraSite import TeraSite
from sqlalchemy import inspect

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.links import LinkForms
from teraserver.api.resources import UserResource
from teraserver.api.user.device_projects import device_available, resolve_device_uuid
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

REMOVAL_BLOCKED = (
    "Can't delete device from site. Please remove all participants associated with the device or all sessions "
    "in the site referring to the device before deleting."
)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_device", type=int, location="args", help="Sites holding that device")
get_parser.add_argument("id_site", type=int, location="args", help="Devices of that site")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")
get_parser.add_argument("with_devices", type=inputs.boolean, location="args", help="With id_site: other devices")
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="With id_device: other sites")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the device-site link itself")


def unsaved(id_device: int | None, id_site: int | None) -> TeraDeviceSite:
    link = TeraDeviceSite()
    link.id_device = id_device
    link.id_site = id_site
    return link


def _site_name(id_site: int | None) -> str | None:
    site = TeraSite.get_site_by_id(id_site) if id_site else None
    return site.site_name if site else None


def _device_name(id_device: int | None) -> str | None:
    device = TeraDevice.get_device_by_id(id_device) if id_device else None
    return device.device_name if device else None


def selected_links(access: UserAccess, args: dict[str, Any]) -> list[TeraDeviceSite]:
    if not any(args.values()):
        raise ClientError("Missing arguments")
    if args["id_device"]:
        if args["id_device"] not in access.accessible_devices_ids():
            return []
        sites = access.accessible_sites_ids()
        links = TeraDeviceSite.query.filter(
            TeraDeviceSite.id_device == args["id_device"], TeraDeviceSite.id_site.in_(sites)
        ).all()
        if args["with_sites"]:
            linked = {link.id_site for link in links}
            links += [unsaved(None, id_site) for id_site in sites if id_site not in linked]
        return sorted(links, key=lambda link: (_site_name(link.id_site) or "", link.id_site or 0))
    if args["id_site"]:
        if args["id_site"] not in access.accessible_sites_ids():
            return []
        links = TeraDeviceSite.get_devices_for_site(site_id=args["id_site"])
        if args["with_devices"]:
            linked = {link.id_device for link in links}
            others = access.accessible_devices_ids()
            links += [unsaved(id_device, None) for id_device in others if id_device not in linked]
        return sorted(links, key=lambda link: (_device_name(link.id_device) or "", link.id_device or 0))
    return []


def link_json(link: TeraDeviceSite, minimal: bool, visible_participants: set[int]) -> dict[str, Any]:
    data = link.to_json(ignore_fields=[])
    if inspect(link).transient:
        data["id_device_site"] = None
    if minimal:
        return data
    device = TeraDevice.get_device_by_id(link.id_device) if link.id_device else None
    data["device_name"] = device.device_name if device else None
    data["site_name"] = _site_name(link.id_site)
    data["device_available"] = device_available(device, visible_participants)
    return data


FORMS = LinkForms(
    "device",
    "devices",
    "site",
    TeraDeviceSite,
    messages={"no_target_id": "Missing site ID", "no_link_ids": "Badly formatted request"},
    keys_first=True,
)


def requested() -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """(links to add, (id_device, id_site) links to remove) of the posted body (api/links.py)."""
    asked = FORMS.parse(prepare=resolve_device_uuid)
    if asked.replaced is None:
        return asked.wanted, []
    return asked.missing, asked.stale


def check_added(links: list[dict[str, Any]]) -> None:
    for link in links:
        if TeraDevice.get_device_by_id(link["id_device"]) is None:
            raise ClientError(f"Invalid id_device: {link['id_device']}")
        if TeraSite.get_site_by_id(link["id_site"]) is None:
            raise ClientError(f"Invalid id_site: {link['id_site']}")


class UserQueryDeviceSites(UserResource):
    @ns.doc(
        description="Device-site links of a device (id_device) or a site (id_site).",
        responses={200: "Success - a list", 400: "No id or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get device-site links."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        links = selected_links(access, args)
        minimal = args["list"] is not None
        visible = set() if minimal else set(access.accessible_participants_ids())
        return [link_json(link, minimal, visible) for link in links]

    @ns.doc(
        description='Link devices and sites (superadmin): {"device": {id_device, sites: [{id_site}]}} or {"site": '
        '{id_site, devices: [{id_device}]}} (both replace), or {"device_site": obj | list} (adds).',
        responses={200: "Success - the links added", 400: "Bad body or removal blocked", 403: "Not superadmin"},
    )
    def post(self) -> Any:
        """Create / replace device-site links."""
        if not g.current_user.user_superadmin:
            raise forbidden()
        added, removed = requested()
        check_added(added)
        with database_write("device-site link", in_use=REMOVAL_BLOCKED):
            for id_device, id_site in removed:
                TeraDeviceSite.delete_with_ids(device_id=id_device, site_id=id_site, autocommit=False)
            TeraDeviceSite.commit()
            for item in added:
                if "id_device_site" not in item:
                    existing = TeraDeviceSite.get_device_site_id_for_device_and_site(
                        device_id=item["id_device"], site_id=item["id_site"]
                    )
                    item["id_device_site"] = existing.id_device_site if existing else 0
                if not isinstance(item["id_device_site"], int) or item["id_device_site"] <= 0:
                    link = TeraDeviceSite.insert(unsaved(item["id_device"], item["id_site"]))
                    item["id_device_site"] = link.id_device_site
        return added

    @ns.doc(
        description="Delete a device-site link by its own id (site admin of the site and of the device); the "
        "device also leaves the site's projects.",
        responses={200: "Success", 400: "Not found or still used", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a device-site link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraDeviceSite.get_device_site_by_id(args["id"])
        if link is None:
            raise ClientError("Bad parameter")
        access = UserAccess(g.current_user)
        if link.id_site not in access.accessible_sites_ids(
            admin_only=True
        ) or link.id_device not in access.accessible_devices_ids(admin_only=True):
            raise forbidden()
        with database_write("device-site link", in_use=REMOVAL_BLOCKED):
            TeraDeviceSite.delete(id_todel=link.id_device_site)
        return "", 200
