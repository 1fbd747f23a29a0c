"""The service kit's unit tests (services/kit/tests) run inside the sample's image: there the kit is installed as
every service gets it (from the build context `kit`), next to the opentera package it builds on."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.testing.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "services" / "kit"
# The image is trimmed of pytest: it borrows the one running this test, last on sys.path (the image's own packages
# win), with plugin autoloading off (the borrowed site-packages hold plugins the image cannot load).
RUN_KIT_TESTS = """
import sys
sys.path.append("/opt/borrowed-site-packages")
import pytest, service_kit
print("service_kit", service_kit.__version__, "from", service_kit.__file__)
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "/kit/tests"]))
"""


def test_kit_unit_suite_passes_in_the_sample_image(devstack: Stack) -> None:
    site_packages = Path(pytest.__file__).resolve().parents[1]
    result = devstack.run(
        "run", "--rm", "--no-deps", "-T",
        "--volume", f"{KIT}:/kit:ro", "--volume", f"{site_packages}:/opt/borrowed-site-packages:ro",
        "--env", "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1", "--env", "PYTHONDONTWRITEBYTECODE=1",
        "sample", "python", "-c", RUN_KIT_TESTS,
        check=False,
    )  # fmt: skip
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    # The installed kit was tested, not the source folder mounted next to it.
    assert "from /opt/venv/lib/" in result.stdout, output
    assert " passed" in result.stdout and " failed" not in result.stdout, output
