"""Structured logging: one JSON object per line on stdout.

Docker collects stdout, and one JSON object per line stays greppable by humans and parseable by tools
(`docker compose logs teraserver | jq`). Access-log records carry method/path/status/duration as extra fields.
"""

from __future__ import annotations

import atexit
import datetime
import json
import logging
import multiprocessing.util
import os
import threading
import time
import weakref
from typing import Any

from teraserver.settings import Settings, SettingsError, load_settings

# Attributes every LogRecord has; anything else was passed with `extra=` and is copied into the JSON object.
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class BatchedStdoutHandler(logging.Handler):
    """Writes log lines to stdout in batches: at most FLUSH_SECONDS late, at once for WARNING and above.

    Under load TeraServer writes one access line per request. One write per line woke Docker's log pipeline
    (containerd-shim, then dockerd, which turns the stream into json-file entries) for every request: that
    cost more CPU than the request itself (bench/teraserver_api.py: ~0.4 ms per request across those
    processes). Batching keeps every line, in order, and delays INFO lines by at most FLUSH_SECONDS.

    Processes: a forked child (granian's workers) starts with an empty buffer and its own flusher thread;
    the lock is held across fork() so no half-appended buffer is inherited. Buffered lines are written at
    interpreter exit and when a multiprocessing child (a granian worker) ends.
    """

    FLUSH_SECONDS = 0.1
    MAX_PENDING_BYTES = 256 * 1024

    def __init__(self, fd: int = 1) -> None:
        super().__init__()
        self.fd = fd  # stdout; tests pass a pipe
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._pending_lock = threading.Lock()
        self._closed = False
        self._flusher_pid: int | None = None
        _live_handlers.add(self)  # exit and fork hooks: registered once for all handlers, below

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8", "replace")
        except Exception:
            self.handleError(record)
            return
        with self._pending_lock:
            self._pending.append(line)
            self._pending_bytes += len(line)
            if record.levelno >= logging.WARNING or self._pending_bytes >= self.MAX_PENDING_BYTES:
                self._write_pending()
                return
        if self._flusher_pid != os.getpid():
            self._start_flusher()

    def flush(self) -> None:
        with self._pending_lock:
            self._write_pending()

    def close(self) -> None:
        self.flush()
        self._closed = True
        _live_handlers.discard(self)
        super().close()

    def _write_pending(self) -> None:
        """Write the buffer to our fd; the caller holds the lock, so batches never interleave or reorder."""
        if not self._pending:
            return
        data = memoryview(b"".join(self._pending))
        self._pending.clear()
        self._pending_bytes = 0
        while data:
            data = data[os.write(self.fd, data) :]

    def _start_flusher(self) -> None:
        with self._pending_lock:
            if self._flusher_pid == os.getpid():
                return
            self._flusher_pid = os.getpid()
        threading.Thread(target=self._flush_periodically, name="log-flusher", daemon=True).start()
        _flush_all_at_multiprocessing_exit()

    def _flush_periodically(self) -> None:
        pid = os.getpid()
        while not self._closed and self._flusher_pid == pid:
            time.sleep(self.FLUSH_SECONDS)
            self.flush()

    def _before_fork(self) -> None:
        self._pending_lock.acquire()
        self._write_pending()

    def _after_fork_in_parent(self) -> None:
        self._pending_lock.release()

    def _after_fork_in_child(self) -> None:
        self._pending_lock = threading.Lock()


# Handlers not closed yet. atexit and os.register_at_fork keep what they are given for the life of the process
# and cannot forget it: hooks registered per handler piled up with each dictConfig() (3-4 per process) and kept
# every closed handler alive. One set of hooks, registered at import, walks this set instead.
_live_handlers: weakref.WeakSet[BatchedStdoutHandler] = weakref.WeakSet()


def _flush_all() -> None:
    for handler in list(_live_handlers):
        handler.flush()


# The handlers whose locks the forking thread holds: the same ones must be released after the fork.
_held_across_fork: list[BatchedStdoutHandler] = []
_multiprocessing_exit_flush_pid: int | None = None


def _before_fork_all() -> None:
    _held_across_fork[:] = list(_live_handlers)
    for handler in _held_across_fork:
        handler._before_fork()


def _after_fork_in_parent_all() -> None:
    for handler in _held_across_fork:
        handler._after_fork_in_parent()
    _held_across_fork.clear()


def _after_fork_in_child_all() -> None:
    for handler in _held_across_fork:
        handler._after_fork_in_child()
    _held_across_fork.clear()


def _flush_all_at_multiprocessing_exit() -> None:
    """multiprocessing children leave through os._exit(), which skips atexit: flush from its finalizers too
    (once per process)."""
    global _multiprocessing_exit_flush_pid
    if _multiprocessing_exit_flush_pid != os.getpid():
        _multiprocessing_exit_flush_pid = os.getpid()
        multiprocessing.util.Finalize(None, _flush_all, exitpriority=0)


atexit.register(_flush_all)
os.register_at_fork(
    before=_before_fork_all, after_in_parent=_after_fork_in_parent_all, after_in_child=_after_fork_in_child_all
)


def logging_config(level: str, fd: int = 1) -> dict[str, Any]:
    """dictConfig used both by our code and by granian (its `log_dictconfig`), so all lines share one format.

    Lines go to stdout (fd 1), or to `fd` (2 for commands whose stdout is their result)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": {"()": BatchedStdoutHandler, "formatter": "json", "fd": fd}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            # granian's own lines (start, workers, shutdown) go through the root logger's JSON handler.
            "_granian": {"level": level},
            # Our middleware writes access lines itself (with duration); granian's access log stays off.
            "granian.access": {"level": "WARNING"},
            # SQLAlchemy / werkzeug are chatty at INFO.
            "sqlalchemy": {"level": "WARNING"},
            "werkzeug": {"level": "WARNING"},
        },
    }


def setup_logging(level: str) -> None:
    import logging.config

    logging.config.dictConfig(logging_config(level))
    # The package's models emit SQLAlchemy warnings while creating test data; keep them on the JSON stream.
    logging.captureWarnings(True)


def start_process(logger: logging.Logger) -> Settings | None:
    """Logging on, then the settings read; None (the reason logged as CRITICAL) when a variable is refused."""
    setup_logging("INFO")
    try:
        settings = load_settings()
    except SettingsError as exc:
        logger.critical(f"invalid configuration: {exc}")
        return None
    setup_logging(settings.log_level)
    return settings
