"""Run Python inside the stack's TeraServer container, on its real database and pools, and read the findings back.

The code leaves what it found in a variable named `seen` (anything JSON can hold); `teraserver_probe` returns it.
"""

from __future__ import annotations

import json
from typing import Any

from devstack.testing.stack import Stack

_MARK = "PROBE "
_REPORT = f"\nimport json as _probe_json\nprint({_MARK!r} + _probe_json.dumps(seen))\n"


def teraserver_probe(stack: Stack, code: str) -> Any:
    result = stack.run("exec", "-T", "teraserver", "python", "-c", code + _REPORT)
    line = next((line for line in result.stdout.splitlines() if line.startswith(_MARK)), None)
    if line is None:
        raise AssertionError(f"the probe reported nothing; its output:\n{result.stdout}\n{result.stderr}")
    return json.loads(line.removeprefix(_MARK))
