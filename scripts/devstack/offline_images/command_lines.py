"""Command lines: debootstrap, tar, docker import, docker build and the apt-get install of debootstrap."""

from __future__ import annotations

from pathlib import Path

from devstack.offline_images.images import (
    BASE,
    EXTRA_CA_CONTEXT,
    FINGERPRINT_LABEL,
    PYTHON_EXTRA_CA_TARGET,
    SUITE,
    ImageSpec,
)


def debootstrap_command(rootfs: Path, mirror: str, debootstrap: str = "debootstrap") -> list[str]:
    return [debootstrap, "--variant=minbase", SUITE, str(rootfs), mirror]


def tar_command(rootfs: Path) -> list[str]:
    # Numeric owners: the host's user names must not remap the image's files.
    return ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."]


def import_command(reference: str, fingerprint_value: str) -> list[str]:
    changes = ['CMD ["bash"]', "ENV LANG=C.UTF-8", f"LABEL {FINGERPRINT_LABEL}={fingerprint_value}"]
    command = ["docker", "import"]
    for change in changes:
        command += ["--change", change]
    return [*command, "-", reference]


def build_command(
    spec: ImageSpec, context: Path, fingerprint_value: str, extra_ca_dir: Path | None = None
) -> list[str]:
    """`docker build` of one replacement; with `extra_ca_dir` (python only), the target that trusts it."""
    command = [
        "docker",
        "build",
        "--progress=plain",
        "--tag",
        spec.reference,
        "--build-arg",
        f"BASE_IMAGE={BASE.reference}",
        "--label",
        f"{FINGERPRINT_LABEL}={fingerprint_value}",
    ]
    if extra_ca_dir is not None:
        command += ["--target", PYTHON_EXTRA_CA_TARGET, "--build-context", f"{EXTRA_CA_CONTEXT}={extra_ca_dir}"]
    return [*command, str(context)]


def apt_install_debootstrap_commands() -> list[list[str]]:
    # The keyring verifies bookworm's Release file; hosts other than Debian lack it by default.
    install = ["apt-get", "install", "-y", "--no-install-recommends", "debootstrap", "debian-archive-keyring"]
    return [install, ["apt-get", "update"], install]
