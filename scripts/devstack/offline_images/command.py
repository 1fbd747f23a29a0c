"""The CLI entry: options, the steps in order (base, then images, then .env), `run` and `register`."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack import compose, errors, paths, progress
from devstack.offline_images.apt_sources import (
    DEFAULT_MIRROR,
    check_mirror,
    choose_mirror,
    host_sources,
    reachable_sources_list,
    validate_mirror_url,
)
from devstack.offline_images.build import build_base, build_image
from devstack.offline_images.certificates import validate_extra_ca
from devstack.offline_images.docker_images import (
    PULL_TIMEOUT_SECONDS,
    describe_image,
    image_fingerprint_label,
    inspect_image,
    pull_succeeds,
)
from devstack.offline_images.errors import OfflineImagesError
from devstack.offline_images.images import BASE, BY_NAME, EXTRA_CA_CONTEXT, NAMES
from devstack.offline_images.plan import (
    base_decision,
    base_fingerprint,
    directory_digest,
    env_overrides,
    image_fingerprint,
    plan_builds,
    selected_names,
    unpullable_names,
)
from devstack.offline_images.progress import Reporter


@dataclass
class Options:
    extra_ca: bytes | None
    mirror: str | None
    rebuild: bool
    only: list[str]
    record: bool
    if_unpullable: bool


def options_from_args(args: argparse.Namespace) -> Options:
    extra_ca = validate_extra_ca(Path(args.extra_ca)) if args.extra_ca else None
    mirror = validate_mirror_url(args.mirror) if args.mirror else None
    return Options(extra_ca, mirror, args.rebuild, selected_names(args.only), not args.no_record, args.if_unpullable)


def _configured_images(root: Path) -> dict[str, str]:
    # Imported here: envfile needs python-dotenv, and the pure parts of this package must not.
    from devstack import envfile

    return envfile.effective_values(paths.env_file(root))


def _record(root: Path, names: Sequence[str], reporter: Reporter) -> None:
    from devstack import envfile

    overrides = env_overrides(names)
    if not overrides:
        return
    env_path = paths.env_file(root)
    envfile.set_env_values(env_path, overrides)
    reporter.step(f"recorded in {env_path}: {_overrides_text(names)}")


def _overrides_text(names: Sequence[str]) -> str:
    return " ".join(f"{key}={value}" for key, value in env_overrides(names).items()) or "nothing"


def _available_reporting(reporter: Reporter) -> Callable[[str], bool]:
    def available(reference: str) -> bool:
        if inspect_image(reference) is not None:
            reporter.detail(f"{reference}: present")
            return True
        reporter.detail(f"{reference}: not present, trying docker pull (at most {PULL_TIMEOUT_SECONDS:.0f} s)")
        with progress.heartbeat(f"docker pull {reference}", reporter.detail):
            pulled = pull_succeeds(reference)
        reporter.detail(f"{reference}: {'pulled' if pulled else 'cannot be pulled'}")
        return pulled

    return available


class _Mirror:
    """The mirror, checked once, the first time a build needs it."""

    def __init__(self, url: str, reporter: Reporter) -> None:
        self.url = url
        self.reporter = reporter
        self.checked = False

    def check(self) -> None:
        if not self.checked:
            self.reporter.step(f"checking the Debian mirror {self.url}")
            with progress.heartbeat(f"waiting for {self.url}", self.reporter.detail):
                check_mirror(self.url)
            self.checked = True


def _base_step(options: Options, selected: Sequence[str], mirror: _Mirror, work_dir: Path, reporter: Reporter) -> None:
    present = image_fingerprint_label(inspect_image(BASE.reference))
    wanted = base_fingerprint(mirror.url)
    decision = base_decision(selected, present, wanted, options.rebuild)
    if decision is None:
        return
    if not decision.build:
        reporter.step(f"debian: {BASE.reference} is {decision.reason}, kept")
        return
    mirror.check()
    with progress.heartbeat("checking which updates and security archives answer", reporter.detail):
        sources_list = reachable_sources_list(mirror.url, host_sources(), reporter)
    started = time.monotonic()
    build_base(mirror.url, sources_list, wanted, work_dir, reporter)
    reporter.step(f"debian: built {describe_image(BASE.reference)} in {time.monotonic() - started:.0f} s")


def _image_steps(
    options: Options, selected: Sequence[str], root: Path, mirror: _Mirror, work_dir: Path, reporter: Reporter
) -> None:
    images_root = root / "images" / "offline"
    # The base image's id is part of every fingerprint: a rebuilt base means rebuilt images.
    base_id = str((inspect_image(BASE.reference) or {}).get("Id", ""))
    names = [name for name in selected if name != BASE.name]
    present = {name: image_fingerprint_label(inspect_image(BY_NAME[name].reference)) for name in names}
    wanted = {
        name: image_fingerprint(name, directory_digest(images_root / name), base_id, options.extra_ca) for name in names
    }
    for decision in plan_builds(names, present, wanted, options.rebuild):
        spec = BY_NAME[decision.name]
        if not decision.build:
            reporter.step(f"{spec.name}: {spec.reference} is {decision.reason}, kept")
            continue
        # Every Dockerfile runs apt-get against the mirror.
        mirror.check()
        reporter.step(f"{spec.name}: building {spec.reference} ({decision.reason})")
        started = time.monotonic()
        build_image(spec, images_root / spec.name, wanted[spec.name], options.extra_ca, work_dir, reporter)
        reporter.step(f"{spec.name}: built {describe_image(spec.reference)} in {time.monotonic() - started:.0f} s")


def _select(options: Options, root: Path, reporter: Reporter) -> list[str]:
    if not options.if_unpullable:
        return options.only
    reporter.step("--if-unpullable: checking which configured images are present or can be pulled")
    candidates = [name for name in options.only if name != BASE.name]
    return unpullable_names(_configured_images(root), _available_reporting(reporter), candidates)


def execute(options: Options, root: Path, reporter: Reporter) -> int:
    compose.ensure_docker()
    selected = _select(options, root, reporter)
    if not selected:
        reporter.step("every configured image is available: nothing to build, .env left as it is")
        return 0
    mirror = _Mirror(options.mirror or choose_mirror(host_sources()) or DEFAULT_MIRROR, reporter)
    work_dir = Path(tempfile.mkdtemp(prefix="devstack-offline-images-"))
    try:
        _base_step(options, selected, mirror, work_dir, reporter)
        _image_steps(options, selected, root, mirror, work_dir, reporter)
    except BaseException:
        # The build logs stay for the user (the error message names them); the CA copy does not.
        shutil.rmtree(work_dir / EXTRA_CA_CONTEXT, ignore_errors=True)
        if not any(work_dir.glob("*.log")):
            shutil.rmtree(work_dir, ignore_errors=True)
        raise
    shutil.rmtree(work_dir, ignore_errors=True)
    if options.record:
        _record(root, selected, reporter)
    elif env_overrides(selected):
        reporter.step(f"--no-record: .env not changed; to use these images set {_overrides_text(selected)}")
    return 0


def run(args: argparse.Namespace) -> int:
    reporter = Reporter()
    try:
        options = options_from_args(args)
        root = paths.repo_root()
        return execute(options, root, reporter)
    except (OfflineImagesError, paths.RepoNotFoundError, compose.DockerUnavailableError) as error:
        errors.report("offline-images", error)
        return 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "offline-images",
        help="build the PostgreSQL, Redis, NGINX and Python images from Debian packages (no registry needed)",
        description="Build drop-in replacements for the official postgres, redis, nginx and python images from "
        "Debian bookworm packages (debootstrap + docker build), then point .env at them. Images already built "
        "from the same inputs are skipped.",
    )
    parser.add_argument(
        "--extra-ca",
        metavar="PATH",
        help="PEM file or bundle the Python image trusts besides Debian's CAs (e.g. a TLS-inspecting proxy's CA)",
    )
    parser.add_argument(
        "--mirror",
        metavar="URL",
        help="Debian mirror for debootstrap and APT (default: the first URIs: of the host's debian.sources, "
        f"else {DEFAULT_MIRROR})",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the selected images even if up to date")
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        metavar="NAME",
        help=f"build only this image (repeatable): {', '.join(NAMES)}",
    )
    parser.add_argument("--no-record", action="store_true", help="do not write the image names into .env")
    parser.add_argument(
        "--if-unpullable",
        action="store_true",
        help="only replace the configured images that are neither present nor pullable (for CI)",
    )
    parser.set_defaults(func=run)
