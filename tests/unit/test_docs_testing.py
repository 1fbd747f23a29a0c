"""docs/testing.md's example test is the file that runs, and the fixtures it lists are the plugin's."""

from __future__ import annotations

import re
from pathlib import Path

from devstack.testing import plugin

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
EXAMPLE_MARKER = re.compile(r"<!-- example: (\S+) -->\n```python\n(.*?)```", re.S)


def test_the_example_block_is_the_executed_test_file() -> None:
    examples = EXAMPLE_MARKER.findall(DOC)
    assert len(examples) == 1, "docs/testing.md should hold exactly one marked example block"
    path, block = examples[0]
    assert path == "tests/integration/test_docs_example.py"
    assert block == (ROOT / path).read_text(encoding="utf-8")


def is_fixture(candidate: object) -> bool:
    # pytest >= 8.4 wraps a fixture in FixtureFunctionDefinition (marker attribute); older releases tag the function.
    return hasattr(candidate, "_fixture_function_marker") or hasattr(candidate, "_pytestfixturefunction")


def test_every_fixture_in_the_table_is_defined_by_the_plugin() -> None:
    table_names = re.findall(r"^\| `(\w+)` \| (?:session|module|test) \|", DOC, re.M)
    assert len(table_names) >= 9, f"the fixture table of docs/testing.md was not found whole: {table_names}"
    undefined = [name for name in table_names if not is_fixture(getattr(plugin, name, None))]
    assert undefined == [], f"docs/testing.md lists fixtures the plugin does not define: {undefined}"
