"""After provisioning (`.ci/run` runs scripts/provision-docker.sh and provision-test-tools.sh before the tests), the
host's core packages are still its own release's (issue 16): no version newer than the host's apt suites offer.

A host that an old provision script upgraded across releases says so in /etc/os-release (its codename is not the
suite of its apt sources); that cannot be undone here, so the test says so and passes.
"""

import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

CORE = ("base-files", "libc6", "python3", "apt")
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")

pytestmark = pytest.mark.skipif(
    shutil.which("dpkg-query") is None or not SOURCES.exists(), reason="not a Debian host with deb822 sources"
)


def host_suite() -> str:
    for line in SOURCES.read_text().splitlines():
        if line.startswith("Suites:"):
            return line.split()[1]
    raise AssertionError(f"no Suites: line in {SOURCES}")


def os_codename() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip('"')
    return ""


def newest_offered(package: str, suite: str) -> str:
    """The highest version of `package` in the host's suites (suite, suite-updates, suite-security)."""
    rows = subprocess.run(["apt-cache", "madison", package], capture_output=True, text=True, check=True).stdout
    versions = [
        parts[1].strip()
        for parts in (row.split("|") for row in rows.splitlines())
        if len(parts) >= 3 and parts[2].split()[1].split("/")[0] in {suite, f"{suite}-updates", f"{suite}-security"}
    ]
    assert versions, f"apt-cache madison {package} lists no {suite} version: run apt-get update"
    newest = versions[0]
    for version in versions[1:]:
        if subprocess.run(["dpkg", "--compare-versions", version, "gt", newest]).returncode == 0:
            newest = version
    return newest


def installed(package: str) -> str:
    return subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True, check=True
    ).stdout


def test_core_packages_are_the_host_releases():
    suite = host_suite()
    if os_codename() != suite:
        warnings.warn(
            f"this host says it is {os_codename()!r} but its apt sources are {suite!r}: it was upgraded across "
            "releases before (an old provision-docker.sh used -t trixie); nothing here can check that now",
            stacklevel=1,
        )
        return
    too_new = {}
    for package in CORE:
        version, offered = installed(package), newest_offered(package, suite)
        if subprocess.run(["dpkg", "--compare-versions", version, "gt", offered]).returncode == 0:
            too_new[package] = f"{version} > {suite}'s {offered}"
    assert not too_new, f"core packages newer than the host's release: {too_new}"
