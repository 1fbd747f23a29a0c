"""`python -m teraserver`: read settings, wait for PostgreSQL and Redis, boot once, then serve with granian.

Process model: this process runs the boot sequence, then becomes granian's main process, which forks
TERASERVER_WORKERS workers. Each worker parses HTTP in granian's Rust runtime and runs the Flask app on up to
TERASERVER_THREADS Python threads; workers build their own Flask app, database pool and Redis pool after the
fork. Before granian starts, the main process also forks the websocket process (teraserver.realtime:
websockets, presence and the UserManager module), which NGINX reaches on TERASERVER_WEBSOCKET_PORT, and
restarts it if it dies.
SIGTERM is a clean stop at any stage (exit 0); Redis is left as it is (no FLUSHDB: other services' keys live
there too).

Why granian rather than gunicorn: gunicorn parses HTTP and juggles keep-alive connections in Python, which cost
about a third of the CPU of a cheap request (bench/teraserver_api.py); granian does that in native code and,
unlike uWSGI's HTTP socket, does not tie a thread to each idle keep-alive connection.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from teraserver.logs import logging_config, start_process
from teraserver.settings import Settings

log = logging.getLogger("teraserver")

EXIT_CONFIG = 2
EXIT_DEPENDENCY = 1
# How long a worker may take to finish its requests once asked to stop, before it is killed.
WORKER_STOP_SECONDS = 10


def load_application(target: str, settings: Settings) -> Any:
    """Runs in each worker after the fork: its own Flask app, database pool and Redis pool."""
    from teraserver.app import create_app

    app = create_app(settings)
    freeze_long_lived_objects()
    return app


def freeze_long_lived_objects() -> None:
    """Put every object alive now out of the cyclic garbage collector's reach, for good.

    After boot, and again once a worker has built its app, ~140,000 objects (modules, models, mappers,
    compiled statements) live as long as the process. A full collection walks all of them: 105-140 ms here,
    holding the GIL, so every request of that worker waited; at 16 connections those pauses made the p99 of
    GET /api/user/services (bench/teraserver_api.py). Frozen objects are never walked; garbage made later is
    still collected. Freezing before the fork also stops the workers' collections writing to the objects they
    inherit, which keeps those memory pages shared with the main process.
    """
    gc.collect()
    gc.freeze()


REALTIME_PROCESS_NAME = "teraserver-wss"


def run_realtime() -> None:
    """The websocket process's entry, in the forked child."""
    # Its own session, so a Ctrl-C meant for the server reaches it through RealtimeProcess.stop only; the
    # boot's SIGTERM handler is ours, not its (its event loop installs its own).
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Its name in `ps`, `top` and /proc/<pid>/comm: a fork keeps the command line of the server.
    with contextlib.suppress(OSError):
        Path("/proc/self/comm").write_text(REALTIME_PROCESS_NAME, encoding="utf-8")
    from teraserver.realtime.__main__ import main as realtime_main

    sys.exit(realtime_main())


class RealtimeProcess(threading.Thread):
    """Forks the websocket process (teraserver.realtime: websockets and the UserManager module) and restarts it
    if it dies.

    Forked from this booted, frozen process, as granian forks its workers, so it shares the pages of every
    module imported so far instead of holding its own copy (a separate interpreter cost ~89 MB of private
    memory; bench/stack_memory.py). The boot closed its database and Redis connections before: the child
    opens its own. The first fork happens before granian is imported or serving.
    """

    def __init__(self) -> None:
        super().__init__(name="realtime-supervisor", daemon=True)
        self._stopping = threading.Event()
        self._context = multiprocessing.get_context("fork")
        self._process: multiprocessing.process.BaseProcess | None = None

    def fork(self) -> None:
        self._process = self._context.Process(target=run_realtime, name="teraserver-realtime")
        self._process.start()

    def run(self) -> None:
        while self._process is not None:
            self._process.join()
            if self._stopping.is_set():
                return
            log.error("websocket process exited; restarting it", extra={"exit_code": self._process.exitcode})
            if self._stopping.wait(1.0):
                return
            self.fork()

    def stop(self) -> None:
        self._stopping.set()
        process = self._process
        if process is None or process.exitcode is not None:
            return
        process.terminate()  # it closes every socket (1001) and reports each client offline
        process.join(timeout=WORKER_STOP_SECONDS)
        if process.exitcode is None:
            process.kill()


def build_server(settings: Settings) -> Any:
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import MPServer

    # MPServer: worker processes, each with its own GIL (CPython here is never the free-threaded build).
    server = MPServer(
        # granian imports no module named by the target: load_application builds the app instead.
        target="teraserver.app:create_app",
        address="0.0.0.0",
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=settings.workers,
        blocking_threads=settings.threads,
        # One runtime thread per worker: its job is socket I/O and HTTP parsing; more would only contend for
        # the two cores with the Python threads.
        runtime_threads=1,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(keep_alive=True),
        websockets=False,
        # Our middleware writes the access lines (JSON, with duration); granian's own stay off.
        log_access=False,
        log_level=LogLevels(settings.log_level.lower()),
        log_dictconfig=logging_config(settings.log_level),
        respawn_failed_workers=True,
        workers_kill_timeout=WORKER_STOP_SECONDS,
    )
    return server


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # As PID 1 in a container, SIGTERM has no default action: without this handler `docker stop` would
    # wait 10 s and SIGKILL us while we wait for the database.
    log.info("SIGTERM received during boot; exiting")
    sys.exit(0)


def main() -> int:
    settings = start_process(log)
    if settings is None:
        return EXIT_CONFIG
    signal.signal(signal.SIGTERM, _exit_on_sigterm)

    from teraserver.boot import run_boot
    from teraserver.waiting import DependencyUnavailable, wait_for_dependencies

    log.info(
        "TeraServer starting",
        extra={
            "db": f"{settings.db_host}:{settings.db_port}/{settings.db_name}",
            "redis": f"{settings.redis_host}:{settings.redis_port}/{settings.redis_db}",
            "port": settings.port,
            "workers": settings.workers,
            "threads": settings.threads,
            "test_data": settings.test_data,
        },
    )
    try:
        wait_for_dependencies(settings)
    except DependencyUnavailable as exc:
        log.critical(str(exc))
        return EXIT_DEPENDENCY
    run_boot(settings)
    freeze_long_lived_objects()

    log.info(f"serving on 0.0.0.0:{settings.port}")
    # granian handles SIGTERM/SIGINT from here on: workers finish their requests, then serve() returns.
    realtime = RealtimeProcess()
    realtime.fork()
    realtime.start()
    server = build_server(settings)
    try:
        server.serve(target_loader=functools.partial(load_application, settings=settings))
    finally:
        realtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
