"""End-to-end tests: a real headless Chromium (Debian's package) driven by Selenium against the running stack.

Needs `chromium` and `chromium-driver` (scripts/provision-test-tools.sh installs them) and Docker; without them
the tests are skipped with the reason (a failure in CI, like every Docker test). On failure a screenshot and
the page's HTML are saved under test-artifacts/.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.testing.plugin import FrontDoorSession
from devstack.testing.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.path):
            item.add_marker(pytest.mark.docker)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    # Kept on the item so the browser fixture knows, at teardown, whether to save a screenshot.
    setattr(item, f"report_{report.when}", report)


def spki_sha256(pem_certificate: str) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)) of a certificate: what Chromium's SPKI allow-list takes."""
    der = ssl.PEM_cert_to_DER_cert(pem_certificate)
    public_key = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-noout", "-pubkey"], input=der, capture_output=True, check=True
    ).stdout
    spki = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"], input=public_key, capture_output=True, check=True
    ).stdout
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="session")
def site_certificate_pin(devstack: Stack, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Chromium trusts exactly the stack's site certificate (by its key), not every certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to pin the stack's certificate for Chromium")
    destination = tmp_path_factory.mktemp("site-cert") / "site_cert.pem"
    devstack.run("cp", "proxy:/etc/nginx/certificates/site_cert.pem", str(destination))
    return spki_sha256(destination.read_text(encoding="ascii"))


@pytest.fixture
def browser(request: pytest.FixtureRequest, site_certificate_pin: str) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("no Chromium: run scripts/provision-test-tools.sh (apt packages chromium, chromium-driver)")
    pytest.importorskip("selenium", reason="pip install selenium (the test extra)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Never let Selenium Manager look for (or download) a browser or driver: both are given explicitly.
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--ignore-certificate-errors-spki-list={site_certificate_pin}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        failed = any(
            getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call")
        )
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            stem = ARTIFACTS / request.node.name
            driver.save_screenshot(str(stem.with_suffix(".png")))
            stem.with_suffix(".html").write_text(driver.page_source, encoding="utf-8")
        driver.quit()


DEV_PROJECT_NAME = "DevStack Project"


@pytest.fixture
def participant_in_dev_project(https: FrontDoorSession, admin_token: str) -> dict:
    """A new participant in the project the register job links the sample to, created through TeraServer."""
    headers = {"Authorization": f"OpenTera {admin_token}"}
    projects = https.get("/api/user/projects", headers=headers).json()
    id_project = next(p["id_project"] for p in projects if p["project_name"] == DEV_PROJECT_NAME)
    name = f"Browser Participant {os.urandom(3).hex()}"
    body = {"participant": {"id_participant": 0, "id_project": id_project, "participant_name": name}}
    response = https.post("/api/user/participants", json=body, headers=headers)
    assert response.status_code == 200, response.text
    created = response.json()
    return created[0] if isinstance(created, list) else created
