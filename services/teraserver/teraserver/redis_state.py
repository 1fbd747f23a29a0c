"""What TeraServer publishes in Redis at start: token keys and `service.<service_key>` entries.

Every service built on the opentera package reads these keys when it starts.
Key names come from opentera.redis.RedisVars so they cannot drift from what the services read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import jwt
import redis
from opentera.db.models.TeraServerSettings import TeraServerSettings
from opentera.redis.RedisVars import RedisVars

log = logging.getLogger("teraserver.redis")

OPENTERA_SERVER_KEY = "OpenTeraServer"
USER_DISABLED_TOKENS = "user_disabled_tokens"
PARTICIPANT_DISABLED_TOKENS = "participant_disabled_tokens"


def new_dynamic_key() -> str:
    """A fresh 32-char [0-9A-Za-z] key (the package's own generator, `secrets`-based)."""
    return TeraServerSettings.generate_token_key(32)


def token_keys(device_token_key: str, participant_token_key: str) -> dict[str, str]:
    """The six token keys for this start: three rotate every start, three come from the database."""
    return {
        RedisVars.RedisVar_UserTokenAPIKey: new_dynamic_key(),
        RedisVars.RedisVar_ParticipantTokenAPIKey: new_dynamic_key(),
        RedisVars.RedisVar_ServiceTokenAPIKey: new_dynamic_key(),
        # "Dynamic" device tokens were never implemented upstream: both device keys are the DB key.
        RedisVars.RedisVar_DeviceTokenAPIKey: device_token_key,
        RedisVars.RedisVar_DeviceStaticTokenAPIKey: device_token_key,
        RedisVars.RedisVar_ParticipantStaticTokenAPIKey: participant_token_key,
    }


def service_entries(services: Iterable) -> tuple[dict[str, str], list[str]]:
    """Split services into (`service.<key>` -> JSON to write, `service.<key>` names to delete).

    Enabled, not deleted services other than OpenTeraServer are published with `json.dumps(to_json())`
    (non-minimal, exactly as upstream); disabled or soft-deleted ones are removed so that a service disabled
    while TeraServer was down does not keep a stale entry (upstream relies on FLUSHDB at shutdown for that).
    """
    to_write: dict[str, str] = {}
    to_delete: list[str] = []
    for service in services:
        if service.service_key == OPENTERA_SERVER_KEY:
            continue
        name = RedisVars.RedisVar_ServicePrefixKey + service.service_key
        if service.service_enabled and getattr(service, "deleted_at", None) is None:
            to_write[name] = json.dumps(service.to_json())
        else:
            to_delete.append(name)
    return to_write, to_delete


def publish_startup_state(client: redis.Redis, keys: dict[str, str], services: Iterable) -> None:
    """Write token keys and service entries in one MULTI/EXEC so readers never see half a rotation."""
    to_write, to_delete = service_entries(services)
    with client.pipeline(transaction=True) as pipe:
        for name, value in keys.items():
            pipe.set(name, value)
        for name, value in to_write.items():
            pipe.set(name, value)
        if to_delete:
            pipe.delete(*to_delete)
        pipe.execute()
    log.info(
        "token keys and service entries written to Redis",
        extra={"keys": sorted(keys), "services": sorted(to_write), "removed": sorted(to_delete)},
    )


def is_service_entry(value: bytes | str | None) -> bool:
    """True for a `service.<key>` value we write: the JSON object of a service row (not some other key)."""
    try:
        document = json.loads(value) if value is not None else None
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(document, dict) and "service_key" in document and "service_uuid" in document


def replace_service_entries(client: redis.Redis, services: Iterable) -> tuple[list[str], list[str]]:
    """Make the `service.*` entries exactly those of `services` (after the rows were replaced wholesale).

    Entries of services that no longer exist are deleted too, but only keys holding a service entry: another
    program's `service.something` key is left alone. Returns (entries written, entries deleted).
    """
    to_write, to_delete = service_entries(services)
    for name in client.scan_iter(match=RedisVars.RedisVar_ServicePrefixKey + "*", count=500):
        name = name.decode() if isinstance(name, bytes) else name
        if name in to_write or name in to_delete or client.type(name) not in (b"string", "string"):
            continue
        if is_service_entry(client.get(name)):
            to_delete.append(name)
    with client.pipeline(transaction=True) as pipe:
        for name, value in to_write.items():
            pipe.set(name, value)
        if to_delete:
            pipe.delete(*to_delete)
        pipe.execute()
    return sorted(to_write), sorted(to_delete)


def purge_disabled_tokens(client: redis.Redis, set_name: str, key: str) -> int:
    """Drop revoked tokens that can no longer be used anyway (bad signature under `key`, or expired).

    Upstream does this at start; right after a key rotation it empties the set of user/participant tokens.
    """
    removed = 0
    for token in client.smembers(set_name):
        try:
            jwt.decode(token, key, algorithms=["HS256"])
        except jwt.PyJWTError:
            client.srem(set_name, token)
            removed += 1
    return removed


# Every key `publish_startup_state` writes; `token_keys` names them.
TOKEN_KEY_NAMES = tuple(token_keys("", ""))


def missing_token_keys(client: redis.Redis) -> list[str]:
    """Token keys absent from Redis (all of them after a FLUSHALL, or a Redis that lost its data)."""
    values = client.mget(TOKEN_KEY_NAMES)
    return [name for name, value in zip(TOKEN_KEY_NAMES, values, strict=True) if value is None]


def restore_state(client: redis.Redis, keys: dict[str, str], services: Iterable) -> list[str]:
    """Write back what a wiped Redis lost: the missing token keys (never replacing one still there, so tokens
    signed with it stay valid, and a concurrent restorer's fresh key wins once) and the `service.*` entries.

    `keys`: the full set a start would write (fresh dynamic keys, the database's static ones). Returns the token
    key names written.
    """
    missing = missing_token_keys(client)
    if not missing:
        return []
    with client.pipeline(transaction=True) as pipe:
        for name in missing:
            pipe.set(name, keys[name], nx=True)
        pipe.execute()
    replace_service_entries(client, services)
    log.warning("Redis had lost TeraServer's state: token keys and service entries restored", extra={"keys": missing})
    return missing
