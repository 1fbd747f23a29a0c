"""User tokens: HS256 JWTs signed with the Redis `UserTokenAPIKey`.

The signing key is read from Redis whenever a token is signed or verified, never cached, so a client that
rewrites the key in Redis is honoured at once. Verification fetches the key and the revocation check in one
pipelined round trip, which is the only Redis traffic a token-authenticated request needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from opentera.redis.RedisVars import RedisVars

from teraserver.redis_state import USER_DISABLED_TOKENS
from teraserver.verified_tokens import verified_payload

USER_TOKEN_LIFETIME = 3600  # seconds, at login (upstream default of TeraUser.get_token)
USER_REFRESH_TOKEN_LIFETIME = 1800  # seconds, from /api/user/refresh_token


class TokenKeyMissing(RuntimeError):
    """UserTokenAPIKey is absent from Redis (e.g. someone flushed it): no token can be signed or checked."""


@dataclass(frozen=True)
class TokenCheck:
    disabled: bool
    key: bytes | None


def current_user_key(client: redis.Redis) -> bytes:
    key = client.get(RedisVars.RedisVar_UserTokenAPIKey)
    if not key:
        raise TokenKeyMissing(f"Redis key {RedisVars.RedisVar_UserTokenAPIKey} is missing")
    return key


def check_user_token_state(client: redis.Redis, token: str) -> TokenCheck:
    """One round trip: is the token revoked, and what is the current user key?"""
    with client.pipeline(transaction=False) as pipe:
        queue_user_token_state(pipe, token)
        return user_token_state(pipe.execute())


def queue_user_token_state(pipe: Any, token: str) -> None:
    """The two reads of check_user_token_state, queued on `pipe` (a direct answer adds its own; api/direct.py)."""
    pipe.sismember(USER_DISABLED_TOKENS, token)
    pipe.get(RedisVars.RedisVar_UserTokenAPIKey)


def user_token_state(replies: list[Any]) -> TokenCheck:
    """The TokenCheck of the two replies queue_user_token_state() queued, in that order."""
    disabled, key = replies
    return TokenCheck(disabled=bool(disabled), key=key or None)


def decode_user_token(token: str, key: bytes | str | None) -> dict[str, Any] | None:
    """Payload of a valid user token, or None (bad signature, expired, or missing user_uuid/exp)."""
    payload = verified_payload(token, key)
    if payload is None or not payload.get("user_uuid") or not payload.get("exp"):
        return None
    return payload


def sign_user_token(user: Any, key: bytes | str, lifetime: int = USER_TOKEN_LIFETIME) -> str:
    """Mint with the model's own TeraUser.get_token so the claims are exactly upstream's."""
    return user.get_token(key, expiration=lifetime)


def disable_user_token(client: redis.Redis, token: str) -> None:
    client.sadd(USER_DISABLED_TOKENS, token)
