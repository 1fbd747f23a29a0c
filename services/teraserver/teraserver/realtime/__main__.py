"""`python -m teraserver.realtime`: the websocket server and the UserManager module, until SIGTERM.

Forked and watched by `python -m teraserver` once the boot is done (or run alone). Threads: the asyncio loop
(every socket, the Redis subscription of the events clients receive), a subscriber thread (UserManager RPC,
its messages topic, user/participant/device database events) and a small pool for database and Redis calls.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

import redis
import redis.asyncio as aioredis
from flask import Flask

from teraserver import database
from teraserver.logs import start_process
from teraserver.realtime import messages
from teraserver.realtime.server import RealtimeServer
from teraserver.realtime.user_manager import UserManager
from teraserver.rpc_server import USER_MANAGER_TOPIC, Subscriber, rpc_handler

log = logging.getLogger("teraserver.realtime")

# How often each process pushes forward the presence of its sockets (seconds); a socket of a process that
# stopped doing so counts as online for three periods at most (teraserver.presence).
PRESENCE_REFRESH = 5.0


def main() -> int:
    settings = start_process(log)
    if settings is None:
        return 2
    # The library's own lines ("connection open/closed", one per health check too) only at WARNING and above:
    # ours (teraserver.websockets) say who connected and why a handshake was refused.
    logging.getLogger("teraserver.websockets.protocol").setLevel(logging.WARNING)

    app = Flask("teraserver.realtime")
    database.init_db(app, settings, pool_size=4)
    client = redis.Redis(socket_connect_timeout=3, health_check_interval=30, **settings.redis_kwargs())
    manager = UserManager(client, app, settings.deployment_id)

    handlers = {
        USER_MANAGER_TOPIC: rpc_handler(client, USER_MANAGER_TOPIC, manager.rpc_methods()),
        messages.USER_MANAGER_MESSAGES: manager.on_module_message,
    }
    for kind in ("user", "participant", "device"):
        handlers[messages.DATABASE_EVENTS_PREFIX + kind] = manager.on_database_event
    subscriber = Subscriber(redis.Redis(socket_connect_timeout=3, **settings.redis_kwargs()), handlers)
    subscriber.start()

    # Everything alive now (modules, models, mappers) lives as long as the process: out of the collector's
    # reach, a full collection no longer walks it (it paused event delivery ~25 ms; bench/teraserver_websockets.py).
    gc.collect()
    gc.freeze()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        async_client = aioredis.Redis(socket_connect_timeout=3, **settings.redis_kwargs())
        server = RealtimeServer(
            manager,
            client,
            async_client,
            ping_interval=settings.websocket_ping_interval,
            ping_timeout=settings.websocket_ping_timeout,
            presence_refresh=PRESENCE_REFRESH,
        )
        await server.serve("0.0.0.0", settings.websocket_port, stop)
        await async_client.aclose()

    asyncio.run(run())
    subscriber.stop()
    log.info("websocket server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
