"""A Redis subscriber for tests: what your service publishes (events, RPC replies), collected in the background.

    with Subscription(raw_client, "module.TeraServer.DatabaseModule.events.service") as events:
        ...  # do what should publish
        assert events.wait_for(b"MyService") is not None

Use a client that returns bytes (no `decode_responses`): OpenTera's payloads are protobuf, not text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis

Found = TypeVar("Found")

# How long to wait for Redis to confirm the subscription before anything is published (seconds).
SUBSCRIBE_TIMEOUT = 2.0


class Subscription:
    """Collects the messages published on `channel` from a background thread, until closed."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(channel)
        # The confirmation: from here on nothing published on the channel is missed.
        self._pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT)
        self._messages: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._collect, name=f"subscription {channel}", daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.2)
            if message and message["type"] == "message":
                self._messages.append(message["data"])

    @property
    def messages(self) -> list[bytes]:
        """Every message received so far, oldest first."""
        return list(self._messages)

    def first(self, match: Callable[[bytes], Found | None], timeout: float = 5.0) -> Found | None:
        """The first non-None `match(message)` among the messages received within `timeout` seconds, else None."""
        deadline = time.monotonic() + timeout
        while True:
            for data in self.messages:
                found = match(data)
                if found is not None:
                    return found
            if time.monotonic() >= deadline:
                return None
            self._stop.wait(0.05)

    def wait_for(self, needle: bytes, timeout: float = 5.0) -> bytes | None:
        """The first message containing `needle` within `timeout` seconds, else None."""
        return self.first(lambda data: data if needle in data else None, timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._pubsub.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
