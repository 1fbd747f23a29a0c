"""`devstack offline-images`, certificates.py: the --extra-ca file."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest

from devstack.offline_images.certificates import PEM_CERTIFICATE_MARKER, validate_extra_ca
from devstack.offline_images.errors import OfflineImagesError


def _one_real_certificate() -> str:
    bundle = Path(certifi.where()).read_text(encoding="ascii")
    start = bundle.index(PEM_CERTIFICATE_MARKER)
    end = bundle.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    return bundle[start:end] + "\n"


def test_valid_ca_file_is_returned(tmp_path: Path) -> None:
    pem = tmp_path / "proxy-ca.pem"
    pem.write_text("# proxy CA\n" + _one_real_certificate(), encoding="ascii")
    assert validate_extra_ca(pem) == pem.read_bytes()


def test_missing_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {missing}: no such file"):
        validate_extra_ca(missing)


def test_ca_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {tmp_path}: not a regular file"):
        validate_extra_ca(tmp_path)


def test_ca_file_without_certificate_is_named_with_the_marker(tmp_path: Path) -> None:
    der_like = tmp_path / "ca.der"
    der_like.write_bytes(b"\x30\x82\x01\x0a not pem")
    with pytest.raises(OfflineImagesError) as caught:
        validate_extra_ca(der_like)
    assert str(der_like) in str(caught.value)
    assert "-----BEGIN CERTIFICATE-----" in str(caught.value)


def test_ca_file_with_a_garbled_certificate_is_refused(tmp_path: Path) -> None:
    garbled = tmp_path / "garbled.pem"
    garbled.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", encoding="ascii")
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {garbled}: not a valid PEM"):
        validate_extra_ca(garbled)


def test_unreadable_ca_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text(_one_real_certificate(), encoding="ascii")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # Root reads any file, so the permission failure is simulated.
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {pem}: cannot be read \\(Permission denied\\)"):
        validate_extra_ca(pem)
