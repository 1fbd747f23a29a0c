"""Keep passwords out of the logs: the opentera package prints its Redis configuration, password included."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

MASK = "***"


class RedactingStream:
    """A text stream that replaces each secret by *** before writing to the wrapped stream."""

    def __init__(self, stream: TextIO, secrets: Iterable[str]) -> None:
        self._stream = stream
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def write(self, text: str) -> int:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def redact_standard_streams(secrets: Iterable[str]) -> None:
    secrets = list(secrets)
    sys.stdout = RedactingStream(sys.stdout, secrets)  # type: ignore[assignment]
    sys.stderr = RedactingStream(sys.stderr, secrets)  # type: ignore[assignment]
