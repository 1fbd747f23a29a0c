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


def redis_client() -> redis.Redis:
    return current_app.extensions[_EXT]["redis"]
