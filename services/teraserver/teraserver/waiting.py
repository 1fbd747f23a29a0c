"""Bounded waits for PostgreSQL and Redis at boot.

In Compose the database and Redis may still be starting when we do; retrying once per second with a clear
line per attempt tells the operator what we wait for, and giving up after a bounded number of attempts turns
a wrong host name into an exit code instead of a silent hang.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import psycopg2
import redis

from teraserver.settings import Settings

log = logging.getLogger("teraserver.waiting")


class DependencyUnavailable(RuntimeError):
    """Raised when a dependency still does not answer after the last attempt."""


def wait_for(
    what: str,
    probe: Callable[[], None],
    attempts: int,
    delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Call `probe` until it returns without raising, at most `attempts` times, `delay` seconds apart."""
    for attempt in range(1, attempts + 1):
        try:
            probe()
        except Exception as exc:  # any failure (DNS, refused, auth, starting up) is worth a retry
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            log.warning(f"waiting for {what} (attempt {attempt}/{attempts}): {reason}")
            if attempt == attempts:
                raise DependencyUnavailable(f"{what} did not answer after {attempts} attempts: {reason}") from exc
            sleep(delay)
        else:
            log.info(f"{what} is available", extra={"attempt": attempt})
            return


def probe_postgresql(settings: Settings) -> None:
    conn = psycopg2.connect(
        host=settings.db_host,
        port=settings.db_port,
        dbname=settings.db_name,
        user=settings.db_user,
        password=settings.db_password,
        connect_timeout=3,
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
    finally:
        conn.close()


def probe_redis(settings: Settings) -> None:
    client = redis.Redis(socket_connect_timeout=3, socket_timeout=3, **settings.redis_kwargs())
    try:
        client.ping()
    finally:
        client.close()


def wait_for_dependencies(settings: Settings) -> None:
    wait_for(
        f"PostgreSQL at {settings.db_host}:{settings.db_port}",
        lambda: probe_postgresql(settings),
        settings.connect_attempts,
    )
    wait_for(
        f"Redis at {settings.redis_host}:{settings.redis_port}",
        lambda: probe_redis(settings),
        settings.connect_attempts,
    )
