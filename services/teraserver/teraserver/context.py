"""Per-process objects shared by request handlers (settings, Redis client), stored on the Flask app."""

from __future__ import annotations

import redis
from flask import Flask, current_app

from teraserver.settings import Settings

_EXT = "teraserver"


def attach(app: Flask, settings: Settings, client: redis.Redis) -> None:
    app.extensions[_EXT] = {"settings": settings, "redis": client}


def settings() -> Settings:
    return current_app.extensions[_EXT]["settings"]


def fast_paths() -> bool:
    """TERASERVER_FAST_PATHS of the serving app; False in an app without TeraServer's settings (a module's unit
    test on its own Flask app and SQLite database, where the PostgreSQL-only shortcuts do not apply)."""
    settings = current_app.extensions.get(_EXT, {}).get("settings")
    return settings is not None and settings.fast_paths


def redis_client() -> redis.Redis:
    return current_app.extensions[_EXT]["redis"]
