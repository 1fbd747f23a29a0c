"""Service-token authentication of /api/service/*, checked on two endpoints.

Most resources share the `service_token_required` decorator (checked on /api/service/roles); the hot
GET /api/service/services checks the token with `service_token_verified` and the caller's row within its own
query. Both must answer alike.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from service_world import (
    World,
    new_service,
)

from devstack.testing.plugin import FrontDoorSession
from devstack.testing.stack import Stack
from devstack.testing.tokens import SERVICE_TOKEN_KEY_VAR, mint_service_token

# Fixtures (world, client, other_client, token_key) of the shared helper module.

Endpoint = tuple[str, dict[str, str]]
ENDPOINTS: dict[str, Endpoint] = {
    "roles": ("/api/service/roles", {}),
    "services": ("/api/service/services", {"service_key": "FileTransferService"}),
}


@pytest.fixture(params=list(ENDPOINTS))
def endpoint(request: pytest.FixtureRequest) -> Endpoint:
    return ENDPOINTS[request.param]


def get(front: FrontDoorSession, endpoint: Endpoint, headers: dict[str, str] | None = None, **params: Any):
    path, fixed = endpoint
    return front.get(path, headers=headers or {}, params={**fixed, **params})


def assert_unauthorized(response, message: str = "Unauthorized") -> None:
    assert response.status_code == 401, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == message


def test_no_token_is_refused(front: FrontDoorSession, endpoint: Endpoint) -> None:
    assert_unauthorized(get(front, endpoint))


def test_package_minted_token_in_header_is_accepted(
    front: FrontDoorSession, endpoint: Endpoint, token_key: str, world: World
) -> None:
    response = get(front, endpoint, {"Authorization": f"OpenTera {mint_service_token(token_key, world.service.uuid)}"})
    assert response.status_code == 200, response.text


def test_server_minted_token_with_exp_jti_iss_is_accepted(
    front: FrontDoorSession, endpoint: Endpoint, token_key: str, world: World
) -> None:
    token = mint_service_token(token_key, world.service.uuid, exp=int(time.time()) + 600, jti="x", iss="TeraServer")
    assert get(front, endpoint, {"Authorization": f"OpenTera {token}"}).status_code == 200


def test_expired_token_is_refused(front: FrontDoorSession, endpoint: Endpoint, token_key: str, world: World) -> None:
    token = mint_service_token(token_key, world.service.uuid, exp=int(time.time()) - 10)
    assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {token}"}))


def test_token_signed_with_another_key_is_refused(front: FrontDoorSession, endpoint: Endpoint, world: World) -> None:
    token = mint_service_token("not-the-key-" * 4, world.service.uuid)
    assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {token}"}))


def test_token_without_service_uuid_is_refused(front: FrontDoorSession, endpoint: Endpoint, token_key: str) -> None:
    import jwt

    token = jwt.encode({"iat": int(time.time())}, token_key, algorithm="HS256")
    assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {token}"}))


def test_unknown_service_uuid_is_refused(front: FrontDoorSession, endpoint: Endpoint, token_key: str) -> None:
    token = mint_service_token(token_key, "00000000-0000-0000-0000-000000000000")
    assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {token}"}))


def test_disabled_service_is_refused(
    front: FrontDoorSession, endpoint: Endpoint, api_stack: Stack, token_key: str
) -> None:
    disabled = new_service(api_stack, enabled=False)
    assert_unauthorized(
        get(front, endpoint, {"Authorization": f"OpenTera {mint_service_token(token_key, disabled.uuid)}"})
    )


def test_soft_deleted_service_is_refused(
    front: FrontDoorSession, endpoint: Endpoint, api_stack: Stack, token_key: str
) -> None:
    deleted = new_service(api_stack)
    token = mint_service_token(token_key, deleted.uuid)
    assert get(front, endpoint, {"Authorization": f"OpenTera {token}"}).status_code == 200
    api_stack.psql(f"UPDATE t_services SET deleted_at = now() WHERE id_service = {deleted.id}")
    assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {token}"}))


def test_malformed_header_is_invalid_token(
    front: FrontDoorSession, endpoint: Endpoint, token_key: str, world: World
) -> None:
    token = mint_service_token(token_key, world.service.uuid)
    assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {token} extra"}), "Invalid Token")
    assert_unauthorized(get(front, endpoint, {"Authorization": "OpenTera"}), "Invalid Token")


def test_token_query_argument_is_accepted(
    front: FrontDoorSession, endpoint: Endpoint, token_key: str, world: World
) -> None:
    assert get(front, endpoint, token=mint_service_token(token_key, world.service.uuid)).status_code == 200


def test_other_scheme_falls_back_to_query_token(
    front: FrontDoorSession, endpoint: Endpoint, token_key: str, world: World
) -> None:
    token = mint_service_token(token_key, world.service.uuid)
    assert get(front, endpoint, {"Authorization": "Bearer whatever"}, token=token).status_code == 200


def test_bad_header_token_is_not_rescued_by_query_token(
    front: FrontDoorSession, endpoint: Endpoint, token_key: str, world: World
) -> None:
    good = mint_service_token(token_key, world.service.uuid)
    assert_unauthorized(get(front, endpoint, {"Authorization": "OpenTera not.a.token"}, token=good))


def test_key_rotation_voids_tokens_at_once(
    front: FrontDoorSession, endpoint: Endpoint, stack_redis: redis.Redis, world: World
) -> None:
    old_key = stack_redis.get(SERVICE_TOKEN_KEY_VAR)
    token = mint_service_token(old_key, world.service.uuid)
    try:
        stack_redis.set(SERVICE_TOKEN_KEY_VAR, "rotated-key-for-this-test-0123456789")
        assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {token}"}))
        fresh = mint_service_token("rotated-key-for-this-test-0123456789", world.service.uuid)
        assert get(front, endpoint, {"Authorization": f"OpenTera {fresh}"}).status_code == 200
    finally:
        stack_redis.set(SERVICE_TOKEN_KEY_VAR, old_key)


def test_user_token_is_not_a_service_token(front: FrontDoorSession, endpoint: Endpoint, stack_admin_token: str) -> None:
    assert_unauthorized(get(front, endpoint, {"Authorization": f"OpenTera {stack_admin_token}"}))


def test_a_disabled_caller_gets_401_before_any_argument_error(
    front: FrontDoorSession, api_stack: Stack, token_key: str
) -> None:
    disabled = new_service(api_stack, enabled=False)
    headers = {"Authorization": f"OpenTera {mint_service_token(token_key, disabled.uuid)}"}
    for params in ({}, {"id_service": "not-a-number"}, {"service_key": "NoSuchService"}):
        assert_unauthorized(front.get("/api/service/services", headers=headers, params=params))
