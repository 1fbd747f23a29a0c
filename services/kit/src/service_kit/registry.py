"""Reading this service's registration (`service.<key>`) and the token keys that TeraServer writes in Redis."""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from opentera.redis.RedisVars import RedisVars

# The six keys TeraServer writes at start; ServiceOpenTera and ServiceAccessManager read them all.
TOKEN_KEY_NAMES: tuple[str, ...] = (
    RedisVars.RedisVar_UserTokenAPIKey,
    RedisVars.RedisVar_ParticipantTokenAPIKey,
    RedisVars.RedisVar_ParticipantStaticTokenAPIKey,
    RedisVars.RedisVar_DeviceTokenAPIKey,
    RedisVars.RedisVar_DeviceStaticTokenAPIKey,
    RedisVars.RedisVar_ServiceTokenAPIKey,
)


class RegistrationMissing(Exception):
    """TeraServer has no enabled service with this key (not registered yet, or disabled)."""


def service_info_key(service_key: str) -> str:
    return f"service.{service_key}"


class RegistrationUnreadable(RegistrationMissing):
    """`service.<key>` holds something other than TeraServer's JSON object; the message says what."""


def read_service_info(client: redis.Redis, service_key: str) -> dict[str, Any] | None:
    """TeraServer's record of this service, or None when there is none (or one without a uuid yet)."""
    raw = client.get(service_info_key(service_key))
    if raw is None:
        return None
    try:
        info = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RegistrationUnreadable(f"Redis key {service_info_key(service_key)!r} is not JSON: {error}") from None
    return info if isinstance(info, dict) and "service_uuid" in info else None


def wait_for_service_info(client: redis.Redis, service_key: str, timeout: float) -> dict[str, Any]:
    """`service.<key>` and the token keys, waiting a little: the registration job may still be running."""
    deadline = time.monotonic() + timeout
    while True:
        info = read_service_info(client, service_key)
        if info is not None and client.get(RedisVars.RedisVar_ServiceTokenAPIKey) is not None:
            return info
        if time.monotonic() >= deadline:
            raise RegistrationMissing(
                f"Redis has no {service_info_key(service_key)!r} after {timeout:.0f} s: register the service in "
                "TeraServer (`devstack register`, or the compose job `register`) and enable it"
            )
        time.sleep(1)


def token_keys_fingerprint(client: redis.Redis) -> tuple[bytes | None, ...]:
    """The current token keys, compared to notice that TeraServer restarted and rotated them."""
    return tuple(client.mget(TOKEN_KEY_NAMES))
