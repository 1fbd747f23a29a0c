"""What to build: the selection, a build-or-keep decision per image, fingerprints and .env overrides."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.offline_images.errors import OfflineImagesError
from devstack.offline_images.images import BASE, BY_NAME, NAMES, SUITE, UPSTREAM_DEFAULTS
from devstack.offline_images.rootfs import ROOTFS_RECIPE_VERSION


def selected_names(only: Sequence[str] | None) -> list[str]:
    """The images asked for, in build order (base first); the default ones when --only is not given."""
    if not only:
        return [name for name in NAMES if BY_NAME[name].default]
    unknown = sorted(set(only) - set(NAMES))
    if unknown:
        raise OfflineImagesError(f"--only {', '.join(unknown)}: unknown image (choose from {', '.join(NAMES)})")
    return [name for name in NAMES if name in only]


@dataclass(frozen=True)
class Decision:
    name: str
    build: bool
    reason: str


def decide(name: str, present_fingerprint: str | None, wanted_fingerprint: str, rebuild: bool) -> Decision:
    """Build or skip one image. `present_fingerprint` is None when the image does not exist."""
    if present_fingerprint is None:
        return Decision(name, True, "not present")
    if rebuild:
        return Decision(name, True, "--rebuild")
    if present_fingerprint == "":
        return Decision(name, True, "present but not built by this command")
    if present_fingerprint != wanted_fingerprint:
        return Decision(name, True, "its inputs changed")
    return Decision(name, False, "up to date")


def base_decision(
    selected: Sequence[str], base_fingerprint: str | None, wanted_base_fingerprint: str, rebuild: bool
) -> Decision | None:
    """The base image's decision, or None when it is neither asked for nor needed.

    A missing base is built whenever another image is selected, since they are built FROM it; an
    existing one is only rebuilt when asked for (--only debian, or no --only).
    """
    if BASE.name in selected:
        return decide(BASE.name, base_fingerprint, wanted_base_fingerprint, rebuild)
    if base_fingerprint is None and selected:
        return Decision(BASE.name, True, "not present, and the other images are built from it")
    return None


def plan_builds(
    selected: Sequence[str], present: Mapping[str, str | None], wanted: Mapping[str, str], rebuild: bool
) -> list[Decision]:
    """The decisions for the non-base images in `selected`, given their present and wanted fingerprints."""
    return [decide(name, present.get(name), wanted[name], rebuild) for name in selected if name != BASE.name]


def unpullable_names(
    configured: Mapping[str, str], available: Callable[[str], bool], candidates: Sequence[str] = NAMES
) -> list[str]:
    """For --if-unpullable: the images among `candidates` whose configured reference cannot be used.

    `configured` maps .env keys (POSTGRES_IMAGE...) to references. A reference to one of our own images
    always counts as needing us (we then build it if it is missing or stale); any other reference is
    left alone when `available` says it is present or can be pulled.
    """
    needed = []
    for name in candidates:
        spec = BY_NAME[name]
        if spec.env_var is None:
            continue
        reference = configured.get(spec.env_var) or UPSTREAM_DEFAULTS[spec.env_var]
        if reference == spec.reference or not available(reference):
            needed.append(name)
    return needed


def env_overrides(names: Iterable[str]) -> dict[str, str]:
    """The .env assignments that make compose.yaml use our images for `names` (the base has none)."""
    return {BY_NAME[name].env_var: BY_NAME[name].reference for name in names if BY_NAME[name].env_var}


# --------------------------------------------------------------------------------------------------
# Fingerprints: what an image was built from
# --------------------------------------------------------------------------------------------------


def directory_digest(directory: Path) -> str:
    """sha256 over the relative paths, modes and contents of every file below `directory`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        # The executable bit matters: entrypoint scripts are copied with their mode.
        digest.update(b"x" if path.stat().st_mode & 0o111 else b"-")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def base_fingerprint(mirror: str) -> str:
    return fingerprint("debian", ROOTFS_RECIPE_VERSION, SUITE, mirror)


def image_fingerprint(name: str, context_digest: str, base_image_id: str, extra_ca: bytes | None) -> str:
    ca_part = hashlib.sha256(extra_ca).hexdigest() if extra_ca is not None and name == "python" else "no-ca"
    return fingerprint(name, context_digest, base_image_id, ca_part)
