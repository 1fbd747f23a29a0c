"""One changing command at a time per checkout: `new`, `remove`, `render` take an exclusive lock.

The lock is an flock (POSIX) or a byte-range lock (`msvcrt.locking`, Windows) on a file outside the repository
(so the tree stays byte-identical), keyed by the checkout's path; the kernel releases it when the holder exits,
even on a crash, so it can never go stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DEFAULT_WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.2


try:  # POSIX
    import fcntl

    def _try_lock(descriptor: int) -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)

except ImportError:  # Windows: no fcntl (the CLI must still import there, issue 16)
    import msvcrt

    def _try_lock(descriptor: int) -> bool:
        os.lseek(descriptor, 0, os.SEEK_SET)
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


class LockBusyError(RuntimeError):
    """Another devstack command kept the checkout locked for longer than we were willing to wait."""


def lock_path(root: Path) -> Path:
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"devstack-{digest}.lock"


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "another devstack command"
    except OSError:
        return "another devstack command"


@contextlib.contextmanager
def exclusive(root: Path, action: str, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold the checkout's lock for the block; wait up to `wait_seconds` for another holder, then fail."""
    path = lock_path(root)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            if _try_lock(descriptor):
                break
            holder = _holder(path)
            if time.monotonic() >= deadline:
                raise LockBusyError(
                    f"{holder} is still changing {root} after {wait_seconds:.0f} s; try again when it has finished"
                )
            if not told:
                print(f"waiting for {holder} to finish (up to {wait_seconds:.0f} s)...", file=sys.stderr)
                told = True
            time.sleep(_POLL_SECONDS)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"`devstack {action}` (pid {os.getpid()})".encode())
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
            _unlock(descriptor)
    finally:
        os.close(descriptor)
