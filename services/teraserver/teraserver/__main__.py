"""`python -m teraserver`: read settings, wait for PostgreSQL and Redis, boot once, then serve with gunicorn.

Process model: this process runs the boot sequence, then becomes the gunicorn arbiter, which forks
TERASERVER_WORKERS workers (gthread, TERASERVER_THREADS threads each). Workers build their own Flask app,
database pool and Redis pool after the fork. SIGTERM is a clean stop at any stage (exit 0); Redis is left
as it is (no FLUSHDB: other services' keys live there too).
"""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType
from typing import Any

from gunicorn.app.base import BaseApplication

from teraserver.logs import logging_config, setup_logging
from teraserver.settings import Settings, SettingsError, load_settings

log = logging.getLogger("teraserver")

EXIT_CONFIG = 2
EXIT_DEPENDENCY = 1


def _rpc_responder_starter(settings: Settings) -> Any:
    def when_ready(server: Any) -> None:
        from teraserver.rpc_server import start_user_manager

        start_user_manager(settings.redis_kwargs())

    return when_ready


class TeraServerApplication(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": [f"0.0.0.0:{s.port}"],
            "workers": s.workers,
            "worker_class": "gthread",
            "threads": s.threads,
            # NGINX sends `X_ExternalServer` (underscore). gunicorn >= 22 drops such headers by default;
            # "dangerous" maps them into the environ like upstream's Twisted container did, so
            # request.headers["X_EXTERNALSERVER"] works. We sit behind our own proxy on a private network.
            "header_map": "dangerous",
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            "accesslog": None,  # our middleware logs requests (JSON, with duration)
            "logconfig_dict": logging_config(s.log_level),
            "proc_name": "teraserver",
            # One UserManager RPC responder for the whole server, in the arbiter: per worker, every request
            # would get one reply per worker.
            "when_ready": _rpc_responder_starter(s),
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Runs in each worker after fork: fresh DB and Redis connections per worker.
        from teraserver.app import create_app

        return create_app(self.settings)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # As PID 1 in a container, SIGTERM has no default action: without this handler `docker stop` would
    # wait 10 s and SIGKILL us while we wait for the database.
    log.info("SIGTERM received during boot; exiting")
    sys.exit(0)


def main() -> int:
    setup_logging("INFO")
    try:
        settings = load_settings()
    except SettingsError as exc:
        log.critical(f"invalid configuration: {exc}")
        return EXIT_CONFIG
    setup_logging(settings.log_level)
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

    log.info(f"serving on 0.0.0.0:{settings.port}")
    TeraServerApplication(settings).run()  # returns only through sys.exit from the arbiter
    return 0


if __name__ == "__main__":
    sys.exit(main())
