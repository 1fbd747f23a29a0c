"""OpenTera events a test or bench publishes on Redis as a service would, encoded by hand (no protobuf package).

    raw_redis.publish(topic, tera_event(topic, time.time(), join_session_event(session_uuid, users=[user_uuid])))


Proto3 wire format: each field is a key (field number << 3 | wire type) then its value; fields at their
default value are left out, as protobuf does. Field numbers are those of the `opentera` package's messages:

  TeraEvent        { Header header = 1; repeated google.protobuf.Any events = 2; }
  TeraEvent.Header { uint32 version = 1; double time = 2; string topic = 3; }
  Any              { string type_url = 1; bytes value = 2; }
  JoinSessionEvent { string session_url = 1; string session_creator_name = 2; string session_uuid = 3;
                     repeated string session_participants = 4; repeated string session_users = 5;
                     repeated string session_devices = 6; string join_msg = 7; string session_parameters = 8;
                     string service_uuid = 9; }
  StopSessionEvent { string session_uuid = 1; string service_uuid = 2; }

What the protobuf package serializes for the same values, byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

TYPE_URL_PREFIX = "type.googleapis.com/opentera.protobuf."
VARINT, FIXED64, LENGTH_DELIMITED = 0, 1, 2


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _length_delimited(number: int, data: bytes) -> bytes:
    return _key(number, LENGTH_DELIMITED) + _varint(len(data)) + data


def _string(number: int, text: str) -> bytes:
    return _length_delimited(number, text.encode()) if text else b""


def _strings(number: int, texts: Iterable[str]) -> bytes:
    return b"".join(_length_delimited(number, text.encode()) for text in texts)


def join_session_event(
    session_uuid: str,
    participants: Iterable[str] = (),
    users: Iterable[str] = (),
    devices: Iterable[str] = (),
    *,
    session_url: str = "",
    creator: str = "",
    join_msg: str = "",
    service_uuid: str = "",
) -> tuple[str, bytes]:
    """(type name, serialized JoinSessionEvent) inviting these participants, users and devices."""
    value = b"".join(
        [
            _string(1, session_url),
            _string(2, creator),
            _string(3, session_uuid),
            _strings(4, participants),
            _strings(5, users),
            _strings(6, devices),
            _string(7, join_msg),
            _string(9, service_uuid),
        ]
    )
    return "JoinSessionEvent", value


def stop_session_event(session_uuid: str) -> tuple[str, bytes]:
    """(type name, serialized StopSessionEvent) of that session."""
    return "StopSessionEvent", _string(1, session_uuid)


def tera_event(topic: str, time: float, *events: tuple[str, bytes]) -> bytes:
    """A serialized TeraEvent (header version 1) carrying these (type name, serialized message) events."""
    header = _key(1, VARINT) + _varint(1)
    if time:
        header += _key(2, FIXED64) + struct.pack("<d", time)
    header += _string(3, topic)
    body = _length_delimited(1, header)
    for type_name, value in events:
        body += _length_delimited(2, _string(1, TYPE_URL_PREFIX + type_name) + _length_delimited(2, value))
    return body
