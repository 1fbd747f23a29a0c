"""A throwaway copy of the checkout's files a command reads and writes (DEVSTACK_ROOT points at it), and a
snapshot to prove a command changed nothing in it. Shared by the unit tests of `new` and `upgrade`."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("compose.yaml", ".env", ".env.example", "nginx", "services", "scripts/devstack/templates")
IGNORED = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".pytest_cache", "*.pyc")


def copy_repository(destination: Path) -> Path:
    for relative in COPIED:
        source = ROOT / relative
        if source.is_dir():
            shutil.copytree(source, destination / relative, ignore=IGNORED)
        elif source.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    return destination


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and folder with its mode and content: "byte-identical" includes nothing added or removed."""
    return {
        path.relative_to(root).as_posix(): (path.stat().st_mode, b"" if path.is_dir() else path.read_bytes())
        for path in sorted(root.rglob("*"))
    }
