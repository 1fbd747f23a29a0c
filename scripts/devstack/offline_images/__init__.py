"""`devstack offline-images`: build stand-ins for the official images from Debian bookworm packages.

Air-gapped networks (and some CI machines) cannot pull `postgres`, `redis`, `nginx` or `python`. This
command bootstraps a Debian base image with debootstrap, builds the four replacements from the
Dockerfiles in images/offline/, and records them in `.env` so that a plain `docker compose up` uses them.

Each built image carries a fingerprint label of its inputs (Dockerfile directory, base image, mirror,
extra CA). An image whose label matches is skipped, so running the command again does nothing, while
a changed Dockerfile or CA file leads to a rebuild. The pure parts (sources parsing, planning, command
lines, .env overrides, CA validation) are plain functions, unit tested without Docker.

Where things live:

- command.py: the CLI entry (`register`, `run`, `execute`): options, the steps in order, .env recording.
- images.py: the images built (names, tags, .env keys) and the names shared with the Dockerfiles.
- plan.py: what to build: selection, build-or-keep decisions, fingerprints, .env overrides, --if-unpullable.
- apt_sources.py: the host's APT sources, the mirror, the image's sources.list, mirror checks.
- certificates.py: the --extra-ca file's validation.
- command_lines.py: the debootstrap, tar, docker import and docker build command lines.
- build.py: the base image (debootstrap + import) and the other images (docker build).
- rootfs.py: preparing, unmounting and removing the debootstrap tree.
- docker_images.py: docker image inspect / pull, fingerprint labels, sizes.
- progress.py: step lines, commands run with their output logged, build failure messages.
- errors.py: OfflineImagesError.
"""

from __future__ import annotations

from devstack.offline_images.command import register, run

__all__ = ["register", "run"]
