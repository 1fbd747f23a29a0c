"""`devstack up` on a machine where an image cannot be pulled (issue 16): it says so, names
`devstack offline-images`, exits 2 and starts nothing, instead of ending on Docker's raw name-resolution error.
A registry host that cannot resolve (`.invalid` is reserved for that) stands in for a machine without network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import compose
from devstack.testing.plugin import require_docker
from devstack.testing.stack import free_port, unique_project_name

ROOT = Path(__file__).resolve().parents[2]
UNPULLABLE = "devstack-unresolvable.invalid/postgres:15"

pytestmark = pytest.mark.docker


def test_up_without_a_reachable_registry_names_offline_images_and_starts_nothing() -> None:
    require_docker()
    project = unique_project_name("devstack-offline")
    environment = {
        **os.environ,
        "POSTGRES_IMAGE": UNPULLABLE,
        "DEVSTACK_HTTPS_PORT": str(free_port()),
        "PYTHONPATH": str(ROOT / "scripts"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "up", "--project-name", project, "--no-build"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("devstack up: error:")]
    assert f"the image {UNPULLABLE} is not on this machine and cannot be pulled" in line
    assert "devstack-unresolvable.invalid" in line and "`devstack offline-images`" in line
    containers = compose.run_docker("ps", "--all", "--quiet", "--filter", f"label=com.docker.compose.project={project}")
    assert containers.stdout.split() == []
