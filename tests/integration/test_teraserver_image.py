"""TeraServer's own unit tests run inside its image, where the opentera package they exercise is installed."""

from __future__ import annotations

from devstack.testing.stack import Stack


def test_teraserver_unit_suite_passes_in_its_image(devstack: Stack) -> None:
    result = devstack.run(
        "run", "--rm", "--no-deps", "-T", "teraserver", "python", "-m", "pytest", "/app/tests", "-q", check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
