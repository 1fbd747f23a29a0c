"""Running things, with progress: step lines, commands logged to a file, and the log's tail on failure."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from devstack.offline_images.errors import OfflineImagesError

LOG_TAIL_LINES = 30
# Without a terminal, a progress line at most this often (and at least this often while busy).
PROGRESS_INTERVAL_SECONDS = 3.0


class Reporter:
    """Prints one line per step with the seconds since the command started."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.started = time.monotonic()
        self.stream = stream or sys.stdout

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def step(self, message: str) -> None:
        print(f"[{self.elapsed():6.1f}s] {message}", file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        print(f"          {message}", file=self.stream, flush=True)


def compact(line: str, width: int = 110) -> str:
    line = " ".join(line.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _pump(source: IO[bytes], log: IO[bytes], lines: queue.Queue[str | None]) -> None:
    for raw in iter(source.readline, b""):
        log.write(raw)
        log.flush()
        lines.put(raw.decode("utf-8", errors="replace").rstrip())
    lines.put(None)


def _show_progress(lines: queue.Queue[str | None], label: str, reporter: Reporter) -> None:
    """Show the latest output line every few seconds (in place on a terminal) until the output ends."""
    tty = reporter.stream.isatty()
    interval = 0.25 if tty else PROGRESS_INTERVAL_SECONDS
    started = time.monotonic()
    last_shown = started
    latest = ""
    while True:
        try:
            line = lines.get(timeout=0.25)
        except queue.Empty:
            line = ""
        if line is None:
            break
        latest = line or latest
        now = time.monotonic()
        if now - last_shown >= interval:
            last_shown = now
            text = f"{label} {now - started:4.0f}s | {compact(latest or 'working…')}"
            if tty:
                reporter.stream.write("\r\033[K          " + text)
                reporter.stream.flush()
            else:
                reporter.detail(text)
    if tty:
        reporter.stream.write("\r\033[K")
        reporter.stream.flush()


def run_logged(
    command: Sequence[str],
    label: str,
    log_path: Path,
    reporter: Reporter,
    stdin: IO[bytes] | int | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run `command`, saving all its output to `log_path` and showing it compactly; the exit status."""
    with log_path.open("ab") as log:
        log.write(("$ " + " ".join(command) + "\n").encode())
        process = subprocess.Popen(
            list(command),
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
        )
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        pump = threading.Thread(target=_pump, args=(process.stdout, log, lines), daemon=True)
        pump.start()
        try:
            _show_progress(lines, label, reporter)
        except BaseException:
            process.kill()
            raise
        finally:
            pump.join(timeout=5)
        return process.wait()


def log_tail(log_path: Path, count: int = LOG_TAIL_LINES) -> str:
    if not log_path.is_file():
        return ""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-count:])


def build_failure(what: str, log_path: Path) -> OfflineImagesError:
    tail = log_tail(log_path)
    indented = "\n".join("    " + line for line in tail.splitlines())
    return OfflineImagesError(
        f"building {what} failed. Last lines of the log ({log_path}, kept):\n{indented}"
        if tail
        else f"building {what} failed; see {log_path}"
    )
