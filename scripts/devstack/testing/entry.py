"""pytest's entry point for the devstack test kit (pyproject `pytest11`).

pytest loads every installed plugin at start. The kit (devstack.testing.plugin) needs packages the `kit` extra
installs (`pip install 'opentera-devstack[kit]'`, also part of `[test]`); without them, loading it would abort
every pytest run on the machine, this project's or not (issue 16). So the kit is loaded only when they are all
installed; otherwise pytest runs as usual and warns once that the kit's fixtures are absent, and why.
"""

from __future__ import annotations

import importlib.util

import pytest

# Import names of the packages the kit imports (the `kit` extra in pyproject.toml).
KIT_MODULES = ("redis", "jwt", "websockets", "psycopg", "requests", "yaml")


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ValueError:  # a module set to None in sys.modules: deliberately unavailable
        return False


MISSING = [name for name in KIT_MODULES if not _installed(name)]

if MISSING:

    def pytest_configure(config: pytest.Config) -> None:
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"devstack test kit not loaded: missing {', '.join(MISSING)} "
                "(pip install 'opentera-devstack[kit]'); its fixtures (devstack, https, ...) are unavailable"
            ),
            stacklevel=2,
        )

else:
    pytest_plugins = ["devstack.testing.plugin"]
