"""How this repository's suite is spread over pytest-xdist's workers (`-n 3 --dist loadfile` in pyproject.toml).

Each worker takes whole units in collection order. A unit is one test file (a module's tests share its fixtures and
order), except that the files using one of SHARED_SESSION_STACKS form one unit per stack: that stack then starts
once per run instead of once in every worker that happens to take one of its files (issue 16; the upstream data
stack also loads upstream's data set). The files marked `slow` (Swarm, fuzzing) come first, so the longest units
start at once and the short ones fill in at the end.

Which stacks a file uses is known only once it is collected, in the workers; the controller, which hands out the
units, collects nothing. So the workers write each file's unit to a JSON file the controller named in
UNITS_FILE_VARIABLE, and the controller's scheduler (a LoadFileScheduling whose scope is that unit) reads it once
every worker has collected. pytest-xdist's own `--dist loadgroup` would do this with marks, but with pytest 9 the
group it appends to a test's id never reaches the controller."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from functools import cached_property
from pathlib import Path

import pytest

# Session fixtures of tests/integration/conftest.py that start a whole stack of their own.
SHARED_SESSION_STACKS = ("api_stack", "upstream_data_stack")
UNITS_FILE_VARIABLE = "DEVSTACK_XDIST_UNITS_FILE"


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def units_of(items: list[pytest.Item]) -> dict[str, str]:
    """Test file -> its unit: the first shared stack any of its tests uses (fixtures they use indirectly count),
    else the file itself."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(file_of(item.nodeid), []).append(item)
    units = {}
    for path, file_items in files.items():
        used = [s for s in SHARED_SESSION_STACKS if any(s in getattr(i, "fixturenames", ()) for i in file_items)]
        units[path] = used[0] if used else path
    return units


def pytest_configure(config: pytest.Config) -> None:
    # The xdist controller: workers have `workerinput`; without -n (or with -n 0) there is no controller.
    is_controller = not hasattr(config, "workerinput") and bool(config.getoption("numprocesses", None))
    if is_controller:
        # Workers are started after this and inherit the environment.
        handle, name = tempfile.mkstemp(prefix="devstack-xdist-units-", suffix=".json")
        os.close(handle)
        os.environ[UNITS_FILE_VARIABLE] = name
        config.add_cleanup(lambda: Path(name).unlink(missing_ok=True))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A stable sort keeps every file's own order.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    target = os.environ.get(UNITS_FILE_VARIABLE)
    if target and hasattr(config, "workerinput"):
        # Every worker collects the same tests and writes the same table; each replaces the file whole.
        partial = Path(f"{target}.{config.workerinput['workerid']}")
        partial.write_text(json.dumps(units_of(items)), encoding="utf-8")
        partial.replace(target)


with contextlib.suppress(ImportError):
    from xdist.scheduler import LoadFileScheduling

    class SharedStackScheduling(LoadFileScheduling):
        """--dist loadfile, with the files of one shared session stack as one unit (the workers' table)."""

        @cached_property
        def units(self) -> dict[str, str]:
            # First read when the units are made, once every worker has sent its collection (written before).
            target = os.environ.get(UNITS_FILE_VARIABLE, "")
            with contextlib.suppress(OSError, ValueError):
                return dict(json.loads(Path(target).read_text(encoding="utf-8")))
            return {}

        def _split_scope(self, nodeid: str) -> str:
            path = file_of(nodeid)
            return self.units.get(path, path)

    @pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which would make a plain LoadFileScheduling
    def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadFileScheduling | None:
        return SharedStackScheduling(config, log) if config.getvalue("dist") == "loadfile" else None  # type: ignore[arg-type]
