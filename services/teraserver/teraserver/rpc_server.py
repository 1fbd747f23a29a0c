"""Answers the UserManager RPC methods on `module.TeraServer.UserManagerModule.rpc`.

Presence comes from websockets, which this server does not have yet: nobody is ever online or busy, so every
query answers its empty value (as upstream does when no client is connected). One responder thread runs in
granian's main process (started once from its startup hook), not one per worker, so each request gets one reply.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import redis

from teraserver import rpc

log = logging.getLogger("teraserver.rpc_server")

USER_MANAGER_MODULE = "TeraServer.UserManagerModule"
USER_MANAGER_TOPIC = rpc.MODULE_RPC_TOPIC.format(module=USER_MANAGER_MODULE)


def _update_device_status(device_uuid: str = "", status: str = "", timestamp: int = 0) -> None:
    # Upstream only records the status of an online device and answers null otherwise.
    return None


USER_MANAGER_METHODS: dict[str, Callable[..., Any]] = {
    "online_users": lambda: [],
    "online_participants": lambda: [],
    "online_devices": lambda: [],
    "busy_users": lambda: {},
    "busy_participants": lambda: {},
    "busy_devices": lambda: {},
    "status_users": lambda: {},
    "status_participants": lambda: {},
    "status_devices": lambda: {},
    "update_device_status": _update_device_status,
}


def answer(client: redis.Redis, payload: bytes, pattern: str, methods: dict[str, Callable[..., Any]]) -> bool:
    """Handle one request; unknown methods get no reply, as upstream. Returns True when a reply was sent."""
    try:
        message, args = rpc.decode_request(payload)
    except Exception:
        log.warning("ignored a malformed RPC request", extra={"topic": pattern})
        return False
    handler = methods.get(message.method)
    if handler is None or not message.reply_to:
        return False
    try:
        status, value = "OK", handler(*args)
    except Exception:
        log.exception("RPC method failed", extra={"method": message.method})
        status, value = "Error", None
    client.publish(message.reply_to, rpc.reply_payload(message, pattern, status, value))
    return True


class RpcResponder(threading.Thread):
    def __init__(self, client: redis.Redis, topic: str, methods: dict[str, Callable[..., Any]]) -> None:
        super().__init__(name=f"rpc:{topic}", daemon=True)
        self.client = client
        self.topic = topic
        self.methods = methods
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self._serve()
            except redis.RedisError as exc:
                log.warning("RPC responder lost Redis; retrying", extra={"error": str(exc)})
                self._stop_event.wait(1.0)

    def _serve(self) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            # Upstream modules PSUBSCRIBE their rpc topic; the reply's "pattern" field carries it.
            pubsub.psubscribe(self.topic)
            log.info("RPC responder listening", extra={"topic": self.topic})
            while not self._stop_event.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "pmessage":
                    answer(self.client, message["data"], self.topic, self.methods)
        finally:
            pubsub.close()


def start_user_manager(redis_kwargs: dict[str, Any]) -> RpcResponder:
    client = redis.Redis(socket_connect_timeout=3, health_check_interval=30, **redis_kwargs)
    responder = RpcResponder(client, USER_MANAGER_TOPIC, USER_MANAGER_METHODS)
    responder.start()
    return responder
