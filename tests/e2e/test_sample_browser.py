"""The sample's Frontend in a real headless Chromium: log in, see projects, add a note, reload, delete it."""

from __future__ import annotations

import uuid

import pytest
import yaml

from devstack.testing.plugin import FrontDoorSession
from devstack.testing.stack import Stack

pytest.importorskip("selenium", reason="pip install selenium (the test extra)")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

DEV_PROJECT_NAME = "DevStack Project"

# Generous: the browser tests may run beside the Swarm and fuzzing files, when both cores are busy (issue 16).
WAIT_SECONDS = 30


def sample_prefix(stack: Stack) -> str:
    manifest = yaml.safe_load((stack.root / "services" / "sample" / "service.yaml").read_text(encoding="utf-8"))
    return manifest["prefix"]


def wait(driver: WebDriver) -> WebDriverWait:
    return WebDriverWait(driver, WAIT_SECONDS)


def open_login_page(driver: WebDriver, stack: Stack) -> None:
    """Open the sample's page and wait for its login form, which app.js shows.

    A failed script load still ends the page load: once, beside the Swarm tests, the page and its style came but
    the browser never got app.js (NGINX logged no request for it), and the form stayed hidden. Such a page is
    loaded once more; a second failure fails the test, saying so."""
    url = f"{stack.base_url}{sample_prefix(stack)}/"
    for attempt in (1, 2):
        driver.get(url)
        if driver.execute_script("return typeof showLogin === 'function'"):
            break
        assert attempt == 1, f"app.js did not run on {url}, twice"
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-form")))


def click_entry(driver: WebDriver, list_id: str, label: str) -> None:
    locator = (By.XPATH, f"//ul[@id='{list_id}']//button[normalize-space()='{label}']")
    wait(driver).until(EC.element_to_be_clickable(locator)).click()


def note_item_xpath(text: str) -> str:
    return f"//ul[@id='notes']/li[.//p[@class='note-text' and normalize-space()='{text}']]"


def test_log_in_add_a_note_reload_and_delete_it(
    browser: WebDriver,
    devstack: Stack,
    https: FrontDoorSession,
    admin_token: str,
    participant_in_dev_project: dict,
) -> None:
    driver = browser
    participant_name = participant_in_dev_project["participant_name"]
    note_text = f"Seen in the browser {uuid.uuid4().hex[:6]}"

    open_login_page(driver, devstack)
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys("admin")
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()

    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "whoami"), "Super Admin"))
    wait(driver).until(EC.invisibility_of_element_located((By.ID, "login-form")))
    click_entry(driver, "projects", DEV_PROJECT_NAME)
    click_entry(driver, "participants", participant_name)

    text_box = wait(driver).until(EC.visibility_of_element_located((By.ID, "note-text")))
    text_box.send_keys(note_text)
    driver.find_element(By.CSS_SELECTOR, "#note-form button[type=submit]").click()
    wait(driver).until(EC.visibility_of_element_located((By.XPATH, note_item_xpath(note_text))))

    # Reload: the session (token, chosen project and participant) is kept, and the note comes from the database.
    driver.refresh()
    note = wait(driver).until(EC.visibility_of_element_located((By.XPATH, note_item_xpath(note_text))))
    assert participant_name in driver.find_element(By.ID, "notes-for").text

    note.find_element(By.CSS_SELECTOR, "button.delete").click()
    wait(driver).until(EC.invisibility_of_element_located((By.XPATH, note_item_xpath(note_text))))
    assert not driver.find_element(By.ID, "error").is_displayed()
    remaining = https.get(
        f"{sample_prefix(devstack)}/api/notes",
        params={"participant_uuid": participant_in_dev_project["participant_uuid"]},
        headers={"Authorization": f"OpenTera {admin_token}"},
    ).json()
    assert remaining == []

    driver.find_element(By.ID, "logout").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-form")))


def test_wrong_password_is_shown_readably(browser: WebDriver, devstack: Stack) -> None:
    driver = browser
    open_login_page(driver, devstack)
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys("not-the-password")
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    error = wait(driver).until(EC.visibility_of_element_located((By.ID, "error")))
    assert "Login refused" in error.text
    assert "401" in error.text
    assert not driver.find_element(By.ID, "workspace").is_displayed()
    assert driver.find_element(By.ID, "login-form").is_displayed()
