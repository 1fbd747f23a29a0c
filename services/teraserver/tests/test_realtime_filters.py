"""Which events reach which socket (teraserver.realtime.filters), rule by rule, with the database answers given."""

from __future__ import annotations

import asyncio

from google.protobuf.any_pb2 import Any as AnyMessage
from opentera.messages.python.ArchiveEvent_pb2 import ArchiveEvent
from opentera.messages.python.DatabaseEvent_pb2 import DatabaseEvent
from opentera.messages.python.DeviceEvent_pb2 import DeviceEvent
from opentera.messages.python.JoinSessionEvent_pb2 import JoinSessionEvent
from opentera.messages.python.JoinSessionReplyEvent_pb2 import JoinSessionReplyEvent
from opentera.messages.python.LeaveSessionEvent_pb2 import LeaveSessionEvent
from opentera.messages.python.ParticipantEvent_pb2 import ParticipantEvent
from opentera.messages.python.StopSessionEvent_pb2 import StopSessionEvent
from opentera.messages.python.UserEvent_pb2 import UserEvent

from teraserver.realtime import messages
from teraserver.realtime.filters import Owner, Visible, filter_event

USER = Owner("user", "u-me", "Me Myself")
PARTICIPANT = Owner("participant", "p-me", "P", "Project", "Site")
DEVICE = Owner("device", "d-me", "Robot")


class Answers:
    """Database answers: who each owner may see, and which sessions each owner is a member of."""

    def __init__(self, visible: Visible | None = None, sessions: set[str] | None = None) -> None:
        self._visible = visible or Visible()
        self._sessions = sessions or set()
        self.questions = 0

    async def visible(self, owner: Owner) -> Visible:
        self.questions += 1
        return self._visible

    async def in_session(self, owner: Owner, session_uuid: str) -> bool:
        self.questions += 1
        return session_uuid in self._sessions


def kept(owner: Owner, answers: Answers, *events: object) -> list[str]:
    """Type names of the events the owner receives out of one TeraEvent carrying `events`."""
    result = asyncio.run(filter_event(owner, messages.tera_event("t", *events), answers))
    return [] if result is None else [packed.TypeName().rsplit(".", 1)[-1] for packed in result.events]


def test_user_sees_presence_of_whom_it_may_access_only() -> None:
    answers = Answers(Visible(users={"u-other"}, participants={"p-1"}, devices={"d-1"}))
    assert kept(USER, answers, UserEvent(user_uuid="u-other")) == ["UserEvent"]
    assert kept(USER, answers, UserEvent(user_uuid="u-stranger")) == []
    assert kept(USER, answers, ParticipantEvent(participant_uuid="p-1")) == ["ParticipantEvent"]
    assert kept(USER, answers, ParticipantEvent(participant_uuid="p-2")) == []
    assert kept(USER, answers, DeviceEvent(device_uuid="d-1")) == ["DeviceEvent"]
    assert kept(USER, answers, DeviceEvent(device_uuid="d-2")) == []


def test_participant_and_device_see_their_own_and_their_links() -> None:
    participant_answers = Answers(Visible(devices={"d-linked"}))
    assert kept(PARTICIPANT, participant_answers, ParticipantEvent(participant_uuid="p-me")) == ["ParticipantEvent"]
    assert kept(PARTICIPANT, participant_answers, ParticipantEvent(participant_uuid="p-other")) == []
    assert kept(PARTICIPANT, participant_answers, DeviceEvent(device_uuid="d-linked")) == ["DeviceEvent"]
    assert kept(PARTICIPANT, participant_answers, DeviceEvent(device_uuid="d-other")) == []
    assert kept(PARTICIPANT, participant_answers, UserEvent(user_uuid="u-any")) == []

    device_answers = Answers(Visible(participants={"p-linked"}))
    assert kept(DEVICE, device_answers, DeviceEvent(device_uuid="d-me")) == ["DeviceEvent"]
    assert kept(DEVICE, device_answers, DeviceEvent(device_uuid="d-other")) == []
    assert kept(DEVICE, device_answers, ParticipantEvent(participant_uuid="p-linked")) == ["ParticipantEvent"]
    assert kept(DEVICE, device_answers, ParticipantEvent(participant_uuid="p-other")) == []
    assert kept(DEVICE, device_answers, UserEvent(user_uuid="u-any")) == []


def test_join_session_reaches_the_invited_only() -> None:
    invite = JoinSessionEvent(session_uuid="s", session_users=["u-me"], session_participants=["p-me"])
    assert kept(USER, Answers(), invite) == ["JoinSessionEvent"]
    assert kept(PARTICIPANT, Answers(), invite) == ["JoinSessionEvent"]
    assert kept(DEVICE, Answers(), invite) == []


def test_leave_and_replies_need_session_membership_and_replies_skip_their_author() -> None:
    member = Answers(sessions={"s"})
    assert kept(USER, member, LeaveSessionEvent(session_uuid="s")) == ["LeaveSessionEvent"]
    assert kept(USER, Answers(), LeaveSessionEvent(session_uuid="s")) == []
    assert kept(USER, member, JoinSessionReplyEvent(session_uuid="s", user_uuid="u-other")) == ["JoinSessionReplyEvent"]
    assert kept(USER, member, JoinSessionReplyEvent(session_uuid="s", user_uuid="u-me")) == []
    assert kept(DEVICE, member, JoinSessionReplyEvent(session_uuid="s", device_uuid="d-me")) == []
    assert kept(DEVICE, Answers(), JoinSessionReplyEvent(session_uuid="s")) == []


def test_stop_always_archives_own_database_and_unknown_never() -> None:
    for owner in (USER, PARTICIPANT, DEVICE):
        assert kept(owner, Answers(), StopSessionEvent(session_uuid="s")) == ["StopSessionEvent"]
        assert kept(owner, Answers(), ArchiveEvent(owner_uuid=owner.uuid)) == ["ArchiveEvent"]
        assert kept(owner, Answers(), ArchiveEvent(owner_uuid="someone-else")) == []
        assert kept(owner, Answers(), DatabaseEvent(object_type="user")) == []
        unknown = AnyMessage(type_url="type.googleapis.com/some.Unknown", value=b"")
        message = messages.tera_event("t")
        message.events.append(unknown)
        assert asyncio.run(filter_event(owner, message, Answers())) is None


def test_mixed_event_keeps_only_the_allowed_parts_and_header() -> None:
    answers = Answers(Visible(users={"u-other"}))
    message = messages.tera_event("topic.x", UserEvent(user_uuid="u-other"), UserEvent(user_uuid="u-stranger"))
    result = asyncio.run(filter_event(USER, message, answers))
    assert result is not None and result.header.topic == "topic.x" and len(result.events) == 1
    event = UserEvent()
    result.events[0].Unpack(event)
    assert event.user_uuid == "u-other"


def test_client_json_is_upstreams_wire_form() -> None:
    text = messages.client_json(messages.tera_event("t", JoinSessionEvent(session_uuid="s", session_users=["u"])))
    assert '"@type": "type.googleapis.com/opentera.protobuf.TeraEvent"' in text
    assert '"@type": "type.googleapis.com/opentera.protobuf.JoinSessionEvent"' in text
    # lowerCamelCase names, and fields left at their default printed too
    assert '"sessionUsers": [\n' in text and '"sessionUrl": ""' in text and '"sessionParticipants": []' in text


def test_disconnect_order_round_trip() -> None:
    order = messages.parse_module_message(messages.disconnect_order("uuid-1"))
    assert order is not None and messages.is_disconnect_order(order)
    assert order.head.dest == "module.TeraServer.TwistedModule.events.uuid-1"
    assert not messages.is_disconnect_order(messages.parse_module_message(b""))
