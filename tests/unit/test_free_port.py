"""devstack.testing.stack.free_port: the host port a test stack's proxy gets must not be one Docker could hand out."""

from __future__ import annotations

import itertools
import socket

import pytest

from devstack.testing import stack


def test_free_ports_are_bindable_and_below_the_ephemeral_range() -> None:
    ephemeral_low, _ = stack._ephemeral_range()
    for _ in range(20):
        port = stack.free_port()
        assert 20000 <= port < ephemeral_low
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # still free: raises if not


def _held_port() -> socket.socket:
    for port in range(21000, 22000):
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", port))
        except OSError:
            holder.close()
            continue
        holder.listen()
        return holder
    raise AssertionError("no port to hold between 21000 and 22000")


def test_a_port_in_use_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with _held_port() as holder:
        taken = holder.getsockname()[1]
        free = stack.free_port()
        picks = itertools.chain([taken, taken], itertools.repeat(free))
        monkeypatch.setattr(stack.random, "randrange", lambda low, high: next(picks))
        assert stack.free_port() == free


def test_no_free_port_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with _held_port() as holder:
        taken = holder.getsockname()[1]
        monkeypatch.setattr(stack.random, "randrange", lambda low, high: taken)
        with pytest.raises(RuntimeError, match="no free TCP port on 127.0.0.1"):
            stack.free_port()
