"""Host ports the stack wants: which are fixed, and who holds them (with a real listening socket)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from devstack import host_ports, settings

VALUES = {**settings.with_defaults({}), "DEVSTACK_HTTPS_PORT": "40075", "DEVSTACK_HOSTNAME": "localhost"}


def test_docker_ports_column_is_read_with_ranges() -> None:
    text = "0.0.0.0:8000-8002->80-82/tcp, :::40075->40075/tcp, 5432/tcp"
    assert host_ports.parse_docker_ports(text) == [8000, 8001, 8002, 40075]


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port with a real listener on 127.0.0.1, as another program would hold it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_fixed_ports_are_the_ones_to_check() -> None:
    values = {**VALUES, "DEVSTACK_BIND_ADDRESS": "0.0.0.0", "DEVSTACK_DB_PORT": "15432", "DEVSTACK_REDIS_PORT": ""}
    wanted = host_ports.wanted_host_ports(values)
    assert wanted == [
        host_ports.WantedPort("DEVSTACK_HTTPS_PORT", "0.0.0.0", 40075),
        host_ports.WantedPort("DEVSTACK_DB_PORT", "127.0.0.1", 15432),
    ]


def test_a_port_another_program_listens_on_is_named(listening_port: int) -> None:
    free = free_port()
    values = {**VALUES, "DEVSTACK_HTTPS_PORT": str(free), "DEVSTACK_REDIS_PORT": str(listening_port)}
    conflicts = host_ports.find_port_conflicts(host_ports.wanted_host_ports(values), "t1", holders={})
    assert [(c.variable, c.address, c.port) for c in conflicts] == [
        ("DEVSTACK_REDIS_PORT", "127.0.0.1", listening_port)
    ]
    assert "another program" in conflicts[0].holder
    assert f"DEVSTACK_REDIS_PORT={listening_port}: 127.0.0.1:{listening_port} is already in use" in (
        conflicts[0].message()
    )


def test_a_port_of_our_own_running_stack_is_no_conflict_but_another_stacks_is(listening_port: int) -> None:
    values = {**VALUES, "DEVSTACK_HTTPS_PORT": str(listening_port)}
    wanted = host_ports.wanted_host_ports(values)
    ours = {listening_port: [host_ports.PortHolder("t1-proxy-1", "t1")]}
    assert host_ports.find_port_conflicts(wanted, "t1", ours) == []
    theirs = {listening_port: [host_ports.PortHolder("other-proxy-1", "other")]}
    (conflict,) = host_ports.find_port_conflicts(wanted, "t1", theirs)
    assert conflict.holder == "container other-proxy-1 (Compose project other)"


def test_ensure_host_ports_free_raises_a_config_error_naming_the_variable(
    listening_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(host_ports, "docker_port_holders", lambda: {})
    values = {**VALUES, "DEVSTACK_HTTPS_PORT": str(free_port()), "DEVSTACK_TERASERVER_PORT": str(listening_port)}
    with pytest.raises(settings.ConfigError, match=f"DEVSTACK_TERASERVER_PORT={listening_port}"):
        host_ports.ensure_host_ports_free(values, "t1")
    # Once the other program is gone, the same configuration passes.
    values["DEVSTACK_TERASERVER_PORT"] = str(free_port())
    host_ports.ensure_host_ports_free(values, "t1")
