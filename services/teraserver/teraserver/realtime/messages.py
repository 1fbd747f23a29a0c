"""The protobuf messages of the real-time side, built and read as upstream's modules do.

* Presence and session events are `TeraEvent{header{version 1, time, topic}, events[Any(...)]}` published on
  `module.TeraServer.UserManagerModule.events` (what services such as a video service listen to).
* A client receives `TeraMessage{message: Any(TeraEvent)}` as JSON: protobuf's JSON mapping (lowerCamelCase
  names, `@type` on each Any, fields at their default value printed, two-space indent), the text upstream's
  clients (OpenTeraPlus, the participant web pages) parse.
* A disconnect order is `TeraModuleMessage{data[Any(ServerCommand{CMD_CLIENT_DISCONNECT})]}` on
  `module.TeraServer.TwistedModule.events.<uuid>`.
"""

from __future__ import annotations

import time
from typing import Any

from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.json_format import MessageToJson
from google.protobuf.message import DecodeError, Message
from opentera.messages.python.ServerCommand_pb2 import ServerCommand
from opentera.messages.python.TeraEvent_pb2 import TeraEvent
from opentera.messages.python.TeraMessage_pb2 import TeraMessage
from opentera.messages.python.TeraModuleMessage_pb2 import TeraModuleMessage

USER_MANAGER_MODULE = "TeraServer.UserManagerModule"
USER_MANAGER_EVENTS = f"module.{USER_MANAGER_MODULE}.events"
USER_MANAGER_MESSAGES = f"module.{USER_MANAGER_MODULE}.messages"
DISCONNECT_TOPIC_PREFIX = "module.TeraServer.TwistedModule.events."
DISCONNECT_TOPIC = DISCONNECT_TOPIC_PREFIX + "{uuid}"
# The sender named in the head of a disconnect order: upstream's web module, which sends them.
DISCONNECT_SOURCE = "module.TeraServer.FlaskModule.messages"
DATABASE_EVENTS_PREFIX = "module.TeraServer.DatabaseModule.events."
# The one service whose events upstream forwards to every user, participant and device socket (archive ready).
FILE_TRANSFER_EVENTS = "service.FileTransferService.events"
CLIENT_EVENTS = "websocket.{kind}.{uuid}.events"
# Close code and reason of a socket closed on a disconnect order, as upstream.
DISCONNECT_CODE = 4000
DISCONNECT_REASON = "CMD_CLIENT_DISCONNECT"


def tera_event(topic: str, *events: Message) -> TeraEvent:
    message = TeraEvent()
    message.header.version = 1
    message.header.time = time.time()
    message.header.topic = topic
    for event in events:
        packed = AnyMessage()
        packed.Pack(event)
        message.events.append(packed)
    return message


def parse_event(payload: bytes | str) -> TeraEvent | None:
    message = TeraEvent()
    try:
        message.ParseFromString(payload.encode() if isinstance(payload, str) else payload)
    except DecodeError:
        return None
    return message


def parse_module_message(payload: bytes | str) -> TeraModuleMessage | None:
    message = TeraModuleMessage()
    try:
        message.ParseFromString(payload.encode() if isinstance(payload, str) else payload)
    except DecodeError:
        return None
    return message


def disconnect_order(target_uuid: str) -> bytes:
    message = TeraModuleMessage()
    message.head.version = 1
    message.head.time = time.time()
    message.head.seq = 0
    message.head.source = DISCONNECT_SOURCE
    message.head.dest = DISCONNECT_TOPIC.format(uuid=target_uuid)
    command = ServerCommand()
    command.type = ServerCommand.CMD_CLIENT_DISCONNECT
    packed = AnyMessage()
    packed.Pack(command)
    message.data.append(packed)
    return message.SerializeToString()


def send_disconnect(client: Any, target_uuid: str) -> None:
    """Order every socket of that user, participant or device closed (code 4000), wherever it is held."""
    client.publish(DISCONNECT_TOPIC.format(uuid=target_uuid), disconnect_order(target_uuid))


def is_disconnect_order(message: TeraModuleMessage) -> bool:
    command = ServerCommand()
    return any(
        packed.Unpack(command) and command.type == ServerCommand.CMD_CLIENT_DISCONNECT for packed in message.data
    )


def client_json(event: TeraEvent) -> str:
    """What a client's socket receives for a (filtered) TeraEvent."""
    wrapper = TeraMessage()
    wrapper.message.Pack(event)
    return MessageToJson(wrapper, always_print_fields_with_no_presence=True)
