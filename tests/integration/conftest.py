"""Every test in this folder drives the real stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from devstack.testing.plugin import stack_until_teardown
from devstack.testing.stack import Stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.docker)


@pytest.fixture
def raw_redis(devstack: Stack) -> Iterator[redis.Redis]:
    """A client of the stack's Redis returning bytes (the kit's `redis_client` decodes text): protobuf event
    payloads are not UTF-8."""
    client = redis.Redis(
        host="127.0.0.1", port=devstack.host_port("redis", 6379), password=devstack.values()["REDIS_PASSWORD"]
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def upstream_data_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own holding upstream's test data set (`python -m teraserver.seed`), which replaces all data
    the session's shared stack must keep. The modules sharing it leave its rows as they found them."""
    for stack in stack_until_teardown(request, tmp_path_factory.mktemp("upstream-data"), build=True):
        stack.run("exec", "-T", "teraserver", "python", "-m", "teraserver.seed", "--json", timeout=400)
        yield stack
