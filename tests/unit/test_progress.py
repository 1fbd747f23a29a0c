"""devstack.progress: heartbeat lines fill every quiet gap longer than the interval, and only those."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack import compose, progress


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_heartbeat(clock: FakeClock, interval: float = 3.0, detail: progress.Detail | None = None):
    lines: list[str] = []
    beat = progress.Heartbeat("waiting for teraserver", lines.append, interval=interval, detail=detail, clock=clock)
    return beat, lines


def test_no_line_before_the_interval_then_one_saying_what_and_how_long() -> None:
    clock = FakeClock()
    beat, lines = make_heartbeat(clock, interval=3.0)
    clock.advance(2.9)
    assert beat.tick() is None
    clock.advance(0.2)
    line = beat.tick()
    assert line == "... waiting for teraserver (3 s)"
    assert lines == [line]


def test_detail_is_appended_and_read_at_each_line() -> None:
    clock = FakeClock()
    states = iter(["teraserver starting", "sample starting"])
    beat, lines = make_heartbeat(clock, detail=lambda: next(states))
    for _ in range(2):
        clock.advance(3)
        beat.tick()
    assert lines == [
        "... waiting for teraserver (3 s): teraserver starting",
        "... waiting for teraserver (6 s): sample starting",
    ]


def test_a_failing_detail_still_gives_a_line() -> None:
    clock = FakeClock()

    def broken() -> str:
        raise RuntimeError("docker gone")

    beat, lines = make_heartbeat(clock, detail=broken)
    clock.advance(5)
    beat.tick()
    assert lines == ["... waiting for teraserver (5 s): (detail unavailable: docker gone)"]


def test_other_output_postpones_the_next_line() -> None:
    clock = FakeClock()
    beat, lines = make_heartbeat(clock, interval=3.0)
    clock.advance(2.5)
    beat.output_seen()  # e.g. Compose printed "Container db Healthy"
    clock.advance(2.5)
    assert beat.tick() is None
    clock.advance(0.5)
    assert beat.tick() is not None
    assert len(lines) == 1


@pytest.mark.parametrize("interval", [1.0, 3.0, 5.0])
def test_over_a_long_wait_no_gap_exceeds_the_interval_and_lines_are_not_denser(interval: float) -> None:
    clock = FakeClock(0.0)
    beat, _ = make_heartbeat(clock, interval=interval)
    shown_at = [0.0]
    step = 0.25
    for _ in range(int(60 / step)):
        clock.advance(step)
        if beat.tick() is not None:
            shown_at.append(clock.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(shown_at)]
    assert len(gaps) == int(60 // interval)
    assert max(gaps) < interval + step
    assert min(gaps) >= interval


def test_a_slow_detail_does_not_shorten_the_next_gap() -> None:
    clock = FakeClock()

    def slow_detail() -> str:
        clock.advance(2.0)  # a `docker compose ps` that takes 2 s
        return "db starting"

    beat, lines = make_heartbeat(clock, interval=3.0, detail=slow_detail)
    clock.advance(3)
    beat.tick()
    clock.advance(2.9)
    assert beat.tick() is None
    assert len(lines) == 1


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval must be positive, not 0"):
        progress.Heartbeat("x", print, interval=0)


def test_compact_folds_white_space_and_cuts_long_lines() -> None:
    assert progress.compact("#5  [2/3]   RUN\tpip install") == "#5 [2/3] RUN pip install"
    cut = progress.compact("x" * 200, width=20)
    assert len(cut) == 20 and cut.endswith("…")


def python_command(code: str) -> list[str]:
    return [sys.executable, "-u", "-c", code]


def test_run_command_keeps_the_output_and_reports_the_latest_line_while_quiet() -> None:
    lines: list[str] = []
    code = "import time\nprint('step 1/2 downloading')\ntime.sleep(0.9)\nprint('step 2/2 done')\nraise SystemExit(3)"
    result = progress.run_command(python_command(code), "building demo", lines.append, interval=0.3)
    assert result.returncode == 3
    assert result.lines == ["step 1/2 downloading", "step 2/2 done"]
    beats = [line for line in lines if line.startswith("... building demo")]
    assert beats, lines
    assert any(line.endswith(": step 1/2 downloading") for line in beats)
    # Not echoed: the command's own lines only appear inside heartbeat lines.
    assert "step 2/2 done" not in lines


def test_run_command_echo_passes_every_line_on() -> None:
    lines: list[str] = []
    result = progress.run_command(python_command("print('Container db Started')"), "up", lines.append, echo=True)
    assert result.returncode == 0
    assert lines == ["Container db Started"]


def test_run_command_kills_the_command_after_its_timeout() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        progress.run_command(python_command("import time; time.sleep(30)"), "sleeping", lambda _: None, timeout=0.5)


def test_heartbeat_context_ticks_from_a_thread_while_the_body_blocks() -> None:
    lines: list[str] = []
    with progress.heartbeat("pulling", lines.append, interval=0.2, poll=0.05):
        time.sleep(0.7)
    assert len(lines) >= 2
    assert all(line.startswith("... pulling (") for line in lines)


def test_describe_waiting_names_only_the_services_not_ready() -> None:
    states = {
        "db": "running (healthy)",
        "certs": "exited (0)",
        "teraserver": "running (starting)",
        "sample": "created",
        "redis": "running",
    }
    assert compose.describe_waiting(states) == "waiting for sample created, teraserver running (starting)"
    assert compose.describe_waiting({"db": "running (healthy)"}) == "every service is up"
    assert compose.describe_waiting({}) == "no container yet (building or creating)"


def test_run_compose_piped_echoes_compose_and_adds_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []

    def fake_run_command(command: list[str], what: str, **kwargs: object) -> progress.CommandResult:
        calls.append({"command": command, "what": what, **kwargs})
        return progress.CommandResult(0)

    monkeypatch.setattr(progress, "stream_is_terminal", lambda stream=None: False)
    monkeypatch.setattr(progress, "run_command", fake_run_command)
    assert compose.ComposeProject(Path("/repo"), "p1").stream(["up", "--wait"]) == 0
    (call,) = calls
    assert call["command"] == [
        "docker", "compose", "--project-directory", "/repo", "--project-name", "p1", "up", "--wait",
    ]  # fmt: skip
    assert call["echo"] is True
    assert call["what"] == "docker compose up"
