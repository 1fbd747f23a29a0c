"""`devstack offline-images`, docker_images.py: reading what docker image inspect says."""

from __future__ import annotations

from devstack.offline_images.docker_images import image_fingerprint_label
from devstack.offline_images.images import FINGERPRINT_LABEL


def test_fingerprint_label_of_inspected_images() -> None:
    assert image_fingerprint_label(None) is None
    assert image_fingerprint_label({"Config": {"Labels": None}}) == ""
    assert image_fingerprint_label({"Config": {"Labels": {FINGERPRINT_LABEL: "abc"}}}) == "abc"
