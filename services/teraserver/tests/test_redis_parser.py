"""The image's Redis client parses replies in C (hiredis): every request reads token keys from Redis."""

import redis
from redis.utils import HIREDIS_AVAILABLE


def test_redis_py_uses_the_hiredis_parser() -> None:
    assert HIREDIS_AVAILABLE, "hiredis is in requirements.txt: redis-py must pick it up"
    client = redis.Redis()  # no connection is made until a command is sent
    assert type(client.connection_pool.make_connection()._parser).__name__.startswith("_Hiredis")
