"""`service.<service_key>` entries in Redis kept in step with t_services, at once (upstream issue #214 fixed).

Upstream's ServiceLauncherModule rewrites the entry when it receives a `service` database event: the event's
JSON (= `to_json()`, non-minimal) is written when the service is enabled and not soft-deleted, and the entry is
deleted otherwise. We apply the same rule from the same JSON right after the commit (teraserver.db_events), so
the entry never waits for a restart.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from opentera.redis.RedisVars import RedisVars

from teraserver.redis_state import OPENTERA_SERVER_KEY


def entry_name(service_key: str) -> str:
    return RedisVars.RedisVar_ServicePrefixKey + service_key


def should_publish(service_json: dict[str, Any]) -> bool:
    return bool(service_json.get("service_enabled")) and "deleted_at" not in service_json


def apply_service_json(pipe: redis.client.Pipeline | redis.Redis, service_json: dict[str, Any]) -> None:
    """Write or delete the entry of one service from its create/update JSON."""
    key = service_json.get("service_key")
    if not key or key == OPENTERA_SERVER_KEY:
        return
    if should_publish(service_json):
        pipe.set(entry_name(key), json.dumps(service_json))
    else:
        pipe.delete(entry_name(key))


def remove(pipe: redis.client.Pipeline | redis.Redis, service_key: str | None) -> None:
    if service_key and service_key != OPENTERA_SERVER_KEY:
        pipe.delete(entry_name(service_key))


def refresh(client: redis.Redis, service: Any) -> None:
    """Rewrite one service's entry from the row as it is now (e.g. after its roles changed)."""
    apply_service_json(client, service.to_json())
