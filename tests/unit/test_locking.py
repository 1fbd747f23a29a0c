"""The checkout lock on both kinds of platform: flock where there is fcntl, msvcrt's byte-range lock where there is
not (Windows). Without fcntl the module, and so the CLI, must still import (issue 16). The Windows path runs here
on a copy of the module loaded with fcntl blocked and an msvcrt that keeps msvcrt.locking's contract."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from devstack import locking

FAKE_MSVCRT = """
import errno, os, types
held = {}  # inode -> the descriptor holding byte 0
def locking(descriptor, mode, length):
    inode = os.fstat(descriptor).st_ino
    if mode == LK_UNLCK:
        held.pop(inode, None)
    elif held.get(inode, descriptor) != descriptor:
        raise OSError(errno.EACCES, "locked")
    else:
        held[inode] = descriptor
LK_NBLCK, LK_UNLCK = 2, 0
"""


def fake_msvcrt() -> types.ModuleType:
    module = types.ModuleType("msvcrt")
    exec(FAKE_MSVCRT, module.__dict__)
    return module


def windows_copy(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """devstack.locking as it loads without fcntl, under another name (the real module is left as it is)."""
    monkeypatch.setitem(sys.modules, "fcntl", None)  # `import fcntl` now raises ImportError
    monkeypatch.setitem(sys.modules, "msvcrt", fake_msvcrt())
    spec = importlib.util.spec_from_file_location("devstack_locking_windows", locking.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("platform", ["posix", "windows"])
def test_a_second_holder_waits_then_fails_naming_the_first(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = windows_copy(monkeypatch) if platform == "windows" else locking
    uses = set(module._try_lock.__code__.co_names)
    assert ("msvcrt" in uses, "fcntl" in uses) == (platform == "windows", platform == "posix")
    busy = pytest.raises(module.LockBusyError, match=r"`devstack new First` \(pid \d+\) is still changing")
    with module.exclusive(tmp_path, "new First"), busy, module.exclusive(tmp_path, "render", wait_seconds=0.3):
        pass
    with module.exclusive(tmp_path, "render", wait_seconds=0.3):  # released: free again
        pass


def test_the_cli_imports_without_fcntl() -> None:
    code = (
        # subprocess decides it runs on Windows when msvcrt imports: load it (and the rest) as they load here first.
        "import subprocess, sys, types\n"
        "sys.modules['fcntl'] = None\n"
        f"msvcrt = types.ModuleType('msvcrt'); exec({FAKE_MSVCRT!r}, msvcrt.__dict__)\n"
        "sys.modules['msvcrt'] = msvcrt\n"
        "import devstack.cli\n"
        "print('imported', 'fcntl' in devstack.locking._try_lock.__code__.co_names)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported False"
