"""The websocket server: `/wss/user`, `/wss/participant` and `/wss/device`, as upstream's TeraServer serves them.

Handshake: `?id=<one-time id>` handed out by a login (`websocket_url`); the id is a Redis key holding the
client's uuid for 60 s and is consumed here (GETDEL), so a URL opens one socket only. No id, an unknown or
used id, or an owner that no longer exists: 403. `/wss` itself: 403; other paths: 404. A request that is not a
websocket upgrade: 426 (the websockets library's answer).

Once open: the owner is online (teraserver.presence) and CONNECTED is published; closing, for any reason,
publishes DISCONNECTED. The socket receives, as JSON (realtime.messages.client_json), the events of
`websocket.<kind>.<uuid>.events`, of `module.TeraServer.UserManagerModule.events` and of
`service.FileTransferService.events` that its owner may see (realtime.filters). A disconnect order on
`module.TeraServer.TwistedModule.events.<uuid>` closes it with code 4000. What a client sends gets the text
"Not allowed to send message" back, as upstream answers (its sockets are server-to-client only).

A client that vanishes without closing is found by ping/pong: a ping every `ping_interval` seconds, closed
when a pong is `ping_timeout` seconds late (upstream pings every 10 s and waits 30 s, our defaults).

One asyncio loop serves every socket; one Redis connection (PSUBSCRIBE) receives every topic above and hands
each event to the sockets it concerns. Each socket has its own queue and sender task, so a slow client or a
database question for one socket never delays the others. Database work runs on a small thread pool.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import redis
import redis.asyncio as aioredis
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraUser import TeraUser
from opentera.messages.python.TeraEvent_pb2 import TeraEvent
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from teraserver import presence
from teraserver.login_events import PooledLoggingClient
from teraserver.realtime import messages
from teraserver.realtime.filters import Owner, Visible, filter_event
from teraserver.realtime.user_manager import UserManager, find_owner
from teraserver.user_access import UserAccess

log = logging.getLogger("teraserver.websockets")

T = TypeVar("T")

KIND_PATHS = {"/wss/user": "user", "/wss/participant": "participant", "/wss/device": "device"}
DENIED = "Websocket authentication failed (key, uuid).\n"
NOT_ALLOWED = "Not allowed to send message"
LOG_SENDER = "TeraServer.TwistedModule"
# Events waiting for one socket; a client that lets more pile up is closed (1008) rather than growing memory.
QUEUE_LIMIT = 1000
# Distinct event payloads remembered, so the same bytes published on many topics are parsed and encoded once.
RECENT_LIMIT = 64


@dataclass(eq=False)
class Delivery:
    """One event on its way to the sockets it concerns; its JSON is made once, by the first socket that sends it
    whole (a socket whose filter drops part of it sends its own, smaller JSON)."""

    event: TeraEvent
    _json: str | None = None

    def json_for(self, kept: TeraEvent) -> str:
        if kept is not self.event:
            return messages.client_json(kept)
        if self._json is None:
            self._json = messages.client_json(kept)
        return self._json


@dataclass(eq=False)
class Connection:
    owner: Owner
    connection_id: str
    socket: ServerConnection
    queue: asyncio.Queue[Delivery] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    visible: Visible | None = None


class ConnectionLookups:
    """The database answers the filters need for one socket: cached visibility, session membership."""

    def __init__(self, server: RealtimeServer, connection: Connection) -> None:
        self.server = server
        self.connection = connection

    async def visible(self, owner: Owner) -> Visible:
        if self.connection.visible is None:
            self.connection.visible = await self.server.in_database(visible_to, owner)
        return self.connection.visible

    async def in_session(self, owner: Owner, session_uuid: str) -> bool:
        return await self.server.in_database(is_member, owner, session_uuid)


def visible_to(owner: Owner) -> Visible:
    """Whose presence events the owner may see (inside an app context)."""
    if owner.kind == "user":
        user = TeraUser.get_user_by_uuid(owner.uuid)
        if user is None:
            return Visible()
        access = UserAccess(user)
        return Visible(
            users={u.user_uuid for u in access.accessible_users()},
            participants={p.participant_uuid for p in access.accessible_participants()},
            devices={d.device_uuid for d in access.accessible_devices()},
        )
    if owner.kind == "participant":
        participant = TeraParticipant.get_participant_by_uuid(owner.uuid)
        devices = participant.participant_devices if participant else []
        return Visible(devices={d.device_uuid for d in devices})
    device = TeraDevice.get_device_by_uuid(owner.uuid)
    participants = device.device_participants if device else []
    return Visible(participants={p.participant_uuid for p in participants})


def is_member(owner: Owner, session_uuid: str) -> bool:
    session = TeraSession.get_session_by_uuid(session_uuid)
    if session is None:
        return False
    members = {
        "user": lambda: [u.user_uuid for u in session.session_users],
        "participant": lambda: [p.participant_uuid for p in session.session_participants],
        "device": lambda: [d.device_uuid for d in session.session_devices],
    }[owner.kind]()
    return owner.uuid in members


class RealtimeServer:
    def __init__(
        self,
        manager: UserManager,
        client: redis.Redis,
        async_client: aioredis.Redis,
        *,
        ping_interval: float,
        ping_timeout: float,
        presence_refresh: float,
    ) -> None:
        self.manager = manager
        self.client = client
        self.async_client = async_client
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.presence_refresh = presence_refresh
        # A socket counts as live for three refresh periods after its process last refreshed it.
        self.presence_lifetime = 3 * presence_refresh
        self.instance = secrets.token_hex(4)
        self.counter = itertools.count(1)
        self.by_uuid: dict[str, set[Connection]] = {}
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="realtime-db")
        self.logging_client = PooledLoggingClient(client, "LoggingClient_TeraServer")
        self.subscribed = asyncio.Event()
        self.recent: OrderedDict[bytes, Delivery] = OrderedDict()

    # --- plumbing -----------------------------------------------------------------------------------------
    async def blocking(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)

    async def in_database(self, function: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with self.manager.database():
                return function(*args)

        return await self.blocking(run)

    def connections(self) -> list[Connection]:
        return [connection for group in self.by_uuid.values() for connection in group]

    # --- handshake ----------------------------------------------------------------------------------------
    async def process_request(self, socket: ServerConnection, request: Request) -> Response | None:
        path, _, query = request.path.partition("?")
        path = urlsplit(path).path
        kind = KIND_PATHS.get(path.rstrip("/"))
        if kind is None:
            if path.rstrip("/") == "/wss":
                return socket.respond(HTTPStatus.FORBIDDEN, "Forbidden\n")
            return socket.respond(HTTPStatus.NOT_FOUND, "Not found\n")
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None  # the library answers 426 Upgrade Required, and the id stays unused
        ids = parse_qs(query).get("id")
        owner_uuid = await self.async_client.getdel(ids[0]) if ids and ids[0] else None
        owner = None
        if owner_uuid is not None:
            owner = await self.in_database(find_owner, kind, owner_uuid.decode())
        if owner is None:
            log.info("websocket refused", extra={"kind": kind})
            return socket.respond(HTTPStatus.FORBIDDEN, DENIED)
        socket.owner = owner  # type: ignore[attr-defined]  # read by `handler` once the handshake completes
        return None

    # --- one socket ---------------------------------------------------------------------------------------
    async def handler(self, socket: ServerConnection) -> None:
        owner: Owner = socket.owner  # type: ignore[attr-defined]
        connection = Connection(owner, f"{self.instance}-{next(self.counter)}", socket)
        self.by_uuid.setdefault(owner.uuid, set()).add(connection)
        sender = asyncio.create_task(self.send_events(connection))
        try:
            await self.blocking(
                presence.add_connection,
                self.client,
                owner.kind,
                owner.uuid,
                connection.connection_id,
                self.presence_lifetime,
            )
            await self.blocking(self.manager.connected, owner)
            await self.blocking(
                self.logging_client.log_info, LOG_SENDER, f"{owner.kind} websocket connected", owner.name, owner.uuid
            )
            log.info("websocket connected", extra={"kind": owner.kind, "uuid": owner.uuid})
            async for _ in socket:
                await socket.send(NOT_ALLOWED)
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            group = self.by_uuid.get(owner.uuid, set())
            group.discard(connection)
            if not group:
                self.by_uuid.pop(owner.uuid, None)
            await self.closed(connection)

    async def closed(self, connection: Connection) -> None:
        owner = connection.owner
        try:
            removed = await self.blocking(
                presence.remove_connection, self.client, owner.kind, owner.uuid, connection.connection_id
            )
            # Not recorded any more: swept while this process could not refresh it, and reported then.
            if removed:
                await self.blocking(self.manager.disconnected, owner)
            await self.blocking(
                self.logging_client.log_info, LOG_SENDER, f"{owner.kind} websocket disconnected", owner.name, owner.uuid
            )
        except redis.RedisError as exc:
            log.warning("could not record a closed websocket", extra={"uuid": owner.uuid, "error": str(exc)})
        log.info(
            "websocket closed", extra={"kind": owner.kind, "uuid": owner.uuid, "code": connection.socket.close_code}
        )

    async def send_events(self, connection: Connection) -> None:
        lookups = ConnectionLookups(self, connection)
        while True:
            delivery = await connection.queue.get()
            try:
                kept = await filter_event(connection.owner, delivery.event, lookups)
                if kept is not None:
                    await connection.socket.send(delivery.json_for(kept))
            except ConnectionClosed:
                return
            except Exception:
                log.exception("could not deliver an event", extra={"uuid": connection.owner.uuid})

    def enqueue(self, connections: list[Connection], delivery: Delivery) -> None:
        for connection in connections:
            try:
                connection.queue.put_nowait(delivery)
            except asyncio.QueueFull:
                log.warning("websocket too slow, closing it", extra={"uuid": connection.owner.uuid})
                asyncio.ensure_future(connection.socket.close(1008, "Too many pending events"))

    # --- Redis topics -------------------------------------------------------------------------------------
    PATTERNS = (
        "websocket.*",
        messages.USER_MANAGER_EVENTS,
        messages.FILE_TRANSFER_EVENTS,
        messages.DISCONNECT_TOPIC_PREFIX + "*",
        messages.DATABASE_EVENTS_PREFIX + "*",
    )

    async def listen(self) -> None:
        while True:
            pubsub = self.async_client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(*self.PATTERNS)
                self.subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        await self.dispatch(message["channel"].decode(), message["data"])
            except (redis.RedisError, OSError) as exc:
                self.subscribed.clear()
                log.warning("websocket server lost Redis; resubscribing", extra={"error": str(exc)})
                await asyncio.sleep(1.0)
            finally:
                await pubsub.aclose()

    async def dispatch(self, channel: str, data: bytes) -> None:
        if channel.startswith(messages.DATABASE_EVENTS_PREFIX):
            # Access may have changed: every socket recomputes what it may see at its next event.
            for connection in self.connections():
                connection.visible = None
            return
        if channel.startswith(messages.DISCONNECT_TOPIC_PREFIX):
            target = channel[len(messages.DISCONNECT_TOPIC_PREFIX) :]
            order = messages.parse_module_message(data)
            if order is not None and messages.is_disconnect_order(order):
                for connection in list(self.by_uuid.get(target, ())):
                    await connection.socket.close(messages.DISCONNECT_CODE, messages.DISCONNECT_REASON)
            return
        if channel.startswith("websocket."):
            parts = channel.split(".")
            if len(parts) != 4 or parts[3] != "events":
                return
            targets = [c for c in self.by_uuid.get(parts[2], ()) if c.owner.kind == parts[1]]
        else:
            targets = self.connections()
        if not targets:
            return
        delivery = self.recent.get(data)
        if delivery is None:
            event = messages.parse_event(data)
            if event is None:
                log.warning("ignored a message that is not a TeraEvent", extra={"topic": channel})
                return
            delivery = Delivery(event)
            # A service inviting many clients publishes the same bytes on each one's topic: parse and encode once.
            self.recent[data] = delivery
            if len(self.recent) > RECENT_LIMIT:
                self.recent.popitem(last=False)
        self.enqueue(targets, delivery)

    # --- presence upkeep ----------------------------------------------------------------------------------
    def upkeep(self) -> None:
        """Redis state back if Redis lost it; our sockets' presence refreshed; dead processes' sockets offline."""
        self.manager.restore_redis_state()
        mine = {(c.owner.kind, c.owner.uuid, c.connection_id): c.owner for c in self.connections()}
        if mine:
            for key in presence.refresh_connections(self.client, list(mine), self.presence_lifetime):
                self.manager.connected(mine[key])
        for kind in presence.KINDS:
            for owner_uuid in presence.sweep_expired(self.client, kind):
                if owner_uuid not in self.by_uuid:  # else the owner still has a socket here: still online
                    self.manager.swept(kind, owner_uuid)

    async def keep_presence(self) -> None:
        while True:
            try:
                await self.blocking(self.upkeep)
            except Exception:
                log.exception("presence upkeep failed")
            await asyncio.sleep(self.presence_refresh)

    # --- lifecycle ----------------------------------------------------------------------------------------
    async def serve(self, host: str, port: int, stop: asyncio.Event) -> None:
        listener = asyncio.create_task(self.listen())
        upkeep = asyncio.create_task(self.keep_presence())
        await self.subscribed.wait()
        server: Server
        async with serve(
            self.handler,
            host,
            port,
            process_request=self.process_request,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            # No permessage-deflate, as upstream's server offers none: compressing each event for each socket was
            # a third of the fan-out time, and its state half of a socket's memory (bench/teraserver_websockets.py).
            compression=None,
            # NGINX in front: the client's address is in X-Forwarded-For; the library's own log stays quiet.
            logger=logging.getLogger("teraserver.websockets.protocol"),
            server_header=None,
        ) as server:
            log.info("websockets listening", extra={"port": port})
            await stop.wait()
            # Closing sends 1001 (going away) to every client; each handler then records its socket closed.
            server.close()
            await server.wait_closed()
        listener.cancel()
        upkeep.cancel()
        self.pool.shutdown(wait=True)
