"""bench/support/contention.py: the spinners a contended bench run uses run while the block runs, then are gone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from bench_modules import load_bench_module

contention = load_bench_module("bench/support/contention.py")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux, as the stack's hosts)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_spinners_burn_cpu_while_the_block_runs_and_are_reaped_after() -> None:
    with contention.busy_cores(2) as spinners:
        assert len(spinners) == 2
        # On a loaded machine a spinner gets its share late: wait for it (bounded) rather than for a fixed time.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(cpu_seconds(s.pid) > 0.1 for s in spinners):
            time.sleep(0.2)
        assert all(spinner.poll() is None for spinner in spinners)
        assert all(cpu_seconds(spinner.pid) > 0.1 for spinner in spinners), "a spinner must use the CPU"
    assert all(spinner.returncode is not None for spinner in spinners)


def test_spinners_are_killed_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), contention.busy_cores(1) as spinners:
        raise RuntimeError("the bench failed")
    assert spinners[0].returncode is not None


def test_no_spinner_for_zero() -> None:
    with contention.busy_cores(0) as spinners:
        assert spinners == []
