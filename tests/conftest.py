"""How this repository's suite is spread over pytest-xdist's workers (`--dist loadgroup` in pyproject.toml).

Each worker takes whole units in collection order. A unit is one test file (a module's tests share its fixtures and
order), except that the files using one of SHARED_SESSION_STACKS form one unit per stack: that stack then starts
once per run instead of once in every worker that happens to take one of its files (issue 16; the upstream data
stack also loads upstream's data set, ~20 s). The files marked `slow` (Swarm, fuzzing) come first, so the longest
units start at once and the short ones fill in at the end."""

from __future__ import annotations

import pytest

# Session fixtures of tests/integration/conftest.py that start a whole stack of their own.
SHARED_SESSION_STACKS = ("api_stack", "upstream_data_stack")


def unit_of(items: list[pytest.Item]) -> str:
    """The xdist group of one file's tests: the first shared stack any of them uses, else the file itself."""
    for stack in SHARED_SESSION_STACKS:
        if any(stack in getattr(item, "fixturenames", ()) for item in items):
            return stack
    return items[0].nodeid.split("::", 1)[0]


# tryfirst: pytest-xdist reads the xdist_group marks in its own hook of this name, which must come after this one.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    for file_items in files.values():
        group = unit_of(file_items)
        for item in file_items:
            item.add_marker(pytest.mark.xdist_group(group))
    # A stable sort keeps every file's own order.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
