"""Login events (issue 14): every user login, good or bad, is a LoginEvent on the Redis list `log.info` (success) or
`log.error` (failure), packed as the opentera package's LoggingClient packs it, so a logging service drains them.

The lists are read back inside TeraServer's container, where the package's protobuf modules decode them; the test
filters on its own fresh user so other tests' logins do not matter.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from probes import teraserver_probe
from service_world import unique
from user_world import PASSWORD, new_account

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack

DECODE = """
import os, redis
from google.protobuf.json_format import MessageToDict
from opentera.messages.python.LoginEvent_pb2 import LoginEvent
from opentera.messages.python.TeraEvent_pb2 import TeraEvent
client = redis.Redis(host=os.environ["TERASERVER_REDIS_HOST"], port=int(os.environ["TERASERVER_REDIS_PORT"]),
                     password=os.environ.get("TERASERVER_REDIS_PASSWORD") or None)
seen = []
for topic in ("log.info", "log.error"):
    for raw in client.lrange(topic, 0, -1):
        event = TeraEvent()
        event.ParseFromString(raw)
        for packed in event.events:
            login = LoginEvent()
            if packed.Unpack(login):
                seen.append({"list": topic, "topic": event.header.topic,
                             **MessageToDict(login, always_print_fields_with_no_presence=True)})
"""


def login_events(stack: Stack) -> list[dict[str, Any]]:
    return teraserver_probe(stack, DECODE)


@pytest.fixture
def front(https: FrontDoorSession) -> FrontDoorSession:
    return https


@pytest.fixture
def account(devstack: Stack, https: FrontDoorSession, admin_token: str) -> Any:
    """A fresh user with a real password and no role."""
    return new_account(devstack, https, admin_token, None, 0)


def test_a_successful_login_is_an_info_login_event(devstack: Stack, front: FrontDoorSession, account: Any) -> None:
    headers = {"X-Client-Name": "DevStackTestClient", "X-Client-Version": "2.5.1", "X-OS-Name": "Plan9"}
    assert front.get("/api/user/login", auth=(account.username, PASSWORD), headers=headers).status_code == 200
    mine = [event for event in login_events(devstack) if event["userUuid"] == account.uuid]
    success = [event for event in mine if event["loginStatus"] == "LOGIN_STATUS_SUCCESS"]
    assert len(success) >= 1, mine
    event = success[-1]
    assert event["list"] == event["topic"] == "log.info"
    assert event["logHeader"]["level"] == "LOGLEVEL_INFO"
    assert event["logHeader"]["sender"] == "TeraServer.FlaskModule"
    assert event["loginType"] == "LOGIN_TYPE_PASSWORD"
    assert (event["clientName"], event["clientVersion"], event["osName"]) == ("DevStackTestClient", "2.5.1", "Plan9")
    assert event["serverEndpoint"] and event["clientIp"]
    # An unknown client name is let in, and logged as an error as upstream does.
    unknown = [event for event in mine if event["logHeader"]["message"] == "Unknown client name :DevStackTestClient"]
    assert unknown and unknown[-1]["list"] == "log.error"


def test_failed_logins_are_error_login_events(devstack: Stack, front: FrontDoorSession, account: Any) -> None:
    assert front.get("/api/user/login", auth=(account.username, "wrong-password")).status_code == 401
    nobody = unique("nobody")
    assert front.get("/api/user/login", auth=(nobody, "whatever")).status_code == 401
    events = login_events(devstack)
    wrong_password = [
        event
        for event in events
        if event["userUuid"] == account.uuid and event["loginStatus"] == "LOGIN_STATUS_FAILED_WITH_WRONG_PASSWORD"
    ]
    assert wrong_password, events
    assert wrong_password[-1]["list"] == "log.error"
    assert wrong_password[-1]["logHeader"]["level"] == "LOGLEVEL_ERROR"
    assert wrong_password[-1]["logHeader"]["sender"] == "LoginModule.user_verify_password"
    wrong_username = [event for event in events if event["logHeader"]["message"] == nobody]
    assert [event["loginStatus"] for event in wrong_username] == ["LOGIN_STATUS_FAILED_WITH_WRONG_USERNAME"]
    assert wrong_username[0]["userUuid"] == "" and wrong_username[0]["list"] == "log.error"


def test_a_device_login_is_an_info_login_event(devstack: Stack, front: FrontDoorSession, device_token: Any) -> None:
    token = device_token("Login events device")
    response = front.get("/api/device/login", headers={"Authorization": f"OpenTera {token}"})
    assert response.status_code == 200, response.text
    device_uuid = response.json()["device_info"]["device_uuid"]
    [event] = [event for event in login_events(devstack) if event["deviceUuid"] == device_uuid]
    assert (event["list"], event["loginStatus"], event["loginType"]) == (
        "log.info",
        "LOGIN_STATUS_SUCCESS",
        "LOGIN_TYPE_TOKEN",
    )
    assert event["logHeader"]["sender"] == "TeraServer.FlaskModule"


def test_a_parallel_burst_gets_at_most_five_password_checks(
    devstack: Stack, front: FrontDoorSession, account: Any
) -> None:
    """The throttle counts each attempt atomically before the password check (issue 17): of 24 wrong passwords
    sent at once, at most 5 are checked (each check is a WRONG_PASSWORD event), the rest refused unchecked."""
    url = front.base_url + "/api/user/login"

    def attempt(_: int) -> int:
        return requests.get(url, auth=(account.username, "wrong"), verify=front.verify, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(attempt, range(24)))
    assert statuses == [401] * 24
    mine = [event for event in login_events(devstack) if event["userUuid"] == account.uuid]
    checked = [event for event in mine if event["loginStatus"] == "LOGIN_STATUS_FAILED_WITH_WRONG_PASSWORD"]
    refused = [event for event in mine if event["loginStatus"] == "LOGIN_STATUS_FAILED_WITH_MAX_ATTEMPTS_REACHED"]
    assert (len(checked), len(refused)) == (5, 19), [event["loginStatus"] for event in mine]
    # Locked now, even with the right password.
    assert front.get("/api/user/login", auth=(account.username, PASSWORD)).status_code == 401


def test_a_password_longer_than_bcrypt_takes_is_a_refusal(front: FrontDoorSession, account: Any) -> None:
    """bcrypt 5 refuses passwords over 72 bytes with an error; such a password matches no account (401, not 500)."""
    for username in (account.username, unique("nobody")):
        assert front.get("/api/user/login", auth=(username, "p" * 100)).status_code == 401
