"""Progress for long operations: nothing the user waits for stays silent for more than a few seconds.

A `Heartbeat` says what is awaited and for how long, once the output has been quiet for `interval` seconds;
anything else printed in the meantime (a command's own output, a step line) resets that quiet time, so the
lines only fill the gaps. Three ways to use it:

* `heartbeat(...)`: a context manager ticking from a background thread around any blocking call;
* `run_command(...)`: a subprocess whose output is kept (for error messages), echoed or summarised by its
  latest line, with heartbeat lines while it is quiet;
* `Heartbeat.tick()` called from a polling loop of one's own (no thread needed).

The clock and the output sink are parameters, so the timing logic is tested with a fake clock.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

Clock = Callable[[], float]
Sink = Callable[[str], None]
Detail = Callable[[], str]

# "Nothing silent for more than a few seconds": a line after this much quiet.
DEFAULT_INTERVAL_SECONDS = 3.0
# How often the background thread checks whether a line is due (well below the interval).
POLL_SECONDS = 0.25
LINE_WIDTH = 110


def print_line(message: str) -> None:
    """The default sink: one line on stdout, flushed so it shows even when piped."""
    print(message, flush=True)


def compact(text: str, width: int = LINE_WIDTH) -> str:
    """One line of at most `width` characters, runs of white space folded (build output is full of them)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class Heartbeat:
    """Emits "<what> (<n> s): <detail>" to `sink` whenever nothing was shown for `interval` seconds."""

    def __init__(
        self,
        what: str,
        sink: Sink = print_line,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        detail: Detail | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, not {interval}")
        self.what = what
        self.sink = sink
        self.interval = interval
        self.detail = detail
        self.clock = clock
        self.started = clock()
        self.last_shown = self.started
        self.lines_emitted = 0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def output_seen(self) -> None:
        """Something else was just shown to the user: the quiet time starts again."""
        self.last_shown = self.clock()

    def due(self) -> bool:
        return self.clock() - self.last_shown >= self.interval

    def message(self) -> str:
        text = f"... {self.what} ({self.elapsed():.0f} s)"
        if self.detail is not None:
            try:
                extra = self.detail()
            except Exception as error:  # a detail is a nicety: never let it break the operation it reports on
                extra = f"(detail unavailable: {error})"
            if extra:
                text += f": {compact(extra)}"
        return text

    def tick(self) -> str | None:
        """Emit a line when one is due; the line emitted, else None."""
        if not self.due():
            return None
        line = self.message()
        self.sink(line)
        self.lines_emitted += 1
        # Measured after the sink: a slow detail (a `docker compose ps`) must not shorten the next gap.
        self.last_shown = self.clock()
        return line


def _tick_until(beat: Heartbeat, stop: threading.Event, poll: float) -> None:
    while not stop.wait(poll):
        beat.tick()


@contextmanager
def heartbeat(
    what: str,
    sink: Sink = print_line,
    *,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    detail: Detail | None = None,
    poll: float = POLL_SECONDS,
) -> Iterator[Heartbeat]:
    """Tick a Heartbeat from a background thread while the body runs (a blocking call we cannot interleave)."""
    beat = Heartbeat(what, sink, interval=interval, detail=detail)
    stop = threading.Event()
    thread = threading.Thread(target=_tick_until, args=(beat, stop, poll), name="devstack-heartbeat", daemon=True)
    thread.start()
    try:
        yield beat
    finally:
        stop.set()
        thread.join(timeout=poll * 4 + 5)


@dataclass
class CommandResult:
    """A finished command: exit status, its combined stdout/stderr lines, and how long it took."""

    returncode: int
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def tail(self, count: int = 25) -> str:
        return "\n".join(self.lines[-count:])


def run_command(
    command: Sequence[str],
    what: str,
    sink: Sink = print_line,
    *,
    echo: bool = False,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    detail: Detail | None = None,
) -> CommandResult:
    """Run `command` (stdout and stderr merged, kept in the result) with progress lines while it is quiet.

    `echo`: pass every output line on to `sink` (Compose's plain progress); otherwise the heartbeat line
    carries the latest output line, so a build shows where it is without flooding the terminal.
    `detail` replaces that latest line when given. Raises subprocess.TimeoutExpired (the process killed)
    after `timeout` seconds.
    """
    latest = {"line": ""}
    beat_detail = detail if detail is not None else (lambda: latest["line"])
    beat = Heartbeat(what, sink, interval=interval, detail=beat_detail)
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert process.stdout is not None
    lines: list[str] = []

    def pump() -> None:
        for raw in process.stdout:  # type: ignore[union-attr]
            line = raw.rstrip("\n")
            lines.append(line)
            if line.strip():
                latest["line"] = line
            if echo:
                sink(line)
                beat.output_seen()

    reader = threading.Thread(target=pump, name="devstack-output", daemon=True)
    reader.start()
    stop = threading.Event()
    ticker = threading.Thread(target=_tick_until, args=(beat, stop, POLL_SECONDS), daemon=True)
    ticker.start()
    try:
        returncode = process.wait(timeout=timeout)
    except BaseException:  # timeout or Ctrl-C: do not leave the command running behind us
        process.kill()
        process.wait()
        raise
    finally:
        stop.set()
        reader.join(timeout=5)
        ticker.join(timeout=5)
    return CommandResult(returncode, lines, beat.elapsed())


def stream_is_terminal(stream: object = None) -> bool:
    """True when `stream` (default: stdout) is an interactive terminal, where tools draw their own progress."""
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())
