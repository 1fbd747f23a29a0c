"""Database event messages and `service.<key>` decisions (no database or Redis needed)."""

from __future__ import annotations

import json

from opentera.messages.python.DatabaseEvent_pb2 import DatabaseEvent
from opentera.messages.python.TeraEvent_pb2 import TeraEvent

from teraserver import db_events, service_registry


class RecordingPipe:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def set(self, *args: object) -> None:
        self.calls.append(("set", args))

    def delete(self, *args: object) -> None:
        self.calls.append(("delete", args))


def test_event_is_a_tera_event_wrapping_a_database_event() -> None:
    pending = db_events.PendingEvent(DatabaseEvent.DB_UPDATE, "service", {"id_service": 5, "service_key": "K"})
    raw = db_events.build_event(pending).SerializeToString()
    event = TeraEvent()
    event.ParseFromString(raw)
    assert event.header.topic == "module.TeraServer.DatabaseModule.events.service"
    [packed] = event.events
    inner = DatabaseEvent()
    assert packed.Unpack(inner)
    assert inner.type == DatabaseEvent.DB_UPDATE and inner.object_type == "service"
    assert json.loads(inner.object_value) == {"id_service": 5, "service_key": "K"}


def test_enabled_service_is_written_disabled_or_deleted_removed() -> None:
    pipe = RecordingPipe()
    service = {"service_key": "K", "service_enabled": True, "id_service": 5}
    service_registry.apply_service_json(pipe, service)
    service_registry.apply_service_json(pipe, {**service, "service_enabled": False})
    service_registry.apply_service_json(pipe, {**service, "deleted_at": "2026-01-01T00:00:00"})
    assert pipe.calls == [
        ("set", ("service.K", json.dumps(service))),
        ("delete", ("service.K",)),
        ("delete", ("service.K",)),
    ]


def test_server_row_is_never_published() -> None:
    pipe = RecordingPipe()
    service_registry.apply_service_json(pipe, {"service_key": "OpenTeraServer", "service_enabled": True})
    service_registry.remove(pipe, "OpenTeraServer")
    assert pipe.calls == []
