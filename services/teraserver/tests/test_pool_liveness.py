"""Pool hooks of teraserver.database: reject_dead_connection (round-trip-free pool_pre_ping), restore_transactions."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import DisconnectionError

from teraserver.database import reject_dead_connection, restore_transactions


class FakeDbapiConnection:
    """What the hook reads from a psycopg2 connection: `closed` and `fileno()`."""

    def __init__(self, sock: socket.socket, closed: int = 0) -> None:
        self.sock = sock
        self.closed = closed

    def fileno(self) -> int:
        return self.sock.fileno()


@pytest.fixture
def socket_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, server = socket.socketpair()
    yield ours, server
    ours.close()
    server.close()


def test_idle_open_connection_is_kept(socket_pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _server = socket_pair
    reject_dead_connection(FakeDbapiConnection(ours), None, None)  # no exception: handed out as is


def test_connection_the_server_closed_is_refused(socket_pair: tuple[socket.socket, socket.socket]) -> None:
    ours, server = socket_pair
    server.close()  # what PostgreSQL does on restart or pg_terminate_backend
    with pytest.raises(DisconnectionError):
        reject_dead_connection(FakeDbapiConnection(ours), None, None)


def test_connection_with_unexpected_server_message_is_refused(
    socket_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, server = socket_pair
    server.sendall(b"E\x00\x00\x00\x05FATAL")  # e.g. "terminating connection due to administrator command"
    with pytest.raises(DisconnectionError):
        reject_dead_connection(FakeDbapiConnection(ours), None, None)


def test_connection_psycopg2_knows_is_closed_is_refused(socket_pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _server = socket_pair
    with pytest.raises(DisconnectionError):
        reject_dead_connection(FakeDbapiConnection(ours, closed=1), None, None)


class FakeAutocommitConnection:
    def __init__(self, autocommit: bool) -> None:
        self.autocommit = autocommit


def test_checkin_makes_an_autocommit_connection_transactional_again() -> None:
    connection = FakeAutocommitConnection(autocommit=True)
    restore_transactions(connection, None)
    assert connection.autocommit is False


def test_checkin_leaves_a_transactional_or_invalidated_connection_alone() -> None:
    connection = FakeAutocommitConnection(autocommit=False)
    restore_transactions(connection, None)
    assert connection.autocommit is False
    restore_transactions(None, None)  # an invalidated connection has no DBAPI connection left
