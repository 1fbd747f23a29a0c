"""Port assignment stays clear of upstream's reserved ports and of every manifest's port."""

from __future__ import annotations

import pytest

from devstack import ports


def reserved(port: int) -> bool:
    return any(low <= port <= high for low, high in ports.RESERVED_RANGES)


def test_issue_ranges_are_all_reserved() -> None:
    for port in (4040, 4041, 4042, 4043, 4070, 4080, 4090, 5010, 5678, 8080, 8100, 8130, 9095, 9500, 10005):
        assert reserved(port), port
    for port in (10090, 10095, 10100, 40075):
        assert reserved(port), port
    for port in (4039, 4044, 5020, 8079, 8131, 9094, 10006, 10089, 10101, 40074, 40076):
        assert not reserved(port), port


def test_first_assignment_is_the_first_free_port() -> None:
    assert ports.assign_port([]) == ports.FIRST_ASSIGNED_PORT
    assert ports.assign_port([5020, 5021]) == 5022


def test_assignment_skips_taken_and_reserved_ports() -> None:
    taken = set(range(ports.FIRST_ASSIGNED_PORT, 5678))
    assert ports.assign_port(taken) == 5679
    taken = set(range(ports.FIRST_ASSIGNED_PORT, 8080))
    assert ports.assign_port(taken) == 8131
    taken = set(range(ports.FIRST_ASSIGNED_PORT, 9095)) - set(range(8080, 8131))
    assert ports.assign_port(taken) == 10006


def test_assignments_in_a_row_never_repeat_or_hit_reserved_ports() -> None:
    taken: list[int] = []
    for _ in range(600):
        port = ports.assign_port(taken)
        assert port not in taken
        assert not reserved(port)
        ports.check_port(port, taken)
        taken.append(port)


def test_exhaustion_is_reported() -> None:
    everything = range(ports.FIRST_ASSIGNED_PORT, ports.MAX_PORT + 1)
    with pytest.raises(ports.PortError, match="no free port"):
        ports.assign_port(everything)


@pytest.mark.parametrize(
    ("port", "reason"),
    [
        (4040, "reserved by upstream OpenTera \\(4040-4043\\)"),
        (4070, "reserved by upstream OpenTera \\(4070\\)"),
        (5010, "reserved"),
        (8100, "reserved by upstream OpenTera \\(8080-8130\\)"),
        (9999, "reserved"),
        (10095, "reserved"),
        (40075, "reserved"),
        (80, "out of range"),
        (0, "out of range"),
        (65536, "out of range"),
        (-1, "out of range"),
        (5020, "already used"),
        ("5030", "not a whole number"),
        (True, "not a whole number"),
        (5030.5, "not a whole number"),
    ],
)
def test_bad_ports_are_refused_with_the_reason(port: object, reason: str) -> None:
    with pytest.raises(ports.PortError, match=reason):
        ports.check_port(port, [5020])


@pytest.mark.parametrize(("text", "value"), [("5030", 5030), (" 6000 ", 6000)])
def test_parse_port(text: str, value: int) -> None:
    assert ports.parse_port(text) == value


@pytest.mark.parametrize("text", ["", "abc", "50x", "-5", "5.0"])
def test_parse_port_refuses_non_numbers(text: str) -> None:
    with pytest.raises(ports.PortError, match="not a whole number"):
        ports.parse_port(text)
