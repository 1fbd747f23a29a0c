"""The debootstrap tree: turned into a container base, then unmounted and removed."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from devstack.offline_images.progress import Reporter

# Bump when the rootfs preparation below changes, so existing base images are rebuilt.
ROOTFS_RECIPE_VERSION = "1"

# Services must not start while packages are installed during `docker build` (there is no init).
POLICY_RC_D = "#!/bin/sh\n# Installed by devstack offline-images: no service starts in an image build.\nexit 101\n"
# Keep images small: no documentation, manual pages or translations from later installs.
DPKG_EXCLUDES = """# devstack offline-images: small images, as Debian's own container images do.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
# Downloaded .deb files and package caches have no use in an image layer.
APT_CLEAN = """// devstack offline-images: do not keep downloaded packages or caches in image layers.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
Binary::apt::APT::Keep-Downloaded-Packages "false";
"""


def _empty_directory(directory: Path, keep: Callable[[Path], bool] = lambda _: False) -> None:
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if keep(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def prepare_rootfs(rootfs: Path, sources_list: str) -> None:
    """Turn a fresh debootstrap tree into a container base: APT sources, no services, no caches or docs."""
    (rootfs / "etc/apt/sources.list").write_text(sources_list, encoding="utf-8")
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY_RC_D, encoding="utf-8")
    policy.chmod(0o755)
    (rootfs / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/dpkg/dpkg.cfg.d/opentera-devstack-slim").write_text(DPKG_EXCLUDES, encoding="utf-8")
    (rootfs / "etc/apt/apt.conf.d").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/apt/apt.conf.d/docker-clean").write_text(APT_CLEAN, encoding="utf-8")
    for cache in ("var/cache/apt/archives",):
        for deb in (rootfs / cache).glob("*.deb"):
            deb.unlink()
    for binary_cache in (rootfs / "var/cache/apt").glob("*.bin"):
        binary_cache.unlink()
    # Package lists are refreshed by `apt-get update` in every Dockerfile anyway.
    _empty_directory(rootfs / "var/lib/apt/lists", keep=lambda p: p.name in ("partial", "lock"))
    _empty_directory(rootfs / "usr/share/man")
    _empty_directory(rootfs / "usr/share/info")
    _empty_directory(rootfs / "usr/share/locale", keep=lambda p: p.name == "locale.alias")
    doc = rootfs / "usr/share/doc"
    if doc.is_dir():
        for package in doc.iterdir():
            if package.is_dir() and not package.is_symlink():
                _empty_directory(package, keep=lambda p: p.name == "copyright")


def mounts_below(root: Path, mounts_text: str) -> list[str]:
    """Mount points inside `root` listed in /proc/mounts text, deepest first (the order to unmount)."""
    prefix = str(root).rstrip("/") + "/"
    points = []
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            # /proc/mounts escapes spaces and tabs in paths as octal.
            point = fields[1].replace("\\040", " ").replace("\\011", "\t")
            if point.startswith(prefix):
                points.append(point)
    return sorted(points, key=len, reverse=True)


def _unmount_below(rootfs: Path) -> list[str]:
    """Unmount what a failed debootstrap may have left mounted in the tree; the mounts that remain."""
    mounts = Path("/proc/mounts")
    if not mounts.is_file():
        return []
    for point in mounts_below(rootfs, mounts.read_text()):
        subprocess.run(["umount", "--lazy", point], capture_output=True)
    return mounts_below(rootfs, mounts.read_text())


def remove_rootfs(rootfs: Path, reporter: Reporter) -> None:
    remaining = _unmount_below(rootfs)
    if remaining:
        # Deleting through a mounted /proc or /sys would be harmful: leave it for a human.
        reporter.detail(f"not removing {rootfs}: still mounted there: {', '.join(remaining)}")
        return
    shutil.rmtree(rootfs, ignore_errors=True)
