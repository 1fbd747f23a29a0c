"""Public URLs of the stack's services, from their manifests (`services/<folder>/service.yaml`)."""

from __future__ import annotations

from pathlib import Path

from devstack import manifest


class UnknownServiceError(LookupError):
    """No manifest has the asked service key; the message lists the keys there are."""


def service_prefix(root: Path, service_key: str) -> str:
    """The public URL prefix (e.g. "/sample") of the service whose manifest has key `service_key`."""
    manifests = manifest.load_all(root)
    for candidate in manifests:
        if candidate.key == service_key:
            return candidate.prefix
    known = ", ".join(sorted(candidate.key for candidate in manifests)) or "none"
    raise UnknownServiceError(f"no manifest in {root / 'services'} has key {service_key!r} (keys: {known})")


def service_url(base_url: str, root: Path, service_key: str) -> str:
    """`<front door><prefix>/`, the service's root as a browser reaches it."""
    return f"{base_url}{service_prefix(root, service_key).rstrip('/')}/"
