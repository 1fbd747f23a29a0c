"""The user login flows beyond a plain password login, over real HTTPS through the stack's front door.

A Basic password check opens a login session (Flask's signed `session` cookie naming the user, plus the
`OpenTera` remember cookie); the forced password change and both 2FA steps continue from that session only:
`/api/user/login/change_password`, `/api/user/login/setup_2fa`, `/api/user/login/2fa`, and the HTML pages
`/login_change_password`, `/login_setup_2fa`, `/login_validate_2fa` (plus the open `/login` and `/about`).
Each test user is fresh (created through the API, flags set with SQL); each "browser" is its own requests
session, so its cookie jar is the login session. TOTP codes are computed here with pyotp.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import redis
from service_world import sql_text
from test_login_events import login_events
from user_world import PASSWORD, Account, auth, new_account

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack

NEW_PASSWORD = "Fresh$tart-Passw0rd"
TWO_FA_ATTEMPTS = "User2FALoginAttempts."


@pytest.fixture
def browser_session(devstack: Stack, devstack_ca: Path) -> Iterator[Callable[[], FrontDoorSession]]:
    """`browser_session()`: a new HTTPS client with its own cookie jar (one browser's login session)."""
    opened: list[FrontDoorSession] = []

    def make() -> FrontDoorSession:
        session = FrontDoorSession(devstack.base_url, devstack_ca)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


def set_user(stack: Stack, account: Account, **columns: Any) -> None:
    values = ", ".join(
        f"{name} = {'NULL' if value is None else str(value).lower() if isinstance(value, bool) else sql_text(value)}"
        for name, value in columns.items()
    )
    stack.psql(f"UPDATE t_users SET {values} WHERE id_user = {account.id}")


def user_row(stack: Stack, account: Account, *columns: str) -> list[str]:
    return stack.psql(f"SELECT {', '.join(columns)} FROM t_users WHERE id_user = {account.id}")[0]


def set_cookie_headers(response: Any) -> list[str]:
    return [value for name, value in response.raw.headers.items() if name.lower() == "set-cookie"]


def login(client: FrontDoorSession, username: str, password: str = PASSWORD, **params: Any) -> Any:
    return client.get("/api/user/login", auth=(username, password), params=params or None)


@pytest.fixture
def account(devstack: Stack, https: FrontDoorSession, admin_token: str) -> Account:
    return new_account(devstack, https, admin_token, None, 0)


def test_a_password_check_opens_a_login_session(
    devstack: Stack, browser_session: Callable[[], FrontDoorSession], account: Account
) -> None:
    client = browser_session()
    response = login(client, account.username)
    assert response.status_code == 200, response.text
    cookies = set_cookie_headers(response)
    session_cookie = next(value for value in cookies if value.startswith("session="))
    remember = next(value for value in cookies if value.startswith("OpenTera="))
    for cookie in (session_cookie, remember):
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie
    assert client.cookies["OpenTera"].startswith(account.uuid + "|")
    # The session names the user: the session-only endpoints and pages now know who is calling.
    page = client.get("/login_change_password")
    assert page.status_code == 200 and account.username in page.text
    # Any authenticated answer while the session lasts refreshes the remember cookie, as upstream's.
    again = client.get("/about")
    assert any(value.startswith("OpenTera=") for value in set_cookie_headers(again))

    # A refused step ends the session (here: 2FA validation for a user without 2FA).
    refused = client.get("/api/user/login/2fa", params={"otp_code": "123456"})
    assert (refused.status_code, refused.json()) == (403, "User does not have 2FA enabled")
    assert client.get("/login_change_password").status_code == 401

    # Without a session: 401 "Unauthorized", whatever Authorization header is sent.
    stranger = browser_session()
    response = stranger.post(
        "/api/user/login/change_password",
        json={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        headers=auth(account.token),
    )
    assert (response.status_code, response.json()) == (401, "Unauthorized")
    assert not any(value.startswith("OpenTera=") for value in set_cookie_headers(response))


def test_logout_ends_the_login_session(browser_session: Callable[[], FrontDoorSession], account: Account) -> None:
    client = browser_session()
    assert login(client, account.username).status_code == 200
    assert client.get("/login_change_password").status_code == 200
    logout = client.get("/api/user/logout", auth=(account.username, PASSWORD))
    assert logout.status_code == 200, logout.text
    assert client.get("/login_change_password").status_code == 401
    assert "OpenTera" not in client.cookies


def test_pages_outside_the_api(browser_session: Callable[[], FrontDoorSession]) -> None:
    client = browser_session()
    about = client.get("/about")
    assert about.status_code == 200 and about.headers["Content-Type"].startswith("text/html")
    assert "OpenTera" in about.text
    page = client.get("/login")
    assert page.status_code == 200 and 'id="login-form"' in page.text
    assert client.get("/login", params={"no_logo": "1"}).status_code == 200
    for path in ("/login_change_password", "/login_setup_2fa", "/login_validate_2fa"):
        response = client.get(path)
        assert (response.status_code, response.text) == (401, "Unauthorized"), path
    assert client.post("/login").status_code == 405
    assert client.get("/doc").status_code == 200


def test_forced_password_change_then_login(
    devstack: Stack, browser_session: Callable[[], FrontDoorSession], account: Account
) -> None:
    set_user(devstack, account, user_force_password_change=True)
    client = browser_session()
    # Basic auth elsewhere is refused until the password is changed.
    assert client.get("/api/user/users", auth=(account.username, PASSWORD)).status_code == 401

    response = login(client, account.username)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reason"] == "password_change" and body["redirect_url"] == "/login_change_password"
    assert "user_token" not in body
    endpoint = "/api/user/login/change_password"
    assert client.get(endpoint).status_code == 405
    page = client.get("/login_change_password")
    assert page.status_code == 200 and account.username in page.text

    def change(**fields: Any) -> Any:
        return client.post(endpoint, json=fields)

    mismatch = change(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD + "x")
    assert (mismatch.status_code, mismatch.json()) == (400, "New password and confirm password do not match")
    weak = change(new_password="password", confirm_password="password")
    assert weak.status_code == 400
    assert weak.json().split("<br>") == [
        "Password missing special character",
        "Password missing numeric character",
        "Password not long enough (10 characters)",
        "Password missing upper case letter",
    ]
    empty = change(new_password="", confirm_password="")
    assert empty.status_code == 400 and "Password not long enough" in empty.json()
    same = change(new_password=PASSWORD, confirm_password=PASSWORD)
    assert (same.status_code, same.json()) == (400, "New password same as old password")
    assert change(new_password=NEW_PASSWORD).status_code == 400  # confirm_password missing
    assert user_row(devstack, account, "user_force_password_change") == ["t"]
    # A request the parser refuses ends the login session, as upstream: log in again.
    assert change(new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD).status_code == 401
    assert login(client, account.username).status_code == 200

    # Form-encoded, as the page sends it.
    done = client.post(endpoint, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert (done.status_code, done.json()) == (200, "Password changed")
    assert user_row(devstack, account, "user_force_password_change") == ["f"]
    again = change(new_password=NEW_PASSWORD + "!", confirm_password=NEW_PASSWORD + "!")
    assert (again.status_code, again.json()) == (400, "User not required to change password")

    assert login(browser_session(), account.username).status_code == 401
    logged = login(browser_session(), account.username, NEW_PASSWORD)
    assert logged.status_code == 200 and logged.json()["user_token"]


def test_bad_input_is_a_clear_4xx(
    devstack: Stack, browser_session: Callable[[], FrontDoorSession], account: Account
) -> None:
    set_user(devstack, account, user_force_password_change=True)
    client = browser_session()
    assert login(client, account.username).status_code == 200
    endpoint = "/api/user/login/change_password"
    broken = client.post(endpoint, data="{not json", headers={"Content-Type": "application/json"})
    assert 400 <= broken.status_code < 500, broken.text
    assert login(client, account.username).status_code == 200
    extra = client.post(endpoint, json={"new_password": "a", "confirm_password": "a", "other": 1})
    assert extra.status_code == 400, extra.text
    assert login(client, account.username).status_code == 200
    nulls = client.post(endpoint, json={"new_password": None, "confirm_password": None})
    assert 400 <= nulls.status_code < 500, nulls.text
    assert login(client, account.username, with_websocket="maybe").status_code == 400


def test_2fa_setup_then_validation_with_a_totp_code(
    devstack: Stack,
    browser_session: Callable[[], FrontDoorSession],
    redis_client: redis.Redis,
    account: Account,
) -> None:
    set_user(devstack, account, user_2fa_enabled=True)
    client = browser_session()
    assert client.get("/api/user/users", auth=(account.username, PASSWORD)).status_code == 401

    body = login(client, account.username).json()
    assert body["reason"] == "2fa_setup" and body["redirect_url"] == "/login_setup_2fa"
    assert "user_token" not in body
    assert client.get("/login_setup_2fa").status_code == 200

    setup = client.get("/api/user/login/setup_2fa")
    assert setup.status_code == 200, setup.text
    secret = setup.json()["otp_secret"]
    assert base64.b64decode(setup.json()["qr_code"]).startswith(b"\x89PNG")
    totp = pyotp.TOTP(secret)
    endpoint = "/api/user/login/setup_2fa"
    wrong = client.post(endpoint, json={"otp_secret": secret, "otp_code": wrong_code(totp)})
    assert (wrong.status_code, wrong.json()) == (401, "Invalid OTP code")
    not_base32 = client.post(endpoint, json={"otp_secret": "not a secret!", "otp_code": "123456"})
    assert (not_base32.status_code, not_base32.json()) == (400, "Invalid otp_secret")
    assert client.post(endpoint, json={"otp_secret": secret}).status_code == 400  # otp_code missing
    assert user_row(devstack, account, "user_2fa_otp_enabled", "coalesce(user_2fa_otp_secret, '')") == ["f", ""]
    assert login(client, account.username).json()["reason"] == "2fa_setup"  # the parse error ended the session

    code = totp.now()
    enabled = client.post(endpoint, data={"otp_secret": secret, "otp_code": code, "with_email_enabled": "false"})
    assert enabled.status_code == 200, enabled.text
    redirect_url = f"/login_validate_2fa?code={code}"
    assert enabled.json() == {"message": "2FA enabled for this user.", "redirect_url": redirect_url}
    assert user_row(devstack, account, "user_2fa_otp_enabled", "user_2fa_otp_secret") == ["t", secret]
    already = client.get(endpoint)
    assert (already.status_code, already.json()) == (403, "User already has 2FA OTP secret set")
    assert client.get("/login_validate_2fa").status_code == 401  # that refusal ended the session

    body = login(client, account.username).json()
    assert body["reason"] == "2fa" and body["redirect_url"] == "/login_validate_2fa"
    assert client.get("/login_validate_2fa").status_code == 200
    validate = "/api/user/login/2fa"
    bad = client.post(validate, data={"otp_code": wrong_code(totp)})
    assert (bad.status_code, bad.json()) == (401, "Invalid OTP code")
    key = TWO_FA_ATTEMPTS + account.uuid
    assert redis_client.get(key) == "1" and 0 < redis_client.ttl(key) <= 900

    good = client.get(validate, params={"otp_code": totp.now(), "with_websocket": "true"})
    assert good.status_code == 200, good.text
    answer = good.json()
    assert answer["user_uuid"] == account.uuid and answer["user_token"] and answer["websocket_url"].startswith("wss://")
    assert redis_client.get(key) is None
    assert client.get("/api/user/refresh_token", headers=auth(answer["user_token"])).status_code == 200

    events = [event for event in login_events(devstack) if event["userUuid"] == account.uuid]
    assert any(e["logHeader"]["message"] == "Invalid OTP code" and e["list"] == "log.error" for e in events), events
    success = [e for e in events if e["loginStatus"] == "LOGIN_STATUS_SUCCESS"]
    assert success and success[-1]["serverEndpoint"], events


def test_five_wrong_codes_lock_2fa_logins(
    devstack: Stack,
    browser_session: Callable[[], FrontDoorSession],
    redis_client: redis.Redis,
    account: Account,
) -> None:
    secret = pyotp.random_base32()
    set_user(devstack, account, user_2fa_enabled=True, user_2fa_otp_enabled=True, user_2fa_otp_secret=secret)
    totp = pyotp.TOTP(secret)
    client = browser_session()
    try:
        assert login(client, account.username).json()["reason"] == "2fa"
        assert client.post("/api/user/login/2fa", json={}).status_code == 400  # no otp_code; ends the session
        assert client.post("/api/user/login/2fa", json={"otp_code": totp.now()}).status_code == 401
        assert login(client, account.username).json()["reason"] == "2fa"
        statuses = [
            client.post("/api/user/login/2fa", json={"otp_code": wrong_code(totp)}).status_code for _ in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 403]
        # The 5th refusal ended the session, and the password login itself now refuses this user.
        assert client.post("/api/user/login/2fa", json={"otp_code": totp.now()}).status_code == 401
        locked = login(client, account.username)
        assert (locked.status_code, locked.json()) == (403, "Too many 2FA attempts. Please wait and try again.")
    finally:
        redis_client.delete(TWO_FA_ATTEMPTS + account.uuid)
    assert login(client, account.username).json()["reason"] == "2fa"
    assert client.post("/api/user/login/2fa", json={"otp_code": totp.now()}).status_code == 200


def test_service_login_code_redirects_after_login(
    devstack: Stack,
    https: FrontDoorSession,
    browser_session: Callable[[], FrontDoorSession],
    service_token: Callable[[str], str],
    redis_client: redis.Redis,
    account: Account,
) -> None:
    response = https.get(
        "/api/service/auth/code",
        params={"endpoint_url": "after/login"},
        headers={"Authorization": f"OpenTera {service_token('SampleService')}"},
    )
    assert response.status_code == 200, response.text
    code = response.json()["auth_code"]
    client_endpoint = devstack.psql("SELECT service_clientendpoint FROM t_services WHERE service_key = 'SampleService'")
    client = browser_session()
    assert client.get("/login", params={"auth_code": code}).status_code == 200
    done = login(client, account.username)
    assert done.status_code == 200, done.text
    redirect_url = done.json()["redirect_url"]
    assert redirect_url.endswith(f"/after/login/?auth_code={code}") and "//after" not in redirect_url
    assert redirect_url.startswith(client_endpoint[0][0].rstrip("/"))
    stored = redis_client.get(f"service_auth_code_{code}")
    assert stored and account.uuid in stored and "user_token" in stored
    assert redis_client.ttl(f"service_auth_code_{code}") > 0

    stale = browser_session()
    assert stale.get("/login", params={"auth_code": "no-such-code"}).status_code == 200
    refused = login(stale, account.username)
    assert (refused.status_code, refused.json()) == (403, "Invalid authentication code")


def wrong_code(totp: pyotp.TOTP) -> str:
    """A 6-digit code that none of the accepted time steps (now, one before, one after) produces."""
    now = time.time()
    accepted = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)
