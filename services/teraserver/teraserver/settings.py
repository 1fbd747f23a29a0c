"""Environment variables -> one frozen Settings object.

Everything the server needs to know comes from TERASERVER_* variables (set by the compose file). Parsing is
strict: a bad value stops the process with a message naming the variable, because a silently defaulted port
or password is much harder to debug than a refusal to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_LOG_LEVELS = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}


class SettingsError(ValueError):
    """A TERASERVER_* variable has a value we refuse to guess about."""


@dataclass(frozen=True)
class Settings:
    db_host: str = "db"
    db_port: int = 5432
    db_name: str = "opentera"
    db_user: str = "teraagent"
    db_password: str = ""
    redis_host: str = "redis"
    redis_port: int = 6379
    redis_db: int = 0
    redis_password: str = ""
    hostname: str = "localhost"
    port: int = 4040
    # The websocket process (teraserver.realtime) listens here; NGINX sends /wss to it.
    websocket_port: int = 4044
    # Ping every N seconds; close a socket whose pong is M seconds late (upstream: 10 and 30).
    websocket_ping_interval: int = 10
    websocket_ping_timeout: int = 30
    external_port: int = 40075
    enable_docs: bool = True
    force_password_change: bool = False
    # The superadmin created on an empty database (upstream: admin / admin); .env's TERASERVER_ADMIN_* (issue 16).
    admin_username: str = "admin"
    admin_password: str = "admin"
    test_data: bool = False
    workers: int = 2
    threads: int = 2
    connect_attempts: int = 30
    log_level: str = "INFO"
    # The measured shortcuts around the plain Flask path (README "Performance"); off under the debug profile, so a
    # breakpoint in any handler is reached.
    fast_paths: bool = True

    @property
    def database_uri(self) -> str:
        # psycopg2 driver, like upstream's `postgresql://` URI; the password is URL-quoted so any character works.
        from urllib.parse import quote

        return (
            f"postgresql://{quote(self.db_user, safe='')}:{quote(self.db_password, safe='')}"
            f"@{self.db_host}:{self.db_port}/{quote(self.db_name, safe='')}"
        )

    def redis_kwargs(self) -> dict[str, object]:
        """Keyword arguments for redis.Redis; an empty password means no AUTH at all."""
        kwargs: dict[str, object] = {"host": self.redis_host, "port": self.redis_port, "db": self.redis_db}
        if self.redis_password:
            kwargs["password"] = self.redis_password
        return kwargs


def _text(env: Mapping[str, str], name: str, default: str, *, required: bool = False) -> str:
    value = env.get(name)
    if value is None:
        value = default
    if required and value == "":
        raise SettingsError(f"{name} must be set to a non-empty value")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} is out of range ({low}..{high})")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return _int(env, name, default, 1, 65535)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use true/false, 1/0 or yes/no)")


def _log_level(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    level = raw.strip().upper()
    if level == "WARN":
        level = "WARNING"
    if level not in _LOG_LEVELS:
        raise SettingsError(f"{name}={raw!r} is not a log level ({', '.join(sorted(_LOG_LEVELS))})")
    return level


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read TERASERVER_* variables from `env` (default: os.environ); raise SettingsError on a bad value."""
    env = os.environ if env is None else env
    return Settings(
        db_host=_text(env, "TERASERVER_DB_HOST", "db", required=True),
        db_port=_port(env, "TERASERVER_DB_PORT", 5432),
        db_name=_text(env, "TERASERVER_DB_NAME", "opentera", required=True),
        db_user=_text(env, "TERASERVER_DB_USER", "teraagent", required=True),
        db_password=_text(env, "TERASERVER_DB_PASSWORD", "", required=True),
        redis_host=_text(env, "TERASERVER_REDIS_HOST", "redis", required=True),
        redis_port=_port(env, "TERASERVER_REDIS_PORT", 6379),
        redis_db=_int(env, "TERASERVER_REDIS_DB", 0, 0, 1_000_000),
        redis_password=_text(env, "TERASERVER_REDIS_PASSWORD", ""),
        hostname=_text(env, "TERASERVER_HOSTNAME", "localhost", required=True),
        port=_port(env, "TERASERVER_PORT", 4040),
        websocket_port=_port(env, "TERASERVER_WEBSOCKET_PORT", 4044),
        websocket_ping_interval=_int(env, "TERASERVER_WEBSOCKET_PING_INTERVAL", 10, 1, 3600),
        websocket_ping_timeout=_int(env, "TERASERVER_WEBSOCKET_PING_TIMEOUT", 30, 1, 3600),
        external_port=_port(env, "TERASERVER_EXTERNAL_PORT", 40075),
        enable_docs=_bool(env, "TERASERVER_ENABLE_DOCS", True),
        force_password_change=_bool(env, "TERASERVER_FORCE_PASSWORD_CHANGE", False),
        admin_username=_text(env, "TERASERVER_ADMIN_USERNAME", "admin", required=True),
        admin_password=_text(env, "TERASERVER_ADMIN_PASSWORD", "admin", required=True),
        test_data=_bool(env, "TERASERVER_TEST_DATA", False),
        workers=_int(env, "TERASERVER_WORKERS", 2, 1, 64),
        threads=_int(env, "TERASERVER_THREADS", 2, 1, 64),
        connect_attempts=_int(env, "TERASERVER_CONNECT_ATTEMPTS", 30, 1, 100_000),
        log_level=_log_level(env, "TERASERVER_LOG_LEVEL", "INFO"),
        fast_paths=_bool(env, "TERASERVER_FAST_PATHS", True),
    )
