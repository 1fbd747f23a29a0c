"""The images the command builds, and the names shared with their Dockerfiles in images/offline/."""

from __future__ import annotations

from dataclasses import dataclass

SUITE = "bookworm"
FINGERPRINT_LABEL = "opentera-devstack.fingerprint"
PYTHON_EXTRA_CA_TARGET = "python-extra-ca"
EXTRA_CA_CONTEXT = "extra-ca"
EXTRA_CA_FILE_NAME = "extra-ca.pem"


@dataclass(frozen=True)
class ImageSpec:
    name: str  # what --only takes, and the directory under images/offline/
    reference: str  # the tag we build
    env_var: str | None  # the .env key that selects the image in compose.yaml (None: not used directly)
    # built when no --only is given; False: only on request (--only), e.g. the multi-node test's images
    default: bool = True


BASE = ImageSpec("debian", "opentera-devstack/debian:bookworm", None)
IMAGES: tuple[ImageSpec, ...] = (
    BASE,
    ImageSpec("postgres", "opentera-devstack/postgres:15", "POSTGRES_IMAGE"),
    ImageSpec("redis", "opentera-devstack/redis:7", "REDIS_IMAGE"),
    ImageSpec("nginx", "opentera-devstack/nginx:1.22", "NGINX_IMAGE"),
    ImageSpec("python", "opentera-devstack/python:3.11", "PYTHON_IMAGE"),
    # The multi-node Swarm test's engines and registry (tests/integration/test_swarm_multinode.py, issue 19).
    ImageSpec("dind", "opentera-devstack/dind:20.10", None, default=False),
    ImageSpec("registry", "opentera-devstack/registry:2.8", None, default=False),
)
BY_NAME: dict[str, ImageSpec] = {spec.name: spec for spec in IMAGES}
NAMES: tuple[str, ...] = tuple(spec.name for spec in IMAGES)
# What compose.yaml falls back to when .env does not say (mirrors settings.VARIABLES).
UPSTREAM_DEFAULTS: dict[str, str] = {
    "POSTGRES_IMAGE": "postgres:15-bookworm",
    "REDIS_IMAGE": "redis:7-bookworm",
    "NGINX_IMAGE": "nginx:1.27-bookworm",
    "PYTHON_IMAGE": "python:3.11-slim-bookworm",
}
