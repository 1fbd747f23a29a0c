"""The UserManager module: presence and session events, its RPC methods, and disconnect orders.

Upstream's UserManagerModule, in the websocket process:

* RPC on `module.TeraServer.UserManagerModule.rpc`: `online_<kind>s` (list of uuids), `busy_<kind>s` (uuid ->
  session uuid), `status_<kind>s` (uuid -> {online, busy}, devices add `status`), and
  `update_device_status(uuid, status, timestamp)` (recorded for an online device only; the answer is
  `{uuid, status, timestamp}`, or null for an offline device; a DEVICE_STATUS_CHANGED event follows).
* Messages on `module.TeraServer.UserManagerModule.messages` (TeraModuleMessage, what services such as a video
  service send): JoinSessionEvent marks its users, participants and devices busy in that session;
  StopSessionEvent frees everyone busy in it; LeaveSessionEvent frees the ones leaving; a JoinSessionReplyEvent
  other than "accepted" frees the one who replied. Each change is a USER/PARTICIPANT/DEVICE JOINED_SESSION or
  LEFT_SESSION event on `module.TeraServer.UserManagerModule.events`, carrying names read from the database.
* Connections: a socket opening or closing publishes CONNECTED / DISCONNECTED on the same topic (a device
  going offline also loses its recorded status).
* Redis that lost TeraServer's state (a FLUSHALL, a Redis restarted without its data): the token keys and the
  `service.*` entries are written back (checked every 5 s by the websocket process's upkeep).
* Database events of users, participants and devices: one disabled, soft-deleted or deleted gets a disconnect
  order on `module.TeraServer.TwistedModule.events.<uuid>`, which closes its sockets.

The state itself lives in Redis (teraserver.presence), so any process can answer from it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from flask import Flask
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraUser import TeraUser
from opentera.messages.python.DatabaseEvent_pb2 import DatabaseEvent
from opentera.messages.python.DeviceEvent_pb2 import DeviceEvent
from opentera.messages.python.JoinSessionEvent_pb2 import JoinSessionEvent
from opentera.messages.python.JoinSessionReplyEvent_pb2 import JoinSessionReplyEvent
from opentera.messages.python.LeaveSessionEvent_pb2 import LeaveSessionEvent
from opentera.messages.python.ParticipantEvent_pb2 import ParticipantEvent
from opentera.messages.python.StopSessionEvent_pb2 import StopSessionEvent
from opentera.messages.python.UserEvent_pb2 import UserEvent

from teraserver import presence, redis_state, server_settings
from teraserver.realtime import messages
from teraserver.realtime.filters import Owner

log = logging.getLogger("teraserver.user_manager")

_CONNECTED = {
    "user": (UserEvent.USER_CONNECTED, UserEvent.USER_DISCONNECTED),
    "participant": (ParticipantEvent.PARTICIPANT_CONNECTED, ParticipantEvent.PARTICIPANT_DISCONNECTED),
    "device": (DeviceEvent.DEVICE_CONNECTED, DeviceEvent.DEVICE_DISCONNECTED),
}
_SESSION = {
    "user": (UserEvent.USER_JOINED_SESSION, UserEvent.USER_LEFT_SESSION),
    "participant": (ParticipantEvent.PARTICIPANT_JOINED_SESSION, ParticipantEvent.PARTICIPANT_LEFT_SESSION),
    "device": (DeviceEvent.DEVICE_JOINED_SESSION, DeviceEvent.DEVICE_LEFT_SESSION),
}


def presence_event(owner: Owner, event_type: int) -> UserEvent | ParticipantEvent | DeviceEvent:
    """The User/Participant/DeviceEvent upstream builds for one client, names included."""
    if owner.kind == "user":
        return UserEvent(user_uuid=owner.uuid, type=event_type, user_fullname=owner.name)
    if owner.kind == "participant":
        return ParticipantEvent(
            participant_uuid=owner.uuid,
            type=event_type,
            participant_name=owner.name,
            participant_project_name=owner.project_name,
            participant_site_name=owner.site_name,
        )
    return DeviceEvent(device_uuid=owner.uuid, type=event_type, device_name=owner.name)


def find_owner(kind: str, owner_uuid: str) -> Owner | None:
    """The client of that kind and uuid with the names its events carry (inside an app context)."""
    if kind == "user":
        user = TeraUser.get_user_by_uuid(owner_uuid)
        return Owner("user", owner_uuid, user.get_fullname()) if user else None
    if kind == "participant":
        participant = TeraParticipant.get_participant_by_uuid(owner_uuid)
        if participant is None:
            return None
        project = participant.participant_project
        return Owner(
            "participant",
            owner_uuid,
            participant.participant_name,
            project.project_name,
            project.project_site.site_name,
        )
    device = TeraDevice.get_device_by_uuid(owner_uuid)
    return Owner("device", owner_uuid, device.device_name) if device else None


class UserManager:
    """Synchronous: runs on the subscriber thread and, for the socket side, on the database thread pool."""

    def __init__(self, client: redis.Redis, app: Flask, deployment_id: str = "") -> None:
        self.client = client
        self.app = app
        # TERASERVER_DEPLOYMENT_ID: keys restored after a wipe belong to this deployment (issue 19).
        self.deployment_id = deployment_id

    @contextmanager
    def database(self) -> Iterator[None]:
        with self.app.app_context():
            try:
                yield
            finally:
                self.app.extensions["sqlalchemy"].session.remove()

    def publish(self, *events: Any) -> None:
        event = messages.tera_event(messages.USER_MANAGER_EVENTS, *events)
        self.client.publish(messages.USER_MANAGER_EVENTS, event.SerializeToString())

    # --- connections --------------------------------------------------------------------------------------
    def connected(self, owner: Owner) -> None:
        self.publish(presence_event(owner, _CONNECTED[owner.kind][0]))

    def disconnected(self, owner: Owner) -> None:
        if owner.kind == "device":
            presence.clear_device_status(self.client, owner.uuid)
        self.publish(presence_event(owner, _CONNECTED[owner.kind][1]))

    def swept(self, kind: str, owner_uuid: str) -> None:
        """A socket whose process died: report its owner offline, as if it had closed."""
        with self.database():
            owner = find_owner(kind, owner_uuid) or Owner(kind, owner_uuid)
        self.disconnected(owner)

    # --- Redis state ---------------------------------------------------------------------------------------
    def restore_redis_state(self) -> list[str]:
        """After a FLUSHALL (or a Redis that lost its data): token keys and `service.*` entries written back."""
        if not redis_state.missing_token_keys(self.client):
            return []
        with self.database():
            static = server_settings.read_static_keys()
            keys = redis_state.token_keys(static.device_token_key, static.participant_token_key)
            services = TeraService.query.execution_options(include_deleted=True).all()
            return redis_state.restore_state(self.client, keys, services, self.deployment_id)

    # --- sessions -----------------------------------------------------------------------------------------
    def set_in_session(self, kind: str, session_uuid: str, uuids: list[str], joined: bool) -> None:
        for owner_uuid in uuids:
            if joined:
                presence.join_session(self.client, kind, owner_uuid, session_uuid)
            else:
                presence.leave_session(self.client, kind, owner_uuid, session_uuid)
            with self.database():
                owner = find_owner(kind, owner_uuid) or Owner(kind, owner_uuid)
            self.publish(presence_event(owner, _SESSION[kind][0 if joined else 1]))

    def on_module_message(self, channel: str, payload: bytes) -> None:
        message = messages.parse_module_message(payload)
        if message is None:
            log.warning("ignored a message that is not a TeraModuleMessage", extra={"topic": channel})
            return
        for packed in message.data:
            join, stop, leave, reply = (
                JoinSessionEvent(),
                StopSessionEvent(),
                LeaveSessionEvent(),
                JoinSessionReplyEvent(),
            )
            if packed.Unpack(join):
                self.set_in_session("user", join.session_uuid, list(join.session_users), True)
                self.set_in_session("participant", join.session_uuid, list(join.session_participants), True)
                self.set_in_session("device", join.session_uuid, list(join.session_devices), True)
            elif packed.Unpack(stop):
                for kind in presence.KINDS:
                    self.set_in_session(
                        kind, stop.session_uuid, presence.in_session(self.client, kind, stop.session_uuid), False
                    )
            elif packed.Unpack(leave):
                self.set_in_session("user", leave.session_uuid, list(leave.leaving_users), False)
                self.set_in_session("participant", leave.session_uuid, list(leave.leaving_participants), False)
                self.set_in_session("device", leave.session_uuid, list(leave.leaving_devices), False)
            elif packed.Unpack(reply) and reply.join_reply != JoinSessionReplyEvent.REPLY_ACCEPTED:
                for kind, owner_uuid in (
                    ("user", reply.user_uuid),
                    ("participant", reply.participant_uuid),
                    ("device", reply.device_uuid),
                ):
                    if owner_uuid:
                        self.set_in_session(kind, reply.session_uuid, [owner_uuid], False)

    # --- database events ----------------------------------------------------------------------------------
    def on_database_event(self, channel: str, payload: bytes) -> None:
        kind = channel.rsplit(".", 1)[-1]
        message = messages.parse_event(payload)
        if kind not in presence.KINDS or message is None:
            return
        for packed in message.events:
            event = DatabaseEvent()
            if not packed.Unpack(event):
                continue
            try:
                row = json.loads(event.object_value)
                owner_uuid = row[f"{kind}_uuid"]
            except (ValueError, KeyError, TypeError):
                log.warning("ignored a database event without a uuid", extra={"topic": channel})
                continue
            gone = event.type == DatabaseEvent.DB_DELETE
            disabled = event.type == DatabaseEvent.DB_UPDATE and (
                row.get(f"{kind}_enabled") is False or "deleted_at" in row
            )
            if gone or disabled:
                messages.send_disconnect(self.client, owner_uuid)

    # --- RPC ----------------------------------------------------------------------------------------------
    def update_device_status(self, device_uuid: str = "", status: str = "", timestamp: Any = 0) -> Any:
        entry = presence.set_device_status(self.client, device_uuid, status, timestamp)
        if entry is None:
            return None
        with self.database():
            device = TeraDevice.get_device_by_uuid(device_uuid)
            name = device.device_name if device else ""
        self.publish(
            DeviceEvent(
                device_uuid=device_uuid,
                device_name=name,
                device_status=json.dumps(entry),
                type=DeviceEvent.DEVICE_STATUS_CHANGED,
            )
        )
        return {"uuid": device_uuid, "status": status, "timestamp": timestamp}

    def rpc_methods(self) -> dict[str, Callable[..., Any]]:
        methods: dict[str, Callable[..., Any]] = {"update_device_status": self.update_device_status}
        for kind in presence.KINDS:
            methods[f"online_{kind}s"] = lambda kind=kind: presence.online(self.client, kind)
            methods[f"busy_{kind}s"] = lambda kind=kind: presence.busy(self.client, kind)
            methods[f"status_{kind}s"] = lambda kind=kind: presence.status(self.client, kind)
        return methods
