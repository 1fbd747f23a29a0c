"""devstack.testing.swarm leaves a swarm it made only when leaving breaks no running container's name
resolution (moby issue 45144: `docker swarm leave` breaks the embedded DNS of the containers running then)."""

from __future__ import annotations

import pytest

from devstack.testing import swarm


class FakeDocker:
    def __init__(self, ps_lines: list[str]) -> None:
        self.ps_lines = ps_lines
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *arguments: str, timeout: float = 120, check: bool = True) -> str:
        self.calls.append(arguments)
        if arguments[0] == "ps":
            return "".join(line + "\n" for line in self.ps_lines)
        return ""


def test_only_swarm_tasks_running_the_swarm_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker(["bench-swarm-1_teraserver.1.abc\ttask-id-1", "bench-swarm-1_proxy.x.def\ttask-id-2"])
    monkeypatch.setattr(swarm, "docker", fake)
    said: list[str] = []
    assert swarm.leave_swarm_made_here(said.append) is True
    assert ("swarm", "leave", "--force") in fake.calls
    assert said == []


def test_a_compose_container_running_keeps_the_swarm_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker(["opentera-devstack-proxy-1\t", "bench-swarm-1_proxy.x.def\ttask-id-2"])
    monkeypatch.setattr(swarm, "docker", fake)
    said: list[str] = []
    assert swarm.leave_swarm_made_here(said.append) is False
    assert not any(call[:2] == ("swarm", "leave") for call in fake.calls)
    assert len(said) == 1
    assert "opentera-devstack-proxy-1" in said[0] and "45144" in said[0] and "docker swarm leave --force" in said[0]
    assert "bench-swarm-1_proxy" not in said[0]
