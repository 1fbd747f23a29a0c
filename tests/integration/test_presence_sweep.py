"""A socket whose process died without closing it stops counting as online, and its owner is reported offline.

Presence lives in Redis (`TeraServer.presence.<kind>`: one member `<uuid> <connection id>` per socket, scored
with the time until which it counts). Here a member is written as a crashed websocket process would leave it:
it counts while its time lasts, then the server sweeps it (every 5 s) and publishes USER_DISCONNECTED on
`module.TeraServer.UserManagerModule.events`.
"""

from __future__ import annotations

import time

import pytest

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

pytestmark = pytest.mark.docker

USER_MANAGER_EVENTS = "module.TeraServer.UserManagerModule.events"
# UserEvent field 2 (type) = 2 (USER_DISCONNECTED), as protobuf encodes it.
USER_DISCONNECTED = b"\x10\x02"
# The sweep runs every 5 s; a member expired just now is gone within one period (plus slack for a busy machine).
SWEEP_BOUND = 5.0 + 3.0


def online_uuids(https: FrontDoorSession, token: str) -> set[str]:
    answer = https.get("/api/user/users/online", headers={"Authorization": f"OpenTera {token}"})
    assert answer.status_code == 200, answer.text
    return {user["user_uuid"] for user in answer.json()}


def test_a_dead_processes_socket_expires_and_its_owner_goes_offline(
    devstack: Stack, https: FrontDoorSession, admin_token: str
) -> None:
    raw = devstack.redis(decode_responses=False)
    admin_uuid = https.get("/api/user/login", auth=("admin", "admin")).json()["user_uuid"]
    assert admin_uuid not in online_uuids(https, admin_token)
    try:
        with Subscription(raw, USER_MANAGER_EVENTS) as events:
            # A socket of a process that stopped refreshing: it counts for 2 more seconds.
            raw.zadd("TeraServer.presence.user", {f"{admin_uuid} crashed-1": time.time() + 2})
            assert admin_uuid in online_uuids(https, admin_token)
            deadline = time.monotonic() + 2 + SWEEP_BOUND
            while admin_uuid in online_uuids(https, admin_token) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert admin_uuid not in online_uuids(https, admin_token)
            offline = events.first(
                lambda data: data if admin_uuid.encode() in data and USER_DISCONNECTED in data else None,
                timeout=SWEEP_BOUND,
            )
            assert offline is not None, "no USER_DISCONNECTED for the swept socket"
            assert b"opentera.protobuf.UserEvent" in offline
        assert raw.zscore("TeraServer.presence.user", f"{admin_uuid} crashed-1") is None
    finally:
        raw.zrem("TeraServer.presence.user", f"{admin_uuid} crashed-1")
        raw.close()
