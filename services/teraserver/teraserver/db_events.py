"""Database events and the Redis service registry, driven by SQLAlchemy session hooks.

Whatever code path changes a row (a model's insert/update/delete helpers, cascades, soft deletes), the
session's flush tells us. At flush we record, for the model types of the package's EventNameClassMap, the
model's own create/update/delete event JSON; once the transaction commits we publish each one as
TeraEvent(DatabaseEvent) on `module.TeraServer.DatabaseModule.events.<type>` and apply `service` events to
the `service.<key>` entries. A rolled-back transaction publishes nothing.

Deviation: upstream publishes from mapper hooks at flush time, i.e. before the commit (a subscriber could
read the database and not find the row yet); we publish after the commit.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from google.protobuf.any_pb2 import Any as AnyMessage
from opentera.db.models import EventNameClassMap
from opentera.db.models.TeraService import TeraService
from opentera.messages.python.DatabaseEvent_pb2 import DatabaseEvent
from opentera.messages.python.TeraEvent_pb2 import TeraEvent
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from teraserver import service_registry

log = logging.getLogger("teraserver.db_events")

EVENT_TOPIC_PREFIX = "module.TeraServer.DatabaseModule.events."
_PENDING = "teraserver_db_events"
_EVENT_NAMES: dict[type, str] = {cls: name for name, cls in EventNameClassMap.items()}

_client: redis.Redis | None = None


@dataclass(frozen=True)
class PendingEvent:
    kind: int  # DatabaseEvent.DB_CREATE / DB_UPDATE / DB_DELETE
    object_type: str
    value: dict[str, Any]
    previous_service_key: str | None = None  # a service renamed its key: the old entry must go


def install(client: redis.Redis) -> None:
    """Start publishing for every Session of this process (idempotent)."""
    global _client
    _client = client
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def topic_for(object_type: str) -> str:
    return EVENT_TOPIC_PREFIX + object_type


def build_event(pending: PendingEvent) -> TeraEvent:
    db_event = DatabaseEvent()
    db_event.type = pending.kind
    db_event.object_type = pending.object_type
    db_event.object_value = json.dumps(pending.value)
    message = TeraEvent()
    message.header.version = 1
    message.header.time = time.time()
    message.header.topic = topic_for(pending.object_type)
    packed = AnyMessage()
    packed.Pack(db_event)
    message.events.append(packed)
    return message


def _record(session: Session, obj: Any, kind: int) -> None:
    name = _EVENT_NAMES.get(type(obj))
    if name is None:
        return
    if kind == DatabaseEvent.DB_CREATE:
        value = obj.to_json_create_event()
    elif kind == DatabaseEvent.DB_UPDATE:
        value = obj.to_json_update_event()
    else:
        value = obj.to_json_delete_event()
    if value is None:  # the model publishes no such event
        return
    previous_key = None
    if isinstance(obj, TeraService) and kind == DatabaseEvent.DB_UPDATE:
        history = inspect(obj).attrs.service_key.history
        if history.deleted and history.deleted[0] != obj.service_key:
            previous_key = history.deleted[0]
    session.info.setdefault(_PENDING, []).append(PendingEvent(kind, name, value, previous_key))


def _after_flush(session: Session, flush_context: Any) -> None:
    try:
        for obj in session.new:
            _record(session, obj, DatabaseEvent.DB_CREATE)
        for obj in session.dirty:
            if session.is_modified(obj, include_collections=False):
                _record(session, obj, DatabaseEvent.DB_UPDATE)
        for obj in session.deleted:
            _record(session, obj, DatabaseEvent.DB_DELETE)
    except Exception:  # an event must never break the write it describes
        log.exception("could not build a database event")


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)


def _after_commit(session: Session) -> None:
    pending: list[PendingEvent] = session.info.pop(_PENDING, [])
    if not pending or _client is None:
        return
    try:
        publish(_client, pending)
    except redis.RedisError:
        log.exception("could not publish database events", extra={"count": len(pending)})


def publish(client: redis.Redis, pending: list[PendingEvent]) -> None:
    with client.pipeline(transaction=False) as pipe:
        for item in pending:
            if item.object_type == "service":
                if item.previous_service_key:
                    service_registry.remove(pipe, item.previous_service_key)
                if item.kind == DatabaseEvent.DB_DELETE:
                    service_registry.remove(pipe, item.value.get("service_key"))
                else:
                    service_registry.apply_service_json(pipe, item.value)
            pipe.publish(topic_for(item.object_type), build_event(item).SerializeToString())
        pipe.execute()
