"""A throwaway copy of the checkout's files a command reads and writes (DEVSTACK_ROOT points at it), and a
snapshot to prove a command changed nothing in it. Shared by the unit tests of `new` and `upgrade`."""

from __future__ import annotations

from pathlib import Path

from devstack.testing import workspace

ROOT = Path(__file__).resolve().parents[2]


def copy_repository(destination: Path) -> Path:
    """What a stack and the CLI need from this checkout (the test kit's own copy, one rule for both)."""
    return workspace.copy_repository(ROOT, destination)


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and folder with its mode and content: "byte-identical" includes nothing added or removed."""
    return {
        path.relative_to(root).as_posix(): (path.stat().st_mode, b"" if path.is_dir() else path.read_bytes())
        for path in sorted(root.rglob("*"))
    }
