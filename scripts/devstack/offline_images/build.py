"""The builds: debootstrap the Debian base and import it, then `docker build` each replacement image."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from devstack.offline_images.command_lines import (
    apt_install_debootstrap_commands,
    build_command,
    debootstrap_command,
    import_command,
    tar_command,
)
from devstack.offline_images.errors import OfflineImagesError
from devstack.offline_images.images import BASE, EXTRA_CA_CONTEXT, EXTRA_CA_FILE_NAME, SUITE, ImageSpec
from devstack.offline_images.progress import Reporter, build_failure, log_tail, run_logged
from devstack.offline_images.rootfs import prepare_rootfs, remove_rootfs


def find_debootstrap() -> str | None:
    # Not on a non-root user's PATH on Debian: it lives in /usr/sbin.
    return shutil.which("debootstrap") or next(
        (str(p) for p in (Path("/usr/sbin/debootstrap"), Path("/sbin/debootstrap")) if p.is_file()), None
    )


def ensure_debootstrap(reporter: Reporter, log_path: Path) -> str:
    """The debootstrap program, installed with apt-get when missing and allowed; else a clear error."""
    found = find_debootstrap()
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise OfflineImagesError(
            "debootstrap is not installed. Install it (Debian/Ubuntu: `sudo apt-get install debootstrap "
            "debian-archive-keyring`) and run this command again as root."
        )
    reporter.step("debootstrap is missing: installing it with apt-get")
    install, update, install_again = apt_install_debootstrap_commands()
    if run_logged(install, "apt-get", log_path, reporter) != 0:
        # A machine that never ran `apt-get update` has no package lists yet.
        run_logged(update, "apt-get update", log_path, reporter)
        if run_logged(install_again, "apt-get", log_path, reporter) != 0:
            raise OfflineImagesError(
                "debootstrap is not installed and `apt-get install debootstrap` failed:\n" + log_tail(log_path, 10)
            )
    found = find_debootstrap()
    if not found:
        raise OfflineImagesError("debootstrap was installed but cannot be found on PATH or in /usr/sbin")
    return found


def build_base(mirror: str, sources_list: str, wanted: str, work_dir: Path, reporter: Reporter) -> None:
    """debootstrap bookworm into a temporary tree, prepare it, and import it as the base image."""
    log_path = work_dir / "debian.log"
    debootstrap = ensure_debootstrap(reporter, log_path)
    if os.geteuid() != 0:
        raise OfflineImagesError(
            "debootstrap must run as root to build the Debian base image: run this command with sudo"
        )
    # Under /var/tmp rather than /tmp, which is often a small tmpfs; the tree is about 200 MB.
    rootfs = Path(tempfile.mkdtemp(prefix="devstack-rootfs-", dir=os.environ.get("TMPDIR", "/var/tmp")))
    try:
        reporter.step(f"debian: debootstrap {SUITE} from {mirror} into {rootfs} (about 30 s)")
        if run_logged(debootstrap_command(rootfs, mirror, debootstrap), "debootstrap", log_path, reporter) != 0:
            raise build_failure(f"{BASE.reference} (debootstrap)", log_path)
        prepare_rootfs(rootfs, sources_list)
        reporter.step(f"debian: importing the tree as {BASE.reference}")
        tar = subprocess.Popen(tar_command(rootfs), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert tar.stdout is not None
        status = run_logged(import_command(BASE.reference, wanted), "docker import", log_path, reporter, tar.stdout)
        tar.stdout.close()
        if tar.wait() != 0 or status != 0:
            raise build_failure(f"{BASE.reference} (tar | docker import)", log_path)
    finally:
        remove_rootfs(rootfs, reporter)


def build_image(
    spec: ImageSpec, context: Path, wanted: str, extra_ca: bytes | None, work_dir: Path, reporter: Reporter
) -> None:
    log_path = work_dir / f"{spec.name}.log"
    extra_ca_dir: Path | None = None
    if extra_ca is not None and spec.name == "python":
        # A build context holding only the CA file: nothing else of the host is sent to the builder.
        extra_ca_dir = work_dir / EXTRA_CA_CONTEXT
        extra_ca_dir.mkdir(exist_ok=True)
        (extra_ca_dir / EXTRA_CA_FILE_NAME).write_bytes(extra_ca)
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    command = build_command(spec, context, wanted, extra_ca_dir)
    if run_logged(command, f"build {spec.name}", log_path, reporter, env=env) != 0:
        raise build_failure(spec.reference, log_path)
