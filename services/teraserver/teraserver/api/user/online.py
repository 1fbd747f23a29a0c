"""/api/user/users/online, /participants/online, /devices/online: who is connected, among those the user sees.

Upstream asks its UserManager module over Redis RPC (`status_users`, `status_participants`, `status_devices`:
a dict uuid -> {"online", "busy", ...}) and keeps the uuids the user may see: users, participants and devices
of the user's access rules. Users come by first name, participants and devices by name, in their minimal form
plus `<kind>_online` and `<kind>_busy` (devices also `device_status`, the whole status dict; participants,
with `with_projects`, `id_project` and `project_name`, and with `with_sites`, `id_site` and `site_name`).

We ask the same module the same way; our UserManager (teraserver.rpc_server) answers from the presence state
shared in Redis (teraserver.presence), which the websocket process keeps: a client counts while one of its
websockets is open, and stays listed while busy in a session even once offline, as upstream. Nobody connected
or busy: every list is empty. No reply within the RPC timeout: 500 "Internal server error when making RPC
call." (upstream's message for RPC errors).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraUser import TeraUser

from teraserver import context, rpc
from teraserver.api.common import ClientError
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.rpc_server import USER_MANAGER_MODULE
from teraserver.user_access import UserAccess

RPC_FAILED = "Internal server error when making RPC call."

users_parser = reqparse.RequestParser()

participants_parser = reqparse.RequestParser()
participants_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Add each one's site")
participants_parser.add_argument("with_projects", type=inputs.boolean, location="args", help="Add each one's project")

devices_parser = reqparse.RequestParser()


def statuses(method: str) -> dict[str, dict[str, Any]]:
    """The UserManager's uuid -> status dict for one kind of client."""
    reply = rpc.call_module(context.redis_client(), USER_MANAGER_MODULE, method)
    if reply is rpc.NO_REPLY or not isinstance(reply.return_value, dict):
        raise ClientError(RPC_FAILED, 500)
    return reply.return_value


def visible_online(status: dict[str, dict[str, Any]], visible_uuids: list[str]) -> list[str]:
    return list(set(status).intersection(visible_uuids))


class UserQueryOnlineUsers(UserResource):
    @ns.doc(
        description="Connected users among those the user sees.",
        responses={200: "Success - a list", 401: "Unauthorized", 500: "No answer from the UserManager"},
    )
    @ns.expect(users_parser)
    def get(self) -> Any:
        """Get online users."""
        users_parser.parse_args(strict=True)
        status = statuses("status_users")
        if not status:
            return []
        uuids = visible_online(status, [user.user_uuid for user in UserAccess(g.current_user).accessible_users()])
        result = []
        for user in TeraUser.query.filter(TeraUser.user_uuid.in_(uuids)).order_by(TeraUser.user_firstname.asc()):
            data = user.to_json(minimal=True)
            data["user_online"] = status[user.user_uuid].get("online")
            data["user_busy"] = status[user.user_uuid].get("busy")
            result.append(data)
        return result


class UserQueryOnlineParticipants(UserResource):
    @ns.doc(
        description="Connected participants among those the user sees.",
        responses={200: "Success - a list", 401: "Unauthorized", 500: "No answer from the UserManager"},
    )
    @ns.expect(participants_parser)
    def get(self) -> Any:
        """Get online participants."""
        args = participants_parser.parse_args(strict=True)
        status = statuses("status_participants")
        if not status:
            return []
        visible = [p.participant_uuid for p in UserAccess(g.current_user).accessible_participants()]
        query = TeraParticipant.query.filter(TeraParticipant.participant_uuid.in_(visible_online(status, visible)))
        result = []
        for participant in query.order_by(TeraParticipant.participant_name.asc()):
            data = participant.to_json(minimal=True)
            if args["with_projects"]:
                data["id_project"] = participant.id_project
                data["project_name"] = participant.participant_project.project_name
            if args["with_sites"]:
                data["id_site"] = participant.participant_project.id_site
                data["site_name"] = participant.participant_project.project_site.site_name
            data["participant_online"] = status[participant.participant_uuid].get("online")
            data["participant_busy"] = status[participant.participant_uuid].get("busy")
            result.append(data)
        return result


class UserQueryOnlineDevices(UserResource):
    @ns.doc(
        description="Connected devices among those the user sees.",
        responses={200: "Success - a list", 401: "Unauthorized", 500: "No answer from the UserManager"},
    )
    @ns.expect(devices_parser)
    def get(self) -> Any:
        """Get online devices."""
        devices_parser.parse_args(strict=True)
        status = statuses("status_devices")
        if not status:
            return []
        visible = [device.device_uuid for device in UserAccess(g.current_user).accessible_devices()]
        query = TeraDevice.query.filter(TeraDevice.device_uuid.in_(visible_online(status, visible)))
        result = []
        for device in query.order_by(TeraDevice.device_name.asc()):
            data = device.to_json(minimal=True)
            data["device_online"] = status[device.device_uuid].get("online")
            data["device_busy"] = status[device.device_uuid].get("busy")
            data["device_status"] = status[device.device_uuid]
            result.append(data)
        return result
