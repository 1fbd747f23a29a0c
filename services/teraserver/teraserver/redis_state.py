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


# The dynamic keys: fresh at every start (upstream), or once per deployment of replicas (TERASERVER_DEPLOYMENT_ID).
DYNAMIC_KEY_NAMES = (
    RedisVars.RedisVar_UserTokenAPIKey,
    RedisVars.RedisVar_ParticipantTokenAPIKey,
    RedisVars.RedisVar_ServiceTokenAPIKey,
)
# A set: every deployment id whose replicas have rotated the dynamic keys (docs/deploy.md, "TeraServer replicas").
DEPLOYMENTS_KEY = "TeraServer.deployments"

# Atomic in Redis, so two replicas booting at once can never write two different keys (issue 19).
# KEYS[1]: DEPLOYMENTS_KEY; KEYS[2..4]: the dynamic key names. ARGV[1]: this deployment's id; ARGV[2..4]: fresh
# values, written to every key when the id is new, else only to a missing key. Returns {rotated (0/1), the keys'
# values after the call...}.
_CLAIM_DEPLOYMENT_KEYS = """
local rotate = redis.call('SADD', KEYS[1], ARGV[1]) == 1
for i = 2, #KEYS do
  if rotate or redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('SET', KEYS[i], ARGV[i])
  end
end
local values = redis.call('MGET', unpack(KEYS, 2))
table.insert(values, 1, rotate and 1 or 0)
return values
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def claim_dynamic_keys(client: redis.Redis, keys: dict[str, str], deployment_id: str) -> tuple[dict[str, str], bool]:
    """The dynamic token keys this start serves with, and whether it rotated them.

    `keys`: the full set `token_keys` made (fresh dynamic values). Without a deployment id (plain Compose), every
    start rotates, as upstream. With one, the first replica to boot with a deployment id never seen before
    rotates; every other replica of that deployment (scaled, restarted, or booting at the same moment) and any
    replica of an earlier deployment (a rollback, an old task restarting during a rolling update) keeps the
    keys in Redis, filling in only a key that is missing. Returns (the six keys with the effective dynamic
    values, rotated).
    """
    if not deployment_id:
        with client.pipeline(transaction=True) as pipe:
            for name in DYNAMIC_KEY_NAMES:
                pipe.set(name, keys[name])
            pipe.execute()
        return dict(keys), True
    reply = client.eval(
        _CLAIM_DEPLOYMENT_KEYS,
        1 + len(DYNAMIC_KEY_NAMES),
        DEPLOYMENTS_KEY,
        *DYNAMIC_KEY_NAMES,
        deployment_id,
        *(keys[name] for name in DYNAMIC_KEY_NAMES),
    )
    rotated = bool(int(reply[0]))
    effective = dict(keys)
    effective.update({name: _text(value) for name, value in zip(DYNAMIC_KEY_NAMES, reply[1:], strict=True)})
    return effective, rotated


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


def publish_startup_state(
    client: redis.Redis, keys: dict[str, str], services: Iterable, deployment_id: str = ""
) -> tuple[dict[str, str], bool]:
    """Write the token keys and the service entries; returns (the keys now in Redis, whether this start rotated
    the dynamic ones). The dynamic keys are claimed first (claim_dynamic_keys: one atomic step), then the
    static keys and the service entries follow in one MULTI/EXEC."""
    keys, rotated = claim_dynamic_keys(client, keys, deployment_id)
    to_write, to_delete = service_entries(services)
    with client.pipeline(transaction=True) as pipe:
        for name, value in keys.items():
            if name not in DYNAMIC_KEY_NAMES:
                pipe.set(name, value)
        for name, value in to_write.items():
            pipe.set(name, value)
        if to_delete:
            pipe.delete(*to_delete)
        pipe.execute()
    log.info(
        "token keys and service entries written to Redis",
        extra={
            "keys": sorted(keys),
            "dynamic_keys": "rotated" if rotated else f"kept (deployment {deployment_id} rotated them already)",
            "services": sorted(to_write),
            "removed": sorted(to_delete),
        },
    )
    return keys, rotated


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


def restore_state(client: redis.Redis, keys: dict[str, str], services: Iterable, deployment_id: str = "") -> list[str]:
    """Write back what a wiped Redis lost: the missing token keys (never replacing one still there, so tokens
    signed with it stay valid, and a concurrent restorer's fresh key wins once) and the `service.*` entries.
    With a deployment id, it is recorded as having rotated (the restored keys are its keys), so that a replica
    of this deployment starting later keeps them.

    `keys`: the full set a start would write (fresh dynamic keys, the database's static ones). Returns the token
    key names written.
    """
    missing = missing_token_keys(client)
    if not missing:
        return []
    with client.pipeline(transaction=True) as pipe:
        for name in missing:
            pipe.set(name, keys[name], nx=True)
        if deployment_id:
            pipe.sadd(DEPLOYMENTS_KEY, deployment_id)
        pipe.execute()
    replace_service_entries(client, services)
    log.warning("Redis had lost TeraServer's state: token keys and service entries restored", extra={"keys": missing})
    return missing
