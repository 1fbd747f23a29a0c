"""Every test in this folder drives the real stack. Fixtures shared by several modules live here; the row helpers
they build on are in service_world.py and user_world.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from service_world import ServiceClient, World, build_world
from user_world import EventListener, UserWorld, build_user_world

from devstack.testing.plugin import FrontDoorSession, login, stack_until_teardown
from devstack.testing.stack import Stack
from devstack.testing.tokens import SERVICE_TOKEN_KEY_VAR, mint_service_token


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.docker)


@pytest.fixture
def raw_redis(devstack: Stack) -> Iterator[redis.Redis]:
    """A client of the stack's Redis returning bytes (the kit's `redis_client` decodes text): protobuf event
    payloads are not UTF-8."""
    client = devstack.redis(decode_responses=False)
    yield client
    client.close()


@pytest.fixture(scope="session")
def upstream_data_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own holding upstream's test data set (`python -m teraserver.seed`), which replaces all data
    the session's shared stack must keep. The modules sharing it leave its rows as they found them."""
    for stack in stack_until_teardown(request, tmp_path_factory.mktemp("upstream-data"), build=True):
        stack.run("exec", "-T", "teraserver", "python", "-m", "teraserver.seed", "--json", timeout=400)
        yield stack


# --- the service API tests' own stack and world (helpers in service_world.py) ------------------------------
@pytest.fixture(scope="session")
def api_stack(
    request: pytest.FixtureRequest, devstack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A stack for the service API tests only; `stack` first, so that the images are built."""
    yield from stack_until_teardown(request, tmp_path_factory.mktemp("service-api-stack"), build=False)


@pytest.fixture(scope="session")
def api_stack_ca(api_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return api_stack.copy_ca(tmp_path_factory.mktemp("service-api-ca") / "ca_cert.pem")


@pytest.fixture
def front(api_stack: Stack, api_stack_ca: Path) -> Iterator[FrontDoorSession]:
    """HTTPS session to api_stack's front door."""
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as session:
        yield session


@pytest.fixture
def stack_redis(api_stack: Stack) -> Iterator[redis.Redis]:
    """api_stack's Redis (text replies)."""
    client = api_stack.redis()
    yield client
    client.close()


@pytest.fixture
def stack_admin_token(front: FrontDoorSession) -> str:
    return login(front, "admin", "admin")


@pytest.fixture(scope="module")
def world(api_stack: Stack) -> World:
    return build_world(api_stack)


@pytest.fixture
def token_key(stack_redis: redis.Redis) -> str:
    return stack_redis.get(SERVICE_TOKEN_KEY_VAR)


@pytest.fixture
def client(front: FrontDoorSession, token_key: str, world: World) -> ServiceClient:
    """The world's service S."""
    return ServiceClient(front, mint_service_token(token_key, world.service.uuid))


@pytest.fixture
def other_client(front: FrontDoorSession, token_key: str, world: World) -> ServiceClient:
    return ServiceClient(front, mint_service_token(token_key, world.other_service.uuid))


# --- the user API tests' world on the session's stack (helpers in user_world.py) ------------------------------
@pytest.fixture(scope="module")
def user_world(devstack: Stack, devstack_ca: Path) -> UserWorld:
    with FrontDoorSession(devstack.base_url, devstack_ca) as front:
        return build_user_world(devstack, front)


@pytest.fixture
def listen(raw_redis: redis.Redis) -> Iterator[Any]:
    """`listen("participant")`: an EventListener on that object type's topic, closed after the test."""
    listeners: list[EventListener] = []

    def make(object_type: str) -> EventListener:
        listeners.append(EventListener(raw_redis, object_type))
        return listeners[-1]

    yield make
    for listener in listeners:
        listener.close()
