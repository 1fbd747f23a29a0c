"""Who is online, who is busy in which session, and each online device's status: state kept in Redis.

Upstream keeps this in the memory of its one UserManager module. Ours lives in Redis so that every process of
the server (the web workers answering `*/online`, the websocket process, the UserManager RPC responder) and
every replica read the same state, and so that a crashed process cannot leave a client online for ever:

* `TeraServer.presence.<kind>` (kind: user, participant, device): a sorted set with one member per open
  websocket, `<uuid> <connection id>`, scored with the time (epoch seconds) until which it counts. The process
  holding the socket pushes that time forward every `refresh` seconds; a member whose time has passed (its
  process died without closing) is swept and reported offline. Online = at least one live member.
* `TeraServer.busy.<kind>`: a hash uuid -> session uuid (JoinSession / StopSession / LeaveSession events).
  As upstream, going offline does not clear it: an offline client can still be invited into a session.
* `TeraServer.device_status`: a hash device uuid -> JSON `{"status", "timestamp"}`, only for online devices
  (set through the `update_device_status` RPC, removed when the device goes offline), as upstream.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

KINDS = ("user", "participant", "device")
PRESENCE_KEY = "TeraServer.presence.{kind}"
BUSY_KEY = "TeraServer.busy.{kind}"
DEVICE_STATUS_KEY = "TeraServer.device_status"


def _member(owner_uuid: str, connection_id: str) -> str:
    return f"{owner_uuid} {connection_id}"


def _owner(member: bytes | str) -> str:
    text = member.decode() if isinstance(member, bytes) else member
    return text.split(" ", 1)[0]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def add_connection(client: redis.Redis, kind: str, owner_uuid: str, connection_id: str, lifetime: float) -> None:
    client.zadd(PRESENCE_KEY.format(kind=kind), {_member(owner_uuid, connection_id): time.time() + lifetime})


def remove_connection(client: redis.Redis, kind: str, owner_uuid: str, connection_id: str) -> bool:
    """Forget one socket; True when it was still recorded (so its owner's DISCONNECTED is ours to send)."""
    return bool(client.zrem(PRESENCE_KEY.format(kind=kind), _member(owner_uuid, connection_id)))


def refresh_connections(
    client: redis.Redis, connections: list[tuple[str, str, str]], lifetime: float
) -> list[tuple[str, str, str]]:
    """Push forward the time until which these (kind, uuid, connection id) sockets count as live.

    Returns the ones that were no longer recorded and are again: swept while their process stalled, or wiped
    with the rest of Redis. Their owners were reported offline (or the record is gone): report them online.
    """
    until = time.time() + lifetime
    pipe = client.pipeline(transaction=False)
    for kind, owner_uuid, connection_id in connections:
        pipe.zadd(PRESENCE_KEY.format(kind=kind), {_member(owner_uuid, connection_id): until})
    added = pipe.execute()
    return [connection for connection, new in zip(connections, added, strict=True) if new]


def sweep_expired(client: redis.Redis, kind: str) -> list[str]:
    """Remove the sockets of processes that stopped refreshing; the uuids this call removed (once each)."""
    key = PRESENCE_KEY.format(kind=kind)
    removed = []
    for member in client.zrangebyscore(key, "-inf", time.time()):
        # ZREM answers 1 to one caller only: two sweeping processes never both report the same socket.
        if client.zrem(key, member):
            removed.append(_owner(member))
    return removed


def online(client: redis.Redis, kind: str) -> list[str]:
    """uuids with at least one live socket, in the order they connected."""
    members = client.zrangebyscore(PRESENCE_KEY.format(kind=kind), time.time(), "+inf")
    return list(dict.fromkeys(_owner(member) for member in members))


def is_online(client: redis.Redis, kind: str, owner_uuid: str) -> bool:
    return owner_uuid in online(client, kind)


def busy(client: redis.Redis, kind: str) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in client.hgetall(BUSY_KEY.format(kind=kind)).items()}


def join_session(client: redis.Redis, kind: str, owner_uuid: str, session_uuid: str) -> None:
    # Upstream keeps the first session a client joined: a second join does not move it.
    client.hsetnx(BUSY_KEY.format(kind=kind), owner_uuid, session_uuid)


def leave_session(client: redis.Redis, kind: str, owner_uuid: str, session_uuid: str) -> None:
    key = BUSY_KEY.format(kind=kind)
    current = client.hget(key, owner_uuid)
    if current is not None and _text(current) == session_uuid:
        client.hdel(key, owner_uuid)


def in_session(client: redis.Redis, kind: str, session_uuid: str) -> list[str]:
    return [owner for owner, session in busy(client, kind).items() if session == session_uuid]


def status(client: redis.Redis, kind: str) -> dict[str, dict[str, Any]]:
    """UserManager's `status_<kind>s` answer: uuid -> {online, busy} (devices add `status`) for online or busy.

    The sets are read as online(), busy() and device_status_all() read them, in one round trip (a list of
    participants reads them at every request; issue 14)."""
    with client.pipeline(transaction=False) as pipe:
        queue_status(pipe, kind)
        return status_from(kind, pipe.execute())


def queue_status(pipe: Any, kind: str) -> None:
    """The reads of status(), queued on `pipe` (a direct answer adds them to its token check's; api/direct.py)."""
    pipe.zrangebyscore(PRESENCE_KEY.format(kind=kind), time.time(), "+inf")
    pipe.hgetall(BUSY_KEY.format(kind=kind))
    if kind == "device":
        pipe.hgetall(DEVICE_STATUS_KEY)


def status_from(kind: str, replies: list[Any]) -> dict[str, dict[str, Any]]:
    """status()'s answer from the replies queue_status() queued, in that order."""
    members, busy_hash, *device_hash = replies
    online_now = {_owner(member) for member in members}
    busy_now = {_text(k): _text(v) for k, v in busy_hash.items()}
    device_statuses = {_text(k): json.loads(v) for k, v in device_hash[0].items()} if device_hash else {}
    result: dict[str, dict[str, Any]] = {}
    for owner_uuid in online_now | set(busy_now):
        entry: dict[str, Any] = {"online": owner_uuid in online_now, "busy": owner_uuid in busy_now}
        if kind == "device":
            entry["status"] = device_statuses.get(owner_uuid)
        result[owner_uuid] = entry
    return result


def set_device_status(client: redis.Redis, device_uuid: str, value: str, timestamp: int) -> dict[str, Any] | None:
    """Record an online device's status; None (nothing recorded) for an offline one, as upstream."""
    if not is_online(client, "device", device_uuid):
        return None
    entry = {"status": value, "timestamp": timestamp}
    client.hset(DEVICE_STATUS_KEY, device_uuid, json.dumps(entry))
    return entry


def clear_device_status(client: redis.Redis, device_uuid: str) -> None:
    client.hdel(DEVICE_STATUS_KEY, device_uuid)


def device_status_all(client: redis.Redis) -> dict[str, Any]:
    return {_text(k): json.loads(v) for k, v in client.hgetall(DEVICE_STATUS_KEY).items()}
