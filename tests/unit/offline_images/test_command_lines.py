"""`devstack offline-images`, command_lines.py: the debootstrap, tar, docker import and docker build command lines."""

from __future__ import annotations

from pathlib import Path

from devstack.offline_images.command_lines import build_command, debootstrap_command, import_command, tar_command
from devstack.offline_images.images import BY_NAME, FINGERPRINT_LABEL


def test_debootstrap_and_import_commands() -> None:
    assert debootstrap_command(Path("/var/tmp/r"), "http://m/debian", "/usr/sbin/debootstrap") == [
        "/usr/sbin/debootstrap",
        "--variant=minbase",
        "bookworm",
        "/var/tmp/r",
        "http://m/debian",
    ]
    assert tar_command(Path("/var/tmp/r")) == ["tar", "--numeric-owner", "-C", "/var/tmp/r", "-c", "."]
    command = import_command("opentera-devstack/debian:bookworm", "f1")
    assert command[:2] == ["docker", "import"] and command[-2:] == ["-", "opentera-devstack/debian:bookworm"]
    assert f"LABEL {FINGERPRINT_LABEL}=f1" in command


def test_build_command_without_extra_ca() -> None:
    command = build_command(BY_NAME["redis"], Path("/repo/images/offline/redis"), "f2")
    assert command[:2] == ["docker", "build"]
    assert command[-1] == "/repo/images/offline/redis"
    tag = command.index("--tag")
    assert command[tag : tag + 2] == ["--tag", "opentera-devstack/redis:7"]
    assert "BASE_IMAGE=opentera-devstack/debian:bookworm" in command
    assert f"{FINGERPRINT_LABEL}=f2" in command
    assert "--target" not in command and "--build-context" not in command


def test_build_command_with_extra_ca_selects_the_trusting_target() -> None:
    command = build_command(BY_NAME["python"], Path("/ctx"), "f3", extra_ca_dir=Path("/tmp/w/extra-ca"))
    assert command[command.index("--target") + 1] == "python-extra-ca"
    assert command[command.index("--build-context") + 1] == "extra-ca=/tmp/w/extra-ca"
    assert command[-1] == "/ctx"
