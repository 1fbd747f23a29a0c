"""`devstack offline-images`, build.py: the builds' checks that need no Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.offline_images import build
from devstack.offline_images.errors import OfflineImagesError
from devstack.offline_images.progress import Reporter


def test_missing_debootstrap_without_root_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "find_debootstrap", lambda: None)
    monkeypatch.setattr(build.os, "geteuid", lambda: 1000)
    with pytest.raises(OfflineImagesError, match="debootstrap is not installed.*apt-get install debootstrap"):
        build.ensure_debootstrap(Reporter(), tmp_path / "debian.log")
