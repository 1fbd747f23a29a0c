"""`devstack offline-images`, images.py: the image table and the names the Dockerfiles share."""

from __future__ import annotations

from pathlib import Path

from devstack.offline_images.images import (
    EXTRA_CA_CONTEXT,
    EXTRA_CA_FILE_NAME,
    IMAGES,
    PYTHON_EXTRA_CA_TARGET,
    UPSTREAM_DEFAULTS,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_upstream_defaults_match_the_settings_table() -> None:
    from devstack import settings

    for key, default in UPSTREAM_DEFAULTS.items():
        assert settings.BY_NAME[key].default == default


def test_dockerfiles_take_the_base_image_argument() -> None:
    for spec in IMAGES[1:]:
        dockerfile = (REPO_ROOT / "images" / "offline" / spec.name / "Dockerfile").read_text(encoding="utf-8")
        assert "ARG BASE_IMAGE=opentera-devstack/debian:bookworm" in dockerfile
        assert "FROM ${BASE_IMAGE}" in dockerfile


def test_python_dockerfile_has_the_names_the_command_uses() -> None:
    dockerfile = (REPO_ROOT / "images/offline/python/Dockerfile").read_text(encoding="utf-8")
    assert f"AS {PYTHON_EXTRA_CA_TARGET}" in dockerfile
    assert f"COPY --from={EXTRA_CA_CONTEXT} {EXTRA_CA_FILE_NAME} " in dockerfile
    for variable in ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"):
        assert f"ENV {variable}=" in dockerfile
    # The default target (the last stage) must not set them: the plain image trusts Debian's CAs only.
    last_stage = dockerfile[dockerfile.rindex("\nFROM ") :]
    assert "SSL_CERT_FILE" not in last_stage
