"""The kit's pytest entry point (issue 16): without one of the kit's packages, pytest still runs (this project's
tests or anyone's) and warns that the devstack fixtures are absent; with them all, the kit is loaded."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

from devstack.testing import entry

PYTEST_WITHOUT_REDIS = """
import sys
sys.modules["redis"] = None  # as on a machine where `pip install opentera-devstack` left the kit out
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-W", "default", sys.argv[1]]))
"""


def test_with_every_package_the_kit_is_loaded() -> None:
    assert entry.MISSING == []
    assert entry.pytest_plugins == ["devstack.testing.plugin"]


def test_without_one_pytest_runs_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", PYTEST_WITHOUT_REDIS, str(tmp_path / "test_plain.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed" in output
    assert "devstack test kit not loaded: missing redis" in output


def test_every_package_of_the_kit_extra_is_checked_before_loading_the_kit() -> None:
    """A package the `kit` extra installs but KIT_MODULES leaves out would, when missing, abort every pytest run
    again instead of giving the warning."""
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    kit = re.search(r"^kit = \[(.*?)^\]", pyproject, re.MULTILINE | re.DOTALL)
    assert kit is not None, "pyproject.toml has no `kit` extra"
    distributions = {name.lower() for name in re.findall(r'^\s*"([A-Za-z0-9_.-]+)', kit.group(1), re.MULTILINE)}
    assert "psycopg" in distributions and "redis" in distributions, distributions
    modules_of = importlib.metadata.packages_distributions()
    provided = {
        distribution: {module for module, names in modules_of.items() if distribution in {n.lower() for n in names}}
        for distribution in distributions - {"pytest"}
    }
    assert all(modules & set(entry.KIT_MODULES) for modules in provided.values()), provided
