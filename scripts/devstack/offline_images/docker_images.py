"""Docker queries: inspect an image, read its fingerprint label, try a pull, describe its size."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping

from devstack.offline_images.images import FINGERPRINT_LABEL

PULL_TIMEOUT_SECONDS = 60.0


def inspect_image(reference: str) -> dict[str, object] | None:
    """`docker image inspect` of one image, or None when it is not present."""
    result = subprocess.run(["docker", "image", "inspect", reference], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    found = json.loads(result.stdout)
    return found[0] if found else None


def image_fingerprint_label(details: Mapping[str, object] | None) -> str | None:
    """The fingerprint label of an inspected image: None when absent, '' when built without our label."""
    if details is None:
        return None
    config = details.get("Config") or {}
    labels = (config.get("Labels") if isinstance(config, dict) else None) or {}
    return str(labels.get(FINGERPRINT_LABEL, ""))


def pull_succeeds(reference: str, timeout: float = PULL_TIMEOUT_SECONDS) -> bool:
    """True when `docker pull` gets `reference` within `timeout` seconds."""
    try:
        result = subprocess.run(["docker", "pull", "--quiet", reference], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def human_size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.1f} GB"


def describe_image(reference: str) -> str:
    details = inspect_image(reference)
    if details is None:
        return reference
    return f"{reference} ({human_size(float(details.get('Size', 0) or 0))}, {str(details.get('Id', ''))[7:19]})"
