"""Password checks of users and participants: throttled atomically, and as slow for an unknown name as for a known one.

Upstream allows 5 failed password checks per account, then refuses every attempt until 120 s have passed since
the last failure (Redis counters `UserLoginAttempts.<uuid>` / `ParticipantLoginAttempts.<uuid>`); a success
clears the counter. Upstream reads the counter, checks the password, then writes the count plus one, so
attempts sent in parallel all read the same count and all get a password check (a burst of 24 got 21 checks).
Here each attempt takes its place first with an atomic INCR (and restarts the window), and only the first 5
places get a password check; a success still clears the counter. A refused attempt therefore keeps the account
locked a little longer than upstream's, never shorter.

An unknown name costs a bcrypt check too (against a hash made once), so the answer's timing does not tell
whether a name exists (upstream answers an unknown name at once).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import bcrypt
import redis

BCRYPT_DEFAULT_ROUNDS = 12
_BCRYPT_GENSALT = bcrypt.gensalt
LOGIN_ATTEMPTS_MAX = 5
LOGIN_ATTEMPTS_TTL = 120  # seconds; each attempt restarts the window
BCRYPT_MAX_BYTES = 72


def take_attempt(client: redis.Redis, key: str) -> bool:
    """Count one attempt; True while it is one of the first LOGIN_ATTEMPTS_MAX of the window."""
    with client.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, LOGIN_ATTEMPTS_TTL)
        count, _ = pipe.execute()
    return int(count) <= LOGIN_ATTEMPTS_MAX


def clear_attempts(client: redis.Redis, key: str) -> None:
    client.delete(key)


def set_hash_cost(rounds: int) -> None:
    """bcrypt's cost factor for every password this process hashes from now on. The package's models (users,
    participants) and the decoy below all salt with `bcrypt.gensalt()`, i.e. bcrypt's default of 12, so the
    default is put back at 12 and replaced otherwise. A check always uses the cost written in the stored hash."""
    bcrypt.gensalt = _BCRYPT_GENSALT if rounds == BCRYPT_DEFAULT_ROUNDS else functools.partial(_BCRYPT_GENSALT, rounds)
    _decoy_hash.cache_clear()


@functools.cache
def _decoy_hash() -> bytes:
    return bcrypt.hashpw(b"decoy password", bcrypt.gensalt())


def spend_a_password_check(password: str) -> None:
    """The work of one bcrypt check, for a name that matched nobody."""
    bcrypt.checkpw(password.encode("utf-8", "surrogatepass")[:BCRYPT_MAX_BYTES], _decoy_hash())


def password_matches(check: Callable[[], object]) -> bool:
    """Run a model's password check; a password bcrypt cannot take (over 72 bytes: bcrypt 5 raises instead of
    truncating) matches nothing, as no such password could have been stored."""
    try:
        return check() is not None
    except ValueError:
        return False
