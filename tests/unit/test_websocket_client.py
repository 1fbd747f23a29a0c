"""devstack.testing.websockets.WebsocketClient against a local websocket server that talks as TeraServer does."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from devstack.testing.websockets import WebsocketClient, event_name

TYPE = "type.googleapis.com/opentera.protobuf."


def tera_message(*events: dict[str, Any]) -> str:
    header = {"version": 1, "time": 1.5, "topic": "module.TeraServer.UserManagerModule.events"}
    return json.dumps({"message": {"@type": TYPE + "TeraEvent", "header": header, "events": list(events)}})


CONNECTED = {"@type": TYPE + "UserEvent", "userUuid": "u1", "type": "USER_CONNECTED", "userFullname": "A"}
JOIN = {"@type": TYPE + "JoinSessionEvent", "sessionUuid": "s1", "sessionUsers": ["u1"]}


@pytest.fixture
def server() -> Iterator[Callable[[Callable[[ServerConnection], None]], str]]:
    """`server(handler)`: the ws:// URL of a local server running `handler` for each connection."""
    running: list[tuple[Server, threading.Thread]] = []

    def start(handler: Callable[[ServerConnection], None]) -> str:
        instance = serve(handler, "127.0.0.1", 0)
        thread = threading.Thread(target=instance.serve_forever, daemon=True)
        thread.start()
        running.append((instance, thread))
        return f"ws://127.0.0.1:{instance.socket.getsockname()[1]}/wss/user?id=x"

    yield start
    for instance, thread in running:
        instance.shutdown()
        thread.join(timeout=5)


def test_wait_for_by_kind_by_type_and_by_predicate_keeps_the_others(server) -> None:
    def handler(socket: ServerConnection) -> None:
        socket.send(tera_message(CONNECTED, JOIN))
        socket.send(tera_message({**CONNECTED, "userUuid": "u2"}))
        socket.wait_closed()

    with WebsocketClient(server(handler), None, {"user_uuid": "u1"}) as client:
        assert client.wait_for("JoinSessionEvent") == JOIN
        assert client.wait_for(lambda event: event.get("userUuid") == "u2")["type"] == "USER_CONNECTED"
        # Received before the join event, kept for later.
        assert client.wait_for("USER_CONNECTED") == CONNECTED
        assert client.events() == []
        assert [m["message"]["header"]["version"] for m in client.received] == [1, 1]
        assert client.login == {"user_uuid": "u1"}


def test_wait_for_times_out_naming_what_came(server) -> None:
    def handler(socket: ServerConnection) -> None:
        socket.send(tera_message(CONNECTED))
        socket.wait_closed()

    with WebsocketClient(server(handler), None) as client:
        with pytest.raises(TimeoutError, match="UserEvent USER_CONNECTED"):
            client.wait_for("JoinSessionEvent", timeout=0.3)
        assert client.events() == [CONNECTED]


def test_texts_and_the_close_code(server) -> None:
    def handler(socket: ServerConnection) -> None:
        for _ in socket:
            socket.send("Not allowed to send message")
            socket.send(tera_message(JOIN))
            socket.close(4000, "CMD_CLIENT_DISCONNECT")

    with WebsocketClient(server(handler), None) as client:
        client.connection.send("hello")
        assert client.wait_for_text("Not allowed to send message") == "Not allowed to send message"
        assert client.wait_closed() == 4000
        assert client.connection.close_reason == "CMD_CLIENT_DISCONNECT"
        # The event sent before closing was kept; waiting on a closed socket says so.
        assert client.events() == [JOIN]
        with pytest.raises(ConnectionClosed):
            client.wait_for("USER_CONNECTED")


def test_wait_closed_times_out_on_an_open_socket(server) -> None:
    with WebsocketClient(server(lambda socket: socket.wait_closed()), None) as client, pytest.raises(TimeoutError):
        client.wait_closed(timeout=0.2)


def test_event_name() -> None:
    assert event_name(JOIN) == "JoinSessionEvent"
    assert event_name({}) == ""
