"""devstack.testing.dap.DebugSession against a tiny fake debug adapter on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from devstack.testing import dap


def fake_adapter(answer_on: set[int]) -> tuple[int, list[socket.socket]]:
    """A listener that reads one request per connection and answers `initialize` only on the connections whose
    number (1, 2, ...) is in `answer_on`; the others stay silent."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        for number in range(1, 4):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)
            client = dap.DapConnection(connection)
            request = client.read_message()
            if number in answer_on:
                response = {"seq": 1, "type": "response", "request_seq": request["seq"], "success": True}
                connection.sendall(dap.encode({**response, "command": request["command"], "body": {}}))
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], accepted


def test_a_silent_first_connection_is_replaced_by_a_new_one() -> None:
    port, accepted = fake_adapter(answer_on={2})
    session = dap.DebugSession("127.0.0.1", port, timeout=0.5)
    assert len(accepted) == 2
    session.close()


def test_an_adapter_that_never_answers_fails_after_the_attempts() -> None:
    port, accepted = fake_adapter(answer_on=set())
    with pytest.raises(TimeoutError):
        dap.DebugSession("127.0.0.1", port, timeout=0.3, attempts=2)
    assert len(accepted) == 2


def test_encode_frames_a_message_with_its_length() -> None:
    framed = dap.encode({"seq": 1})
    header, body = framed.split(b"\r\n\r\n", 1)
    assert header == f"Content-Length: {len(body)}".encode() and json.loads(body) == {"seq": 1}
