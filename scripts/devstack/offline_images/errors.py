"""The error type of `devstack offline-images`: what the CLI prints instead of a traceback."""

from __future__ import annotations


class OfflineImagesError(RuntimeError):
    """A failure the user can act on; the message says what failed and what to do."""
