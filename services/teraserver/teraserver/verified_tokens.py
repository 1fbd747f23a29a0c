"""HS256 token verification, remembered per (token, key) so a client's repeated token is parsed only once.

Every authenticated request verifies a JWT. PyJWT's cost is not the HMAC but the parsing around it (three
base64 decodes, two JSON documents, claim checks): ~5 % of the CPU of a cheap request. A token that verified
under a key stays verified under that key, except for time: of PyJWT's time checks (`iat` and `nbf` not in the
future, `exp` not past), only `exp` can change its answer as time passes, so a remembered payload is re-checked
for `exp` on every use. A new key (rotation at restart, or a client rewriting it in Redis) misses the memo,
so the key is still read from Redis on every request.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

MEMO_SIZE = 1024  # tokens per process; ~0.5 KB each

_memo: dict[tuple[str, bytes | str], dict[str, Any]] = {}


def verified_payload(token: str, key: bytes | str | None) -> dict[str, Any] | None:
    """Payload of `token` if signed with `key` (HS256) and within its time claims, else None. A copy: the
    caller may change it."""
    if not token or not key:
        return None
    memo_key = (token, key)
    payload = _memo.get(memo_key)
    if payload is None:
        try:
            payload = jwt.decode(token, key, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        if not isinstance(payload, dict):
            return None
        for _ in range(len(_memo) - MEMO_SIZE + 1):
            _forget_oldest()
        _memo[memo_key] = payload
    elif "exp" in payload and int(payload["exp"]) <= time.time():
        return None
    return dict(payload)


def _forget_oldest() -> None:
    try:
        del _memo[next(iter(_memo))]
    except (KeyError, StopIteration, RuntimeError):
        # Another thread changed the memo meanwhile: it stays bounded all the same.
        pass
