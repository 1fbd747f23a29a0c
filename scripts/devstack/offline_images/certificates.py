"""The extra CA bundle (--extra-ca): checked up front, so a bad file fails before any build."""

from __future__ import annotations

import ssl
from pathlib import Path

from devstack.offline_images.errors import OfflineImagesError

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PEM_CERTIFICATE_MARKER = "-----BEGIN CERTIFICATE-----"


def validate_extra_ca(path: Path) -> bytes:
    """The PEM bytes of the --extra-ca file; OfflineImagesError naming the file when it is unusable."""
    if not path.exists():
        raise OfflineImagesError(f"--extra-ca {path}: no such file")
    if not path.is_file():
        raise OfflineImagesError(f"--extra-ca {path}: not a regular file (give a PEM file or bundle)")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OfflineImagesError(f"--extra-ca {path}: cannot be read ({error.strerror})") from error
    if PEM_CERTIFICATE_MARKER.encode() not in data:
        raise OfflineImagesError(
            f"--extra-ca {path}: no PEM certificate in it (no '{PEM_CERTIFICATE_MARKER}' line); "
            f"a DER file can be converted with: openssl x509 -inform der -in {path} -out ca.pem"
        )
    try:
        # Catches a truncated or garbled PEM now rather than as a TLS error deep in a later build.
        ssl.create_default_context().load_verify_locations(cadata=data.decode("ascii", errors="replace"))
    except ssl.SSLError as error:
        raise OfflineImagesError(f"--extra-ca {path}: not a valid PEM certificate bundle ({error})") from error
    return data
