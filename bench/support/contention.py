"""CPU contention on demand: processes spinning on a core while a bench measures.

This VM's speed drifts by up to 2x within minutes (another tenant taking CPU), so a figure measured in a fast
phase says little about a slow one. `busy_cores(n)` makes a slow phase on purpose: n processes each spinning a
pure-Python loop, at the same priority as everything else, for as long as the block runs, then killed. Local
CPU only: no traffic, and bounded by the block.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

SPIN = "while True:\n    pass\n"


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` spinning processes while the block runs (none for 0); they are killed and reaped on the way out."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]
    try:
        yield spinners
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait()
