"""Answers RPC requests as upstream's modules do, and a thread that listens to Redis topics for a module.

`answer` handles one RPCMessage against a table of methods (unknown methods get no reply, as upstream).
`Subscriber` PSUBSCRIBEs a set of topics and hands each message to its handler; the UserManager module
(teraserver.realtime) runs one for its RPC topic, its messages topic and the database events it watches.

Replicas (issue 19): every TeraServer replica's websocket process subscribes to the same topics, and Redis
delivers each message to all of them. A message is handled by the one that claims it first (`claim`: SET NX
on a digest of topic and payload), so an RPC gets one answer and a session event one JOINED_SESSION event,
however many replicas run.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import redis

from teraserver import rpc
from teraserver.realtime.messages import USER_MANAGER_MODULE

log = logging.getLogger("teraserver.rpc_server")

USER_MANAGER_TOPIC = rpc.MODULE_RPC_TOPIC.format(module=USER_MANAGER_MODULE)
CLAIM_KEY = "TeraServer.claimed.{digest}"
# Long enough for every replica to have seen the message; an identical message sent again after it is handled.
CLAIM_SECONDS = 10


def claim(client: redis.Redis, channel: str, payload: bytes) -> bool:
    """True for exactly one of the processes that received this message on `channel`."""
    digest = hashlib.sha256(channel.encode() + b"\0" + payload).hexdigest()
    return bool(client.set(CLAIM_KEY.format(digest=digest), b"1", nx=True, ex=CLAIM_SECONDS))


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


class Subscriber(threading.Thread):
    """One Redis connection, PSUBSCRIBEd to every pattern of `handlers`; each message goes to its handler."""

    def __init__(self, client: redis.Redis, handlers: dict[str, Callable[[str, bytes], Any]]) -> None:
        super().__init__(name="subscriber", daemon=True)
        self.client = client
        self.handlers = handlers
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self._serve()
            except redis.RedisError as exc:
                log.warning("subscriber lost Redis; retrying", extra={"error": str(exc)})
                self._stop_event.wait(1.0)

    def _serve(self) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.psubscribe(*self.handlers)
            log.info("listening", extra={"topics": sorted(self.handlers)})
            while not self._stop_event.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "pmessage":
                    continue
                pattern = message["pattern"].decode() if isinstance(message["pattern"], bytes) else message["pattern"]
                channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
                if not claim(self.client, channel, message["data"]):
                    continue  # another replica's websocket process handles it
                try:
                    self.handlers[pattern](channel, message["data"])
                except redis.RedisError:
                    raise
                except Exception:
                    log.exception("a topic handler failed", extra={"topic": channel})
        finally:
            pubsub.close()


def rpc_handler(client: redis.Redis, topic: str, methods: dict[str, Callable[..., Any]]) -> Callable[[str, bytes], Any]:
    """A Subscriber handler answering the RPC requests of one module topic."""
    return lambda channel, payload: answer(client, payload, topic, methods)
