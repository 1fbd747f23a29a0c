"""Bench scripts and their support modules loaded as modules, without running them (bench/ is not a package).

Shared by the unit tests that check a bench's figures, arguments or helpers.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "bench"


@functools.cache
def load_bench_module(relative_path: str) -> ModuleType:
    """The module at `relative_path` (from the repository root), loaded once per test session.

    bench/ goes on sys.path first: the scripts import their shared `support` package from there.
    """
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    path = ROOT / relative_path
    name = "bench_" + "_".join(path.relative_to(BENCH_DIR).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module
