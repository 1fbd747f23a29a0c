"""The smallest Debug Adapter Protocol client: a debugpy handshake, and a debug session that attaches (to a
forked subprocess too), sets breakpoints and waits for them to be hit.

DAP messages are JSON bodies behind a `Content-Length: N` header and a blank line, as in the Language Server
Protocol (https://microsoft.github.io/debug-adapter-protocol/overview#base-protocol).
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

HEADER_END = b"\r\n\r\n"


class DapError(RuntimeError):
    """The peer did not speak DAP as expected; the message says what came instead."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body


class DapConnection:
    """One TCP connection to a debug adapter, reading whole messages."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.sequence = 0

    def send_request(self, command: str, arguments: dict[str, Any]) -> int:
        self.sequence += 1
        request = {"seq": self.sequence, "type": "request", "command": command, "arguments": arguments}
        self.connection.sendall(encode(request))
        return self.sequence

    def _fill(self) -> None:
        chunk = self.connection.recv(65536)
        if not chunk:
            raise DapError(f"the debug adapter closed the connection (received so far: {self.buffer[:200]!r})")
        self.buffer += chunk

    def read_message(self) -> dict[str, Any]:
        while HEADER_END not in self.buffer:
            self._fill()
        header, self.buffer = self.buffer.split(HEADER_END, 1)
        lengths = [
            line
            for line in header.decode("ascii", "replace").split("\r\n")
            if line.lower().startswith("content-length:")
        ]
        if not lengths:
            raise DapError(f"a DAP message without Content-Length: {header[:200]!r}")
        length = int(lengths[0].split(":", 1)[1])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return json.loads(body)

    def response_to(self, request_seq: int) -> dict[str, Any]:
        """The response to request `request_seq`, skipping the events the adapter may send before it."""
        for _ in range(100):
            message = self.read_message()
            if message.get("type") == "response" and message.get("request_seq") == request_seq:
                return message
        raise DapError(f"no response to request {request_seq} among 100 messages")


INITIALIZE_ARGUMENTS = {
    "clientID": "devstack-test",
    "clientName": "devstack test kit",
    "adapterID": "debugpy",
    "pathFormat": "path",
    "linesStartAt1": True,
    "columnsStartAt1": True,
}


def handshake(host: str, port: int, timeout: float) -> dict[str, Any]:
    """Send `initialize` as an editor does and return the adapter's response; then close the connection."""
    with socket.create_connection((host, port), timeout=timeout) as connection:
        client = DapConnection(connection)
        return client.response_to(client.send_request("initialize", INITIALIZE_ARGUMENTS))


class DebugSession:
    """One debug session with a debugpy adapter, as an editor opens it: initialize, then attach.

    Messages that arrive while another is awaited are kept (events for `wait_for_event`, responses by request
    number). debugpy announces each subprocess it follows with a `debugpyAttach` event; its body is the
    `attach` argument of a new session.
    """

    def __init__(self, host: str, port: int, timeout: float = 30, attempts: int = 2) -> None:
        # On a loaded test machine debugpy's adapter twice left this `initialize` unanswered for `timeout` seconds,
        # right after another connection's handshake (cause not found): a new connection is then tried, `attempts`
        # times in all.
        for attempt in range(1, attempts + 1):
            self.client = DapConnection(socket.create_connection((host, port), timeout=timeout))
            self.events: list[dict[str, Any]] = []
            self.responses: dict[int, dict[str, Any]] = {}
            try:
                self.request("initialize", INITIALIZE_ARGUMENTS)
                return
            except (TimeoutError, DapError):
                self.close()
                if attempt == attempts:
                    raise

    def close(self) -> None:
        self.client.connection.close()

    def _read_one(self) -> None:
        message = self.client.read_message()
        if message.get("type") == "event":
            self.events.append(message)
        elif message.get("type") == "response":
            self.responses[message["request_seq"]] = message

    def response(self, sequence: int, command: str) -> dict[str, Any]:
        """The response to request `sequence` (DapError when it failed)."""
        for _ in range(500):
            if sequence in self.responses:
                message = self.responses.pop(sequence)
                if not message.get("success"):
                    raise DapError(f"{command} failed: {message}")
                return message
            self._read_one()
        raise DapError(f"no response to {command} among 500 messages")

    def request(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.response(self.client.send_request(command, arguments), command)

    def wait_for_event(self, name: str) -> dict[str, Any]:
        """The first `name` event not consumed yet (reading more messages until it comes)."""
        for _ in range(500):
            for index, event in enumerate(self.events):
                if event.get("event") == name:
                    return self.events.pop(index)
            self._read_one()
        raise DapError(f"no {name} event among 500 messages")

    def attach(self, arguments: dict[str, Any], breakpoints: dict[str, list[int]]) -> dict[str, list[bool]]:
        """attach, set `breakpoints` ({source path: [lines]}), configurationDone; returns which were verified.
        debugpy answers `attach` only after configurationDone, so that response is awaited last."""
        attach_sequence = self.client.send_request("attach", arguments)
        self.wait_for_event("initialized")
        verified = {}
        for path, lines in breakpoints.items():
            response = self.request(
                "setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": line} for line in lines]}
            )
            verified[path] = [entry["verified"] for entry in response["body"]["breakpoints"]]
        self.request("configurationDone", {})
        self.response(attach_sequence, "attach")
        return verified


def initialize(host: str, port: int, timeout: float = 30) -> dict[str, Any]:
    """The adapter's response to `initialize` at host:port (no debug session is started). Retried until
    `timeout`: Docker's port proxy accepts a connection and closes it while nothing listens in the container."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return handshake(host, port, timeout=10)
        except (OSError, DapError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
