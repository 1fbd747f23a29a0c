"""Service tokens as the opentera package mints them, and the Redis entries they are made from.

`ServiceOpenTera.service_generate_token` signs `{"iat": <now>, "service_uuid": <uuid>}` (HS256, no expiry) with
the `ServiceTokenAPIKey` TeraServer writes to Redis at each start; the uuid comes from the `service.<key>` entry.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

import jwt

# Redis names of opentera's RedisVars (RedisVar_ServiceTokenAPIKey, service.<key>), spelled out so the test
# kit does not need the opentera package on the host.
SERVICE_TOKEN_KEY_VAR = "ServiceTokenAPIKey"
SERVICE_ENTRY_PREFIX = "service."


class ServiceNotRegisteredError(LookupError):
    """No `service.<key>` entry (or no token key) in Redis: the service is unknown or TeraServer is not up."""


class TextRedis(Protocol):
    """The one Redis call used here, on a client created with decode_responses=True."""

    def get(self, name: str) -> Any: ...


def mint_service_token(key: str, service_uuid: str, **claims: Any) -> str:
    """A token signed with `key` as the package mints it; extra claims (exp, jti...) only for tests that need them."""
    payload = {"iat": int(time.time()), "service_uuid": service_uuid, **claims}
    return jwt.encode(payload, key, algorithm="HS256")


def service_uuid(client: TextRedis, service_key: str) -> str:
    """The uuid of a registered service, from its `service.<key>` entry."""
    entry = client.get(SERVICE_ENTRY_PREFIX + service_key)
    if entry is None:
        raise ServiceNotRegisteredError(
            f"Redis has no '{SERVICE_ENTRY_PREFIX}{service_key}' entry: service key {service_key!r} is not "
            "registered (or disabled) in this TeraServer; keys are case-sensitive"
        )
    try:
        return json.loads(entry)["service_uuid"]
    except (ValueError, KeyError, TypeError) as error:
        raise ServiceNotRegisteredError(
            f"Redis entry '{SERVICE_ENTRY_PREFIX}{service_key}' has no service_uuid: {entry[:200]!r}"
        ) from error


def service_token_from_redis(client: TextRedis, service_key: str) -> str:
    """A fresh token for the registered service `service_key`, valid until TeraServer restarts."""
    token_key = client.get(SERVICE_TOKEN_KEY_VAR)
    if token_key is None:
        raise ServiceNotRegisteredError(f"Redis has no '{SERVICE_TOKEN_KEY_VAR}': TeraServer has not started yet")
    return mint_service_token(token_key, service_uuid(client, service_key))
