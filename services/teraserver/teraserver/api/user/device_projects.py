"""/api/user/devices/projects: which projects hold which devices (GET, POST, DELETE).

Upstream's rules, as we implement them:

* GET needs `id_device` or `id_project` (all parameters unset or false: 400 "Missing arguments"; flags alone
  select nothing). `id_device`, if the user sees the device: its links to the user's projects, by project
  name; `with_projects` adds an unsaved entry (id_device null) for each other project of the user's.
  `id_project`, if it is one of the user's projects: its links to devices the user sees, by device name;
  `with_devices` adds an unsaved entry (id_project null) for each other device of the project's site. Out of
  reach: an empty list. Without `list`, each entry also has `project_name`, `device_name` and
  `device_available` (no participant the user sees uses the device; false for an entry without device), and
  with `with_sites` the project's `id_site` and `site_name`.
* POST, three body forms. {"device": {id_device, projects: [{id_project}]}} replaces the device's projects:
  removing one needs site admin of its site (403 "Access denied"). {"project": {id_project, devices:
  [{id_device}]}} replaces the project's devices: site admin of the project's site (403 "Access denied").
  {"device_project": obj | [obj]} adds links (id_device or device_uuid, and id_project). Every link added needs
  site admin of the project's site (403 "Access denied") and the device in that site (403 "At least one device
  is not part of the allowed device for that project site"). Answer: the links added (an already existing
  one keeps its id), each with `id_device_project`.
* DELETE `id` of the link: "Not found" 400; admin of the project and of a site holding the device, else 403
  "Forbidden". A device still used by participants or sessions of the project cannot leave it. Answer: "".

Deviations: the whole body is checked before the first change (upstream removes links before checking the
ones to add); unknown ids and a blocked removal are 400 with the reason (upstream: 500 or a crash); GET parsing
is strict.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceProject import TeraDeviceProject
from opentera.db.models.TeraDeviceSite import TeraDeviceSite
from opentera.db.models.TeraProject import TeraProject
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.links import LinkForms
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.user_access import ADMIN, UserAccess

REMOVAL_BLOCKED = (
    "Can't delete device from project. Please remove all participants associated with the device or all "
    "sessions in the project referring to the device before deleting."
)
BLOCKED_BY_PARTICIPANTS = (
    "Can't delete device from project: please remove all participants with device before deleting."
)
BLOCKED_BY_SESSIONS = (
    "Can't delete device from project: please remove all sessions in this project referring to that device "
    "before deleting."
)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_device", type=int, location="args", help="Projects holding that device")
get_parser.add_argument("id_project", type=int, location="args", help="Devices of that project")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")
get_parser.add_argument("with_projects", type=inputs.boolean, location="args", help="With id_device: other projects")
get_parser.add_argument("with_devices", type=inputs.boolean, location="args", help="With id_project: other devices")
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Also the projects' site")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the device-project link itself")


def device_available(device: TeraDevice | None, visible_participants: set[int]) -> bool:
    """No participant the user sees uses the device."""
    if device is None:
        return False
    return not any(p.id_participant in visible_participants for p in device.device_participants)


def unsaved(id_device: int | None, id_project: int | None) -> TeraDeviceProject:
    link = TeraDeviceProject()
    link.id_device = id_device
    link.id_project = id_project
    return link


def project_name(link: TeraDeviceProject) -> str:
    project = TeraProject.get_project_by_id(link.id_project) if link.id_project else None
    return project.project_name if project else ""


def device_name(link: TeraDeviceProject) -> str:
    device = TeraDevice.get_device_by_id(link.id_device) if link.id_device else None
    return device.device_name if device else ""


def selected_links(access: UserAccess, args: dict[str, Any]) -> list[TeraDeviceProject]:
    if not any(args.values()):
        raise ClientError("Missing arguments")
    if args["id_device"]:
        if args["id_device"] not in access.accessible_devices_ids():
            return []
        projects = access.accessible_projects_ids()
        links = TeraDeviceProject.query.filter(
            TeraDeviceProject.id_device == args["id_device"], TeraDeviceProject.id_project.in_(projects)
        ).all()
        if args["with_projects"]:
            linked = {link.id_project for link in links}
            links += [unsaved(None, id_project) for id_project in projects if id_project not in linked]
        return sorted(links, key=lambda link: (project_name(link), link.id_project or 0))
    if args["id_project"]:
        if args["id_project"] not in access.accessible_projects_ids():
            return []
        links = TeraDeviceProject.query.filter(
            TeraDeviceProject.id_project == args["id_project"],
            TeraDeviceProject.id_device.in_(access.accessible_devices_ids()),
        ).all()
        if args["with_devices"]:
            site = TeraProject.get_project_by_id(args["id_project"]).id_site
            linked = {link.id_device for link in links}
            site_devices = TeraDeviceSite.query.filter(TeraDeviceSite.id_site == site).all()
            links += [unsaved(ds.id_device, None) for ds in site_devices if ds.id_device not in linked]
        return sorted(links, key=lambda link: (device_name(link), link.id_device or 0))
    return []


def link_json(link: TeraDeviceProject, args: dict[str, Any], visible_participants: set[int]) -> dict[str, Any]:
    saved = not inspect(link).transient
    data = link.to_json(ignore_fields=[])
    if not saved:
        data["id_device_project"] = None
    if args["list"] is not None:
        return data
    device = TeraDevice.get_device_by_id(link.id_device) if link.id_device else None
    project = TeraProject.get_project_by_id(link.id_project) if link.id_project else None
    data["device_name"] = device.device_name if device else None
    data["device_available"] = device_available(device, visible_participants)
    data["project_name"] = project.project_name if project else None
    if args["with_sites"] and project is not None:
        data["id_site"] = project.id_site
        data["site_name"] = project.project_site.site_name
    return data


def _project(id_project: int) -> TeraProject:
    project = TeraProject.get_project_by_id(id_project)
    if project is None:
        raise ClientError(f"Invalid id_project: {id_project}")
    return project


FORMS = LinkForms(
    "device",
    "devices",
    "project",
    TeraDeviceProject,
    messages={"no_link_ids": "Missing id_device or id_project"},
    keys_first=True,
)


def resolve_device_uuid(link: dict[str, Any]) -> None:
    """In an add form, `device_uuid` may stand for `id_device`; an unknown uuid is a 400 (upstream: 500)."""
    if "device_uuid" in link:
        device = TeraDevice.get_device_by_uuid(link.pop("device_uuid"))
        if device is None:
            raise ClientError("Invalid device_uuid")
        link["id_device"] = device.id_device


def _require_site_admin(access: UserAccess, id_project: int) -> None:
    if access.site_role(_project(id_project).id_site) != ADMIN:
        raise forbidden("Access denied")


def requested(access: UserAccess) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """(links to add, (id_device, id_project) links to remove) of the posted body (api/links.py); as upstream, a
    project's links are replaced by a site admin of its site (checked before its list is read), and a device's
    removed from a project only by a site admin of the project's site."""

    def authorize(form: str, row_id: int) -> None:
        if form == "project":
            _require_site_admin(access, row_id)

    asked = FORMS.parse(prepare=resolve_device_uuid, authorize=authorize)
    if asked.replaced is None:
        return asked.wanted, []
    if asked.form == "device":
        for _, id_project in asked.stale:
            _require_site_admin(access, id_project)
    return asked.missing, asked.stale


def check_added(access: UserAccess, links: list[dict[str, Any]]) -> None:
    for link in links:
        project = _project(link["id_project"])
        if access.site_role(project.id_site) != ADMIN:
            raise forbidden("Access denied")
        if TeraDeviceSite.get_device_site_id_for_device_and_site(link["id_device"], project.id_site) is None:
            raise forbidden("At least one device is not part of the allowed device for that project site")


def removal_blocked(exc: SQLAlchemyError) -> str:
    reason = str(getattr(exc, "orig", "") or "")
    if "t_participants" in reason:
        return BLOCKED_BY_PARTICIPANTS
    if "t_sessions" in reason:
        return BLOCKED_BY_SESSIONS
    return REMOVAL_BLOCKED


class UserQueryDeviceProjects(UserResource):
    @ns.doc(
        description="Device-project links of a device (id_device) or a project (id_project).",
        responses={200: "Success - a list", 400: "No id or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get device-project links."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        links = selected_links(access, args)
        visible = set(access.accessible_participants_ids()) if args["list"] is None else set()
        return [link_json(link, args, visible) for link in links]

    @ns.doc(
        description='Link devices and projects: {"device": {id_device, projects: [{id_project}]}} or {"project": '
        '{id_project, devices: [{id_device}]}} (both replace), or {"device_project": obj | list} (adds).',
        responses={200: "Success - the links added", 400: "Bad body or removal blocked", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / replace device-project links."""
        access = UserAccess(g.current_user)
        added, removed = requested(access)
        check_added(access, added)
        with database_write("device-project link", in_use=removal_blocked):
            for id_device, id_project in removed:
                TeraDeviceProject.delete_with_ids(device_id=id_device, project_id=id_project, autocommit=False)
            TeraDeviceProject.commit()
            for item in added:
                if "id_device_project" not in item:
                    existing = TeraDeviceProject.get_device_project_id_for_device_and_project(
                        device_id=item["id_device"], project_id=item["id_project"]
                    )
                    item["id_device_project"] = existing.id_device_project if existing else 0
                if not isinstance(item["id_device_project"], int) or item["id_device_project"] <= 0:
                    link = unsaved(item["id_device"], item["id_project"])
                    link = TeraDeviceProject.insert(link)
                    item["id_device_project"] = link.id_device_project
        return added

    @ns.doc(
        description="Delete a device-project link by its own id (admin of the project and of the device).",
        responses={200: "Success", 400: "Not found or still used", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a device-project link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraDeviceProject.get_device_project_by_id(args["id"])
        if link is None:
            raise ClientError("Not found")
        access = UserAccess(g.current_user)
        if link.id_project not in access.accessible_projects_ids(
            admin_only=True
        ) or link.id_device not in access.accessible_devices_ids(admin_only=True):
            raise forbidden()
        with database_write("device-project link", in_use=removal_blocked):
            TeraDeviceProject.delete(id_todel=link.id_device_project)
        return "", 200
