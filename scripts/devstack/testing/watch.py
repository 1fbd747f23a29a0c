"""`docker compose watch` in the background, for tests and bench scripts, and polling for a change to go live.

Compose 2.26's `watch` needs no terminal: with stdin closed and its output in a file it syncs as usual.
`--no-up` makes it attach to the containers already running instead of building and starting them again.
It is ready once it prints "Watch enabled"; it stops on SIGINT like on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

READY_LINE = "Watch enabled"
STOP_SECONDS = 15

Result = TypeVar("Result")


class WatchError(RuntimeError):
    """`docker compose watch` exited or never became ready; the message carries its output."""


class ComposeWatch:
    """`<compose command> watch --no-up SERVICE...` running while the `with` block runs.

    `compose_command` is the project's `docker compose ...` prefix (project name, env files); the process gets a
    process group of its own so that stopping it stops whatever it started, and nothing else.
    """

    def __init__(self, compose_command: Sequence[str], cwd: Path, services: Sequence[str], log_file: Path) -> None:
        self.command = [*compose_command, "watch", "--no-up", *services]
        self.cwd = cwd
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    def output(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace") if self.log_file.exists() else ""

    def start(self, ready_timeout: float = 60) -> None:
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + ready_timeout
        while READY_LINE not in self.output():
            if self.process.poll() is not None:
                raise WatchError(f"`docker compose watch` exited ({self.process.returncode}):\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise WatchError(f"`docker compose watch` not ready in {ready_timeout:.0f} s:\n{self.output()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGINT to the watch's own process group (as Ctrl-C), then SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        group = os.getpgid(process.pid)
        os.killpg(group, signal.SIGINT)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)

    def __enter__(self) -> ComposeWatch:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def poll_until(
    probe: Callable[[], Result], accept: Callable[[Result], bool], timeout: float, interval: float = 0.1
) -> tuple[Result, float]:
    """Call `probe` until `accept` takes its result (returned with the seconds it took); TimeoutError with the
    last result after `timeout` seconds. A probe raising OSError (connection refused...) counts as not yet."""
    started = time.monotonic()
    last: object = "no answer yet"
    while True:
        try:
            result = probe()
        except OSError as error:
            last = error
        else:
            if accept(result):
                return result, time.monotonic() - started
            last = result
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not seen within {timeout:.0f} s; last: {str(last)[:300]}")
        time.sleep(interval)
