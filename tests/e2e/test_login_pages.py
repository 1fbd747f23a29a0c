"""TeraServer's login pages in a real headless Chromium, through the stack's front door (HTTPS).

The pages keep the login in the browser's session cookie from step to step: a plain login, a forced password
change then a login with the new password, and a 2FA set-up followed by its validation (the TOTP code is
computed here with pyotp from the key the set-up page shows).
"""

from __future__ import annotations

import uuid

import pytest

from devstack.testing.plugin import FrontDoorSession
from devstack.testing.stack import Stack

pytest.importorskip("selenium", reason="pip install selenium (the test extra)")
pyotp = pytest.importorskip("pyotp", reason="pip install pyotp (the test extra)")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# Generous: the browser tests may run beside the Swarm and fuzzing files, when both cores are busy (issue 16).
WAIT_SECONDS = 30
NEW_PASSWORD = "Brand$new-Passw0rd"


def wait(driver: WebDriver) -> WebDriverWait:
    return WebDriverWait(driver, WAIT_SECONDS)


def visible(driver: WebDriver, element_id: str) -> WebElement:
    return wait(driver).until(EC.visibility_of_element_located((By.ID, element_id)))


def log_in(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    driver.get(f"{base_url}/login")
    visible(driver, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()


def assert_logged_in(driver: WebDriver, fullname: str) -> None:
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), f"Logged in as {fullname}."))
    assert driver.execute_script("return sessionStorage.getItem('opentera_user_token')")


def test_login_page_logs_a_user_in(browser: WebDriver, devstack: Stack, account: dict) -> None:
    log_in(browser, devstack.base_url, account["username"], "not the password")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "error"), "Invalid username or password"))
    browser.find_element(By.ID, "password").clear()
    browser.find_element(By.ID, "password").send_keys(account["password"])
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    assert_logged_in(browser, account["fullname"])
    assert any(cookie["name"] == "OpenTera" for cookie in browser.get_cookies())


def test_forced_password_change_then_login(browser: WebDriver, devstack: Stack, account: dict) -> None:
    devstack.psql(f"UPDATE t_users SET user_force_password_change = true WHERE id_user = {account['id_user']}")
    log_in(browser, devstack.base_url, account["username"], account["password"])
    wait(browser).until(EC.url_contains("/login_change_password"))
    assert account["username"] in visible(browser, "username").text

    visible(browser, "new_password").send_keys("short")
    browser.find_element(By.ID, "confirm_password").send_keys("short")
    browser.find_element(By.CSS_SELECTOR, "#password-form button[type=submit]").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "error"), "Password not long enough"))

    for field in ("new_password", "confirm_password"):
        browser.find_element(By.ID, field).clear()
        browser.find_element(By.ID, field).send_keys(NEW_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#password-form button[type=submit]").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "status"), "Password changed"))
    wait(browser).until(EC.url_matches(r"/login$"))

    log_in(browser, devstack.base_url, account["username"], NEW_PASSWORD)
    assert_logged_in(browser, account["fullname"])


def test_2fa_setup_then_validation(browser: WebDriver, devstack: Stack, account: dict) -> None:
    devstack.psql(f"UPDATE t_users SET user_2fa_enabled = true WHERE id_user = {account['id_user']}")
    log_in(browser, devstack.base_url, account["username"], account["password"])
    wait(browser).until(EC.url_contains("/login_setup_2fa"))
    visible(browser, "qr-code")
    secret = browser.find_element(By.ID, "otp-secret").text
    totp = pyotp.TOTP(secret)
    browser.find_element(By.ID, "otp_code").send_keys(totp.now())
    browser.find_element(By.CSS_SELECTOR, "#setup-form button[type=submit]").click()
    # Set-up hands the checked code to the validation page, which completes the login with it.
    wait(browser).until(EC.url_contains("/login_validate_2fa?code="))
    assert_logged_in(browser, account["fullname"])
    stored = devstack.psql(f"SELECT user_2fa_otp_secret FROM t_users WHERE id_user = {account['id_user']}")
    assert stored == [[secret]]

    # Next login: straight to the validation page, where the code is typed.
    browser.execute_script("sessionStorage.clear()")
    log_in(browser, devstack.base_url, account["username"], account["password"])
    wait(browser).until(EC.url_matches(r"/login_validate_2fa$"))
    visible(browser, "otp_code").send_keys(totp.now())
    browser.find_element(By.CSS_SELECTOR, "#code-form button[type=submit]").click()
    assert_logged_in(browser, account["fullname"])


@pytest.fixture
def account(devstack: Stack, https: FrontDoorSession, admin_token: str) -> dict:
    """A fresh user with a real password, created through TeraServer's API."""
    username = f"page-user-{uuid.uuid4().hex[:8]}"
    password = "Page$ecret-Passw0rd"
    body = {
        "user": {
            "id_user": 0,
            "user_username": username,
            "user_firstname": "Page",
            "user_lastname": username,
            "user_password": password,
            "user_enabled": True,
        }
    }
    response = https.post("/api/user/users", json=body, headers={"Authorization": f"OpenTera {admin_token}"})
    assert response.status_code == 200, response.text
    user = response.json()[0]
    return {"id_user": user["id_user"], "username": username, "password": password, "fullname": f"Page {username}"}
