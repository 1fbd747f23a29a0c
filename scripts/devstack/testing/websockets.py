"""A websocket client for tests: a user, participant or device connected to TeraServer through the front door.

    with WebsocketClient.user(https, "admin", "admin") as client:
        ...  # do what should reach the client
        event = client.wait_for("JoinSessionEvent")
        assert event["sessionUuid"] == session_uuid

It logs in as OpenTera clients do (`with_websocket=true` for a user; a participant's and an onlineable device's
login hand a URL out anyway), opens the returned one-time `websocket_url` trusting the stack's CA (the `https`
session's), and reads what TeraServer sends: protobuf's JSON form of `TeraMessage{message: Any(TeraEvent)}`, as
upstream's clients parse it. `wait_for` and `events` give the events of each TeraEvent one by one, as dicts
(lowerCamelCase fields, `@type` naming the event: `{"@type": ".../opentera.protobuf.UserEvent", "userUuid": ...,
"type": "USER_CONNECTED", ...}`). Events received while waiting for another are kept for the next call.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from devstack.testing.tokens import PARTICIPANT_LOGIN_PATH

USER_LOGIN_PATH = "/api/user/login"
DEVICE_LOGIN_PATH = "/api/device/login"
# How long the waits below wait by default: an event or a close that passes several processes and Redis hops took
# over 5 s when the test machine ran three test workers at once (issue 16); a longer bound costs time only when the
# awaited thing never comes.
WAIT_SECONDS = 15.0

Match = Callable[[dict[str, Any]], bool]


class WebsocketLoginError(RuntimeError):
    """The login was refused or handed out no `websocket_url` (the message holds TeraServer's answer)."""


def event_name(event: dict[str, Any]) -> str:
    """The short type name of an event: "JoinSessionEvent" for ".../opentera.protobuf.JoinSessionEvent"."""
    return str(event.get("@type", "")).rsplit(".", 1)[-1]


def matcher(match: str | Match) -> Match:
    """A predicate: itself, or for a name, events of that type ("JoinSessionEvent") or kind ("USER_CONNECTED")."""
    if callable(match):
        return match
    return lambda event: event_name(event) == match or event.get("type") == match


def ssl_context(session: requests.Session) -> ssl.SSLContext:
    """A TLS context trusting what `session` trusts (the `https` fixture's: the stack's CA)."""
    verify = session.verify
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context()


def websocket_login(session: requests.Session, path: str, **request: Any) -> dict[str, Any]:
    """GET a login `path` (with `auth=` or `headers=`) and return its answer, which must hold a websocket_url."""
    response = session.get(path, **request)
    if response.status_code != 200:
        raise WebsocketLoginError(f"{path}: {response.status_code} {response.text[:300]}")
    answer = response.json()
    if not answer.get("websocket_url"):
        raise WebsocketLoginError(f"{path}: no websocket_url in the answer (offline? onlineable device?): {answer}")
    return answer


class LockedTLSSocket:
    """A TLS client connection that one reading thread and one writing thread may share.

    The websockets library's sync client reads its socket in a background thread while the caller's thread writes.
    On a plain `ssl.SSLSocket` that means one OpenSSL object used by two threads at once, which OpenSSL does not
    allow: with TLS 1.3 (session tickets arrive right after the handshake) a connection now and then loses its
    upgrade request (the front door waits 60 s for it) or fails with "[SSL] internal error". Here the TLS state
    lives in memory BIOs used under a lock; only the raw socket blocks, outside the lock.
    """

    def __init__(self, raw: socket.socket, context: ssl.SSLContext, server_hostname: str) -> None:
        self.raw = raw
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)
        self.lock = threading.Lock()  # guards the TLS object and its BIOs
        self.send_lock = threading.Lock()  # keeps the raw socket's writes in order
        while True:
            try:
                with self.lock:
                    self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._feed()
        self._flush()

    def _flush(self) -> None:
        with self.send_lock:
            with self.lock:
                data = self.outgoing.read()
            if data:
                self.raw.sendall(data)

    def _feed(self) -> None:
        data = self.raw.recv(65536)
        with self.lock:
            if data:
                self.incoming.write(data)
            else:
                self.incoming.write_eof()

    def recv(self, size: int) -> bytes:
        while True:
            try:
                with self.lock:
                    data = self.tls.read(size)
            except ssl.SSLWantReadError:
                self._flush()
                self._feed()
                continue
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""
            self._flush()
            return data

    def sendall(self, data: bytes) -> None:
        with self.lock:
            self.tls.write(data)
        self._flush()

    def __getattr__(self, name: str) -> Any:
        # settimeout, shutdown, close, getsockname...: the raw socket's.
        return getattr(self.raw, name)


def open_websocket(url: str, context: ssl.SSLContext | None) -> contextlib.AbstractContextManager[ClientConnection]:
    """`connect(url)`; for wss://, over a LockedTLSSocket (the library then speaks plain websocket over it)."""
    parts = urlsplit(url)
    if parts.scheme != "wss":
        return connect(url, proxy=None)
    port = parts.port or 443
    raw = socket.create_connection((parts.hostname, port), timeout=10)
    try:
        raw.settimeout(10)
        sock = LockedTLSSocket(raw, context or ssl.create_default_context(), parts.hostname or "")
        raw.settimeout(None)
    except BaseException:
        raw.close()
        raise
    # Same host, port, path and query: only the scheme tells the library that TLS is already there.
    plain = urlunsplit(("ws", f"{parts.hostname}:{port}", parts.path, parts.query, ""))
    return connect(plain, sock=sock, proxy=None)  # type: ignore[arg-type]


class WebsocketClient:
    """One open websocket; a context manager that closes it. `login` is the login's whole answer, `connection`
    the websockets library's ClientConnection (for `send`, `close_code`...). `context`: None for a ws:// URL."""

    def __init__(self, url: str, context: ssl.SSLContext | None, login: dict[str, Any] | None = None) -> None:
        self.url = url
        self.login = login or {}
        self._exit = contextlib.ExitStack()
        self.connection: ClientConnection = self._exit.enter_context(open_websocket(url, context))
        # Every TeraMessage received, parsed, oldest first (each one's `message` is the TeraEvent, header included).
        self.received: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._texts: list[str] = []

    # --- connecting ---------------------------------------------------------------------------------------------
    @classmethod
    def user(cls, session: requests.Session, username: str, password: str) -> WebsocketClient:
        """Log a user in (`/api/user/login?with_websocket=true`, HTTP Basic) and connect."""
        answer = websocket_login(session, USER_LOGIN_PATH, auth=(username, password), params={"with_websocket": True})
        return cls(answer["websocket_url"], ssl_context(session), answer)

    @classmethod
    def participant(cls, session: requests.Session, username: str, password: str) -> WebsocketClient:
        """Log a participant in (`/api/participant/login?with_websocket=true`, HTTP Basic) and connect."""
        answer = websocket_login(
            session, PARTICIPANT_LOGIN_PATH, auth=(username, password), params={"with_websocket": True}
        )
        return cls(answer["websocket_url"], ssl_context(session), answer)

    @classmethod
    def device(cls, session: requests.Session, device_token: str) -> WebsocketClient:
        """Log an onlineable device in (`/api/device/login` with its token) and connect."""
        answer = websocket_login(session, DEVICE_LOGIN_PATH, headers={"Authorization": f"OpenTera {device_token}"})
        return cls(answer["websocket_url"], ssl_context(session), answer)

    # --- receiving ----------------------------------------------------------------------------------------------
    def _receive(self, timeout: float) -> bool:
        """Read one message within `timeout` seconds into the buffers; False when none came."""
        try:
            text = self.connection.recv(timeout=max(timeout, 0), decode=True)
        except TimeoutError:
            return False
        try:
            message = json.loads(text)
        except ValueError:
            self._texts.append(text)
            return True
        if isinstance(message, dict) and isinstance(message.get("message"), dict):
            self.received.append(message)
            self._events.extend(message["message"].get("events", []))
        else:
            self._texts.append(text)
        return True

    def wait_for(self, match: str | Match, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """The first event (received or to come within `timeout` seconds) that `match` takes: a predicate on the
        event dict, or a name ("JoinSessionEvent", "USER_CONNECTED"). Removed from the buffer; TimeoutError
        (naming what came) when none, ConnectionClosed when the socket closes first."""
        accept = matcher(match)
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self._events):
                if accept(event):
                    return self._events.pop(index)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._receive(remaining):
                seen = [event_name(e) + (f" {e['type']}" if "type" in e else "") for e in self._events]
                raise TimeoutError(f"no matching event within {timeout:.1f} s; received meanwhile: {seen}")

    def wait_for_text(self, text: str, timeout: float = WAIT_SECONDS) -> str:
        """Wait for a message that is not an event (what TeraServer answers a client's own message)."""
        deadline = time.monotonic() + timeout
        while text not in self._texts:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._receive(remaining):
                raise TimeoutError(f"{text!r} not received within {timeout:.1f} s; texts: {self._texts}")
        self._texts.remove(text)
        return text

    def events(self, timeout: float = 0.0) -> list[dict[str, Any]]:
        """Every event received so far plus those arriving within `timeout` seconds; the buffer is emptied."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(ConnectionClosed):
            while self._receive(deadline - time.monotonic()):
                pass
        drained, self._events = self._events, []
        return drained

    def wait_closed(self, timeout: float = WAIT_SECONDS) -> int | None:
        """Wait until the server closes the socket (events meanwhile are kept); its close code. TimeoutError when
        it is still open after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"the websocket is still open after {timeout:.1f} s")
                self._receive(remaining)
        except ConnectionClosed:
            return self.connection.close_code

    # --- closing ------------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._exit.close()

    def __enter__(self) -> WebsocketClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class WebsocketClients:
    """The `websocket_client` fixture: `user(username, password)`, `participant(username, password)`,
    `device(token)` connect through `session`; `close_all()` closes every client still open."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session
        self.opened: list[WebsocketClient] = []

    def _keep(self, client: WebsocketClient) -> WebsocketClient:
        self.opened.append(client)
        return client

    def user(self, username: str, password: str) -> WebsocketClient:
        return self._keep(WebsocketClient.user(self.session, username, password))

    def participant(self, username: str, password: str) -> WebsocketClient:
        return self._keep(WebsocketClient.participant(self.session, username, password))

    def device(self, device_token: str) -> WebsocketClient:
        return self._keep(WebsocketClient.device(self.session, device_token))

    def close_all(self) -> None:
        for client in self.opened:
            client.close()
        self.opened.clear()
