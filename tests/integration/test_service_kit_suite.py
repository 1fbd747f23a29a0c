"""The service kit's unit tests (services/kit/tests) run inside the sample's image: there the kit is installed as
every service gets it (from the build context `kit`), next to the opentera package it builds on. And a kit of
another major version than a service's requirements.txt pins is refused when its image is built."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest

from devstack.compose import run_docker
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


def next_major(pyproject: Path) -> str:
    """Bump the kit's major version in `pyproject` (a copy); the new version."""
    text = pyproject.read_text(encoding="utf-8")
    found = re.search(r'^version = "(\d+)\.\d+\.\d+"$', text, flags=re.MULTILINE)
    assert found, f"{pyproject}: no version line"
    version = f"{int(found.group(1)) + 1}.0.0"
    pyproject.write_text(text.replace(found.group(0), f'version = "{version}"'), encoding="utf-8")
    return version


def test_a_kit_of_another_major_version_is_refused_at_build(devstack: Stack, tmp_path: Path) -> None:
    kit = shutil.copytree(KIT, tmp_path / "kit", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    version = next_major(kit / "pyproject.toml")
    base_image = devstack.config()["services"]["sample"]["build"]["args"]["PYTHON_IMAGE"]
    tag = f"devstack-kit-major-check-{uuid.uuid4().hex[:8]}:dev"  # removed below should the build succeed
    try:
        result = run_docker(
            "build", "--progress=plain", "--tag", tag, "--build-context", f"kit={kit}",
            "--build-arg", f"PYTHON_IMAGE={base_image}", str(ROOT / "services" / "sample"),
            timeout=900,
        )  # fmt: skip
    finally:
        run_docker("image", "rm", "--force", tag)
    requirements = (ROOT / "services" / "sample" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pin = next(line.strip() for line in requirements if line.startswith("opentera-service-kit"))
    assert result.returncode != 0, f"a service pinned to {pin} was built with kit {version}"
    expected = f"Cannot install opentera-service-kit {version} (from /tmp/service-kit) and {pin}"
    assert expected in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]
