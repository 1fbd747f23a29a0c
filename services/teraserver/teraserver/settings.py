"""Environment variables -> one frozen Settings object.

Everything the server needs to know comes from TERASERVER_* variables (set by the compose file). Parsing is
strict: a bad value stops the process with a message naming the variable, because a silently defaulted port
or password is much harder to debug than a refusal to start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_LOG_LEVELS = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}
_DEPLOYMENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class SettingsError(ValueError):
    """A TERASERVER_* variable has a value we refuse to guess about."""


# Passwords may come from files (TERASERVER_DB_PASSWORD_FILE...: Swarm secrets, issue 19). The two definitions
# below are, word for word, those of scripts/devstack/secret_files.py (the register job) and of the services'
# service kit (services/kit/src/service_kit/secret_files.py); tests/unit/test_secret_files_rules.py checks that
# they stay identical.
class SecretFileError(ValueError):
    """NAME and NAME_FILE are both set, or NAME_FILE names no readable file."""


def env_or_file(environ: Mapping[str, str], name: str) -> str | None:
    """The value of `name` in `environ`, or the content of the file `name`_FILE names (a Docker or Swarm secret).

    The rules of docs/configuration.md, "Passwords from files", also followed by the shell scripts: a variable
    counts as set when it is not empty; both set is an error naming both; the file's trailing newlines are
    dropped; a file that cannot be read is an error naming the variable and the path. Neither set: the
    variable's own value, "" or None.
    """
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE") or ""
    if not file_name:
        return value
    if value:
        raise SecretFileError(f"both {name} and {name}_FILE are set; set only one of them")
    try:
        with open(file_name, encoding="utf-8") as file:
            return file.read().rstrip("\n")
    except OSError as error:
        reason = error.strerror or str(error)
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    raise SecretFileError(f"{name}_FILE={file_name}: cannot read this file ({reason})")


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
    # Set by a replicated deployment (docs/deploy.md, "TeraServer replicas"): replicas of one deployment share
    # the dynamic token keys, rotated once when the value changes. Empty: rotate at every start, as upstream.
    deployment_id: str = ""
    # The measured shortcuts around the plain Flask path (README "Performance"); off under the debug profile, so a
    # breakpoint in any handler is reached.
    fast_paths: bool = True
    # bcrypt's cost factor for the passwords hashed by this server (upstream: bcrypt's default, 12). Test stacks
    # lower it: a login or a new account then costs the server a millisecond instead of a quarter second of CPU.
    bcrypt_rounds: int = 12

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


def _secret(env: Mapping[str, str], name: str, default: str, *, required: bool = False) -> str:
    """A password: from `name`, or from the file `name`_FILE names (see env_or_file)."""
    try:
        value = env_or_file(env, name)
    except SecretFileError as error:
        raise SettingsError(str(error)) from None
    if value is None:
        value = default
    if required and value == "":
        raise SettingsError(f"{name} (or {name}_FILE) must be set to a non-empty value")
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


def _deployment_id(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return ""
    value = raw.strip()
    if not _DEPLOYMENT_ID.fullmatch(value):
        raise SettingsError(f"{name}={raw!r} is not a deployment id (1 to 128 of A-Z a-z 0-9 . _ : -)")
    return value


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
        db_password=_secret(env, "TERASERVER_DB_PASSWORD", "", required=True),
        redis_host=_text(env, "TERASERVER_REDIS_HOST", "redis", required=True),
        redis_port=_port(env, "TERASERVER_REDIS_PORT", 6379),
        redis_db=_int(env, "TERASERVER_REDIS_DB", 0, 0, 1_000_000),
        redis_password=_secret(env, "TERASERVER_REDIS_PASSWORD", ""),
        hostname=_text(env, "TERASERVER_HOSTNAME", "localhost", required=True),
        port=_port(env, "TERASERVER_PORT", 4040),
        websocket_port=_port(env, "TERASERVER_WEBSOCKET_PORT", 4044),
        websocket_ping_interval=_int(env, "TERASERVER_WEBSOCKET_PING_INTERVAL", 10, 1, 3600),
        websocket_ping_timeout=_int(env, "TERASERVER_WEBSOCKET_PING_TIMEOUT", 30, 1, 3600),
        external_port=_port(env, "TERASERVER_EXTERNAL_PORT", 40075),
        enable_docs=_bool(env, "TERASERVER_ENABLE_DOCS", True),
        force_password_change=_bool(env, "TERASERVER_FORCE_PASSWORD_CHANGE", False),
        admin_username=_text(env, "TERASERVER_ADMIN_USERNAME", "admin", required=True),
        admin_password=_secret(env, "TERASERVER_ADMIN_PASSWORD", "admin", required=True),
        test_data=_bool(env, "TERASERVER_TEST_DATA", False),
        workers=_int(env, "TERASERVER_WORKERS", 2, 1, 64),
        threads=_int(env, "TERASERVER_THREADS", 2, 1, 64),
        connect_attempts=_int(env, "TERASERVER_CONNECT_ATTEMPTS", 30, 1, 100_000),
        log_level=_log_level(env, "TERASERVER_LOG_LEVEL", "INFO"),
        fast_paths=_bool(env, "TERASERVER_FAST_PATHS", True),
        deployment_id=_deployment_id(env, "TERASERVER_DEPLOYMENT_ID"),
        bcrypt_rounds=_int(env, "TERASERVER_BCRYPT_ROUNDS", 12, 4, 31),
    )
