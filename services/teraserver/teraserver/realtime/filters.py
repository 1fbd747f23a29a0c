"""Which events a connected client may receive: upstream's per-client event managers, rule for rule.

Each event of a TeraEvent is kept or dropped on its own; a TeraEvent left with no event is not sent.

| event            | user socket                        | participant socket      | device socket            |
|------------------|------------------------------------|-------------------------|--------------------------|
| UserEvent        | users the user may access          | never                   | never                    |
| ParticipantEvent | participants the user may access   | itself only             | its linked participants  |
| DeviceEvent      | devices the user may access        | devices linked to it    | itself only              |
| JoinSession      | when invited (in session_users)    | in session_participants | in session_devices       |
| LeaveSession     | when a member of the session       | same                    | same                     |
| JoinSessionReply | member of the session, not its own | same                    | same                     |
| StopSession      | always                             | always                  | always                   |
| ArchiveEvent     | its own archives (owner_uuid)      | same                    | same                     |
| DatabaseEvent    | never                              | never                   | never                    |
| any other type   | never                              | never                   | never                    |

"Member of the session" is the session's own user / participant / device lists in the database. What a
client may access (`Visible`) comes from the database too, is cached per socket and recomputed after any
database change (the server drops every cache on each `module.TeraServer.DatabaseModule.events.*` message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from google.protobuf.any_pb2 import Any as AnyMessage
from opentera.messages.python.ArchiveEvent_pb2 import ArchiveEvent
from opentera.messages.python.DeviceEvent_pb2 import DeviceEvent
from opentera.messages.python.JoinSessionEvent_pb2 import JoinSessionEvent
from opentera.messages.python.JoinSessionReplyEvent_pb2 import JoinSessionReplyEvent
from opentera.messages.python.LeaveSessionEvent_pb2 import LeaveSessionEvent
from opentera.messages.python.ParticipantEvent_pb2 import ParticipantEvent
from opentera.messages.python.StopSessionEvent_pb2 import StopSessionEvent
from opentera.messages.python.TeraEvent_pb2 import TeraEvent
from opentera.messages.python.UserEvent_pb2 import UserEvent


@dataclass(frozen=True)
class Owner:
    """Who holds a socket: kind ("user", "participant" or "device"), uuid, and the names events carry."""

    kind: str
    uuid: str
    name: str = ""  # user full name, participant or device name
    project_name: str = ""  # participants only
    site_name: str = ""  # participants only


@dataclass
class Visible:
    """uuids of the users, participants and devices whose presence events a socket's owner may see."""

    users: set[str] = field(default_factory=set)
    participants: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)


class Lookups(Protocol):
    """The database questions the rules ask (answered off the event loop by the server)."""

    async def visible(self, owner: Owner) -> Visible: ...

    async def in_session(self, owner: Owner, session_uuid: str) -> bool: ...


async def keep(owner: Owner, packed: AnyMessage, lookups: Lookups) -> bool:
    name = packed.TypeName()
    if name == UserEvent.DESCRIPTOR.full_name:
        event = UserEvent()
        packed.Unpack(event)
        return owner.kind == "user" and event.user_uuid in (await lookups.visible(owner)).users
    if name == ParticipantEvent.DESCRIPTOR.full_name:
        event = ParticipantEvent()
        packed.Unpack(event)
        if owner.kind == "participant":
            return event.participant_uuid == owner.uuid
        return event.participant_uuid in (await lookups.visible(owner)).participants
    if name == DeviceEvent.DESCRIPTOR.full_name:
        event = DeviceEvent()
        packed.Unpack(event)
        if owner.kind == "device":
            return event.device_uuid == owner.uuid
        return event.device_uuid in (await lookups.visible(owner)).devices
    if name == JoinSessionEvent.DESCRIPTOR.full_name:
        event = JoinSessionEvent()
        packed.Unpack(event)
        invited = {
            "user": event.session_users,
            "participant": event.session_participants,
            "device": event.session_devices,
        }[owner.kind]
        return owner.uuid in invited
    if name == LeaveSessionEvent.DESCRIPTOR.full_name:
        event = LeaveSessionEvent()
        packed.Unpack(event)
        return await lookups.in_session(owner, event.session_uuid)
    if name == JoinSessionReplyEvent.DESCRIPTOR.full_name:
        event = JoinSessionReplyEvent()
        packed.Unpack(event)
        replier = {"user": event.user_uuid, "participant": event.participant_uuid, "device": event.device_uuid}
        return replier[owner.kind] != owner.uuid and await lookups.in_session(owner, event.session_uuid)
    if name == StopSessionEvent.DESCRIPTOR.full_name:
        return True
    if name == ArchiveEvent.DESCRIPTOR.full_name:
        event = ArchiveEvent()
        packed.Unpack(event)
        return event.owner_uuid == owner.uuid
    # DatabaseEvent and any type upstream's managers do not know.
    return False


async def filter_event(owner: Owner, message: TeraEvent, lookups: Lookups) -> TeraEvent | None:
    """The part of `message` the owner may receive, or None when nothing is left."""
    kept = [packed for packed in message.events if await keep(owner, packed, lookups)]
    if not kept:
        return None
    if len(kept) == len(message.events):
        return message
    result = TeraEvent()
    result.header.CopyFrom(message.header)
    result.events.extend(kept)
    return result
