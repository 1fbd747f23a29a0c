"""`devstack offline-images`: build stand-ins for the official images from Debian bookworm packages.

Air-gapped networks (and some CI machines) cannot pull `postgres`, `redis`, `nginx` or `python`. This
command bootstraps a Debian base image with debootstrap, builds the four replacements from the
Dockerfiles in images/offline/, and records them in `.env` so that a plain `docker compose up` uses them.

Each built image carries a fingerprint label of its inputs (Dockerfile directory, base image, mirror,
extra CA). An image whose label matches is skipped, so running the command again does nothing, while
a changed Dockerfile or CA file leads to a rebuild. The pure parts (sources parsing, planning, command
lines, .env overrides, CA validation) are plain functions, unit tested without Docker.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from devstack import compose, paths

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_SOURCES_FILES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PEM_CERTIFICATE_MARKER = "-----BEGIN CERTIFICATE-----"
FINGERPRINT_LABEL = "opentera-devstack.fingerprint"
# Bump when the rootfs preparation below changes, so existing base images are rebuilt.
ROOTFS_RECIPE_VERSION = "1"
PYTHON_EXTRA_CA_TARGET = "python-extra-ca"
EXTRA_CA_CONTEXT = "extra-ca"
EXTRA_CA_FILE_NAME = "extra-ca.pem"
MIRROR_TIMEOUT_SECONDS = 10.0
PULL_TIMEOUT_SECONDS = 60.0
LOG_TAIL_LINES = 30
# Without a terminal, a progress line at most this often (and at least this often while busy).
PROGRESS_INTERVAL_SECONDS = 3.0


class OfflineImagesError(RuntimeError):
    """A failure the user can act on; the message says what failed and what to do."""


@dataclass(frozen=True)
class ImageSpec:
    name: str  # what --only takes, and the directory under images/offline/
    reference: str  # the tag we build
    env_var: str | None  # the .env key that selects the image in compose.yaml (None: not used directly)


BASE = ImageSpec("debian", "opentera-devstack/debian:bookworm", None)
IMAGES: tuple[ImageSpec, ...] = (
    BASE,
    ImageSpec("postgres", "opentera-devstack/postgres:15", "POSTGRES_IMAGE"),
    ImageSpec("redis", "opentera-devstack/redis:7", "REDIS_IMAGE"),
    ImageSpec("nginx", "opentera-devstack/nginx:1.22", "NGINX_IMAGE"),
    ImageSpec("python", "opentera-devstack/python:3.11", "PYTHON_IMAGE"),
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


# --------------------------------------------------------------------------------------------------
# APT sources: which mirror the host uses
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AptSource:
    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    enabled: bool = True


def _deb822_paragraphs(text: str) -> list[dict[str, str]]:
    """Split deb822 text into paragraphs of {lower-case field: value}; comments dropped, continuations joined."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    field: str | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, field = {}, None
            continue
        if line[0] in " \t":
            # Continuation (for example an inline Signed-By key block).
            if field is not None:
                current[field] += "\n" + line.strip()
            continue
        key, separator, value = line.partition(":")
        if not separator:
            continue
        field = key.strip().lower()
        current[field] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def parse_deb822_sources(text: str) -> list[AptSource]:
    """The stanzas of a deb822 `.sources` file (the format of /etc/apt/sources.list.d/debian.sources)."""
    sources = []
    for paragraph in _deb822_paragraphs(text):
        sources.append(
            AptSource(
                types=tuple(paragraph.get("types", "").split()),
                uris=tuple(paragraph.get("uris", "").split()),
                suites=tuple(paragraph.get("suites", "").split()),
                enabled=paragraph.get("enabled", "yes").lower() != "no",
            )
        )
    return sources


def parse_one_line_sources(text: str) -> list[AptSource]:
    """The entries of a classic one-line `sources.list` (`deb [options] URI suite component...`)."""
    sources = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) < 3 or words[0] not in ("deb", "deb-src"):
            continue
        rest = words[1:]
        if rest[0].startswith("["):
            # Options such as [signed-by=...] may span several words up to the closing bracket.
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
            rest = rest[1:]
        if len(rest) >= 2:
            sources.append(AptSource(types=(words[0],), uris=(rest[0],), suites=(rest[1],)))
    return sources


def _is_security_suite(suite: str) -> bool:
    return suite.endswith("-security") or suite.endswith("/updates")


def choose_mirror(sources: Sequence[AptSource]) -> str | None:
    """The first binary-package URI of an enabled source for the main archive (not a security one)."""
    for source in sources:
        if not source.enabled or "deb" not in source.types or not source.uris:
            continue
        if source.suites and all(_is_security_suite(suite) for suite in source.suites):
            continue
        return normalize_mirror(source.uris[0])
    return None


def security_candidates(mirror: str, sources: Sequence[AptSource]) -> list[str]:
    """Where bookworm-security may live, most likely first: beside the mirror, then the host's own."""
    candidates: list[str] = []
    if mirror.endswith("/debian"):
        # The usual layout of deb.debian.org and of most local mirrors: .../debian and .../debian-security.
        candidates.append(mirror + "-security")
    for source in sources:
        if source.enabled and "deb" in source.types and any(_is_security_suite(s) for s in source.suites):
            candidates.extend(normalize_mirror(uri) for uri in source.uris)
    return list(dict.fromkeys(candidates))


def normalize_mirror(url: str) -> str:
    return url.strip().rstrip("/")


def validate_mirror_url(url: str) -> str:
    """The mirror URL without trailing slash; OfflineImagesError when it is not an http(s) URL."""
    mirror = normalize_mirror(url)
    if not mirror.startswith(("http://", "https://")) or len(mirror.split("/", 3)) < 3 or mirror.endswith("//"):
        raise OfflineImagesError(f"--mirror {url!r} is not an http:// or https:// URL of a Debian mirror")
    return mirror


def host_sources(files: Iterable[Path] = HOST_SOURCES_FILES) -> list[AptSource]:
    """The host's APT sources from the first of `files` that exists (deb822 or one-line format)."""
    for path in files:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            return parse_deb822_sources(text) if path.suffix == ".sources" else parse_one_line_sources(text)
    return []


def release_url(mirror: str, suite: str) -> str:
    return f"{mirror}/dists/{suite}/Release"


def render_sources_list(mirror: str, extra_suites: Sequence[str] = (), security: str | None = None) -> str:
    """The image's /etc/apt/sources.list: the mirror's bookworm (+ updates), and security when reachable."""
    lines = [f"deb {mirror} {SUITE} main"]
    lines += [f"deb {mirror} {suite} main" for suite in extra_suites]
    if security:
        lines.append(f"deb {security} {SUITE}-security main")
    return "\n".join(lines) + "\n"


def mirror_unreachable_message(mirror: str, url: str, reason: str) -> str:
    return (
        f"the Debian mirror {mirror} cannot be used: GET {url} failed ({reason}). "
        "Check the network or proxy, or pass --mirror URL with a reachable Debian mirror "
        f"that has {SUITE} (for example {DEFAULT_MIRROR})."
    )


Opener = Callable[[str, float], object]


def _default_opener(url: str, timeout: float) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read(1)


def url_answers(url: str, opener: Opener = _default_opener, timeout: float = MIRROR_TIMEOUT_SECONDS) -> str | None:
    """None when `url` can be fetched, else the reason it cannot."""
    try:
        opener(url, timeout)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} {error.reason}"
    except urllib.error.URLError as error:
        return str(error.reason)
    except (OSError, ValueError) as error:
        return str(error) or type(error).__name__
    return None


def check_mirror(mirror: str, opener: Opener = _default_opener) -> None:
    """Raise OfflineImagesError naming the mirror when its bookworm Release file cannot be fetched."""
    url = release_url(mirror, SUITE)
    reason = url_answers(url, opener)
    if reason is not None:
        raise OfflineImagesError(mirror_unreachable_message(mirror, url, reason))


# --------------------------------------------------------------------------------------------------
# Extra CA bundle
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# What to build
# --------------------------------------------------------------------------------------------------


def selected_names(only: Sequence[str] | None) -> list[str]:
    """The images asked for, in build order (base first); all of them when --only is not given."""
    if not only:
        return list(NAMES)
    unknown = sorted(set(only) - set(NAMES))
    if unknown:
        raise OfflineImagesError(f"--only {', '.join(unknown)}: unknown image (choose from {', '.join(NAMES)})")
    return [name for name in NAMES if name in only]


@dataclass(frozen=True)
class Decision:
    name: str
    build: bool
    reason: str


def decide(name: str, present_fingerprint: str | None, wanted_fingerprint: str, rebuild: bool) -> Decision:
    """Build or skip one image. `present_fingerprint` is None when the image does not exist."""
    if present_fingerprint is None:
        return Decision(name, True, "not present")
    if rebuild:
        return Decision(name, True, "--rebuild")
    if present_fingerprint == "":
        return Decision(name, True, "present but not built by this command")
    if present_fingerprint != wanted_fingerprint:
        return Decision(name, True, "its inputs changed")
    return Decision(name, False, "up to date")


def base_decision(
    selected: Sequence[str], base_fingerprint: str | None, wanted_base_fingerprint: str, rebuild: bool
) -> Decision | None:
    """The base image's decision, or None when it is neither asked for nor needed.

    A missing base is built whenever another image is selected, since they are built FROM it; an
    existing one is only rebuilt when asked for (--only debian, or no --only).
    """
    if BASE.name in selected:
        return decide(BASE.name, base_fingerprint, wanted_base_fingerprint, rebuild)
    if base_fingerprint is None and selected:
        return Decision(BASE.name, True, "not present, and the other images are built from it")
    return None


def plan_builds(
    selected: Sequence[str], present: Mapping[str, str | None], wanted: Mapping[str, str], rebuild: bool
) -> list[Decision]:
    """The decisions for the non-base images in `selected`, given their present and wanted fingerprints."""
    return [decide(name, present.get(name), wanted[name], rebuild) for name in selected if name != BASE.name]


def unpullable_names(
    configured: Mapping[str, str], available: Callable[[str], bool], candidates: Sequence[str] = NAMES
) -> list[str]:
    """For --if-unpullable: the images among `candidates` whose configured reference cannot be used.

    `configured` maps .env keys (POSTGRES_IMAGE...) to references. A reference to one of our own images
    always counts as needing us (we then build it if it is missing or stale); any other reference is
    left alone when `available` says it is present or can be pulled.
    """
    needed = []
    for name in candidates:
        spec = BY_NAME[name]
        if spec.env_var is None:
            continue
        reference = configured.get(spec.env_var) or UPSTREAM_DEFAULTS[spec.env_var]
        if reference == spec.reference or not available(reference):
            needed.append(name)
    return needed


def env_overrides(names: Iterable[str]) -> dict[str, str]:
    """The .env assignments that make compose.yaml use our images for `names` (the base has none)."""
    return {BY_NAME[name].env_var: BY_NAME[name].reference for name in names if BY_NAME[name].env_var}


# --------------------------------------------------------------------------------------------------
# Fingerprints: what an image was built from
# --------------------------------------------------------------------------------------------------


def directory_digest(directory: Path) -> str:
    """sha256 over the relative paths, modes and contents of every file below `directory`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        # The executable bit matters: entrypoint scripts are copied with their mode.
        digest.update(b"x" if path.stat().st_mode & 0o111 else b"-")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def base_fingerprint(mirror: str) -> str:
    return fingerprint("debian", ROOTFS_RECIPE_VERSION, SUITE, mirror)


def image_fingerprint(name: str, context_digest: str, base_image_id: str, extra_ca: bytes | None) -> str:
    ca_part = hashlib.sha256(extra_ca).hexdigest() if extra_ca is not None and name == "python" else "no-ca"
    return fingerprint(name, context_digest, base_image_id, ca_part)


# --------------------------------------------------------------------------------------------------
# Command lines
# --------------------------------------------------------------------------------------------------


def debootstrap_command(rootfs: Path, mirror: str, debootstrap: str = "debootstrap") -> list[str]:
    return [debootstrap, "--variant=minbase", SUITE, str(rootfs), mirror]


def tar_command(rootfs: Path) -> list[str]:
    # Numeric owners: the host's user names must not remap the image's files.
    return ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."]


def import_command(reference: str, fingerprint_value: str) -> list[str]:
    changes = ['CMD ["bash"]', "ENV LANG=C.UTF-8", f"LABEL {FINGERPRINT_LABEL}={fingerprint_value}"]
    command = ["docker", "import"]
    for change in changes:
        command += ["--change", change]
    return [*command, "-", reference]


def build_command(
    spec: ImageSpec, context: Path, fingerprint_value: str, extra_ca_dir: Path | None = None
) -> list[str]:
    """`docker build` of one replacement; with `extra_ca_dir` (python only), the target that trusts it."""
    command = [
        "docker",
        "build",
        "--progress=plain",
        "--tag",
        spec.reference,
        "--build-arg",
        f"BASE_IMAGE={BASE.reference}",
        "--label",
        f"{FINGERPRINT_LABEL}={fingerprint_value}",
    ]
    if extra_ca_dir is not None:
        command += ["--target", PYTHON_EXTRA_CA_TARGET, "--build-context", f"{EXTRA_CA_CONTEXT}={extra_ca_dir}"]
    return [*command, str(context)]


def apt_install_debootstrap_commands() -> list[list[str]]:
    # The keyring verifies bookworm's Release file; hosts other than Debian lack it by default.
    install = ["apt-get", "install", "-y", "--no-install-recommends", "debootstrap", "debian-archive-keyring"]
    return [install, ["apt-get", "update"], install]


# --------------------------------------------------------------------------------------------------
# Rootfs preparation
# --------------------------------------------------------------------------------------------------

# Services must not start while packages are installed during `docker build` (there is no init).
POLICY_RC_D = "#!/bin/sh\n# Installed by devstack offline-images: no service starts in an image build.\nexit 101\n"
# Keep images small: no documentation, manual pages or translations from later installs.
DPKG_EXCLUDES = """# devstack offline-images: small images, as Debian's own container images do.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
# Downloaded .deb files and package caches have no use in an image layer.
APT_CLEAN = """// devstack offline-images: do not keep downloaded packages or caches in image layers.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
Binary::apt::APT::Keep-Downloaded-Packages "false";
"""


def _empty_directory(directory: Path, keep: Callable[[Path], bool] = lambda _: False) -> None:
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if keep(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def prepare_rootfs(rootfs: Path, sources_list: str) -> None:
    """Turn a fresh debootstrap tree into a container base: APT sources, no services, no caches or docs."""
    (rootfs / "etc/apt/sources.list").write_text(sources_list, encoding="utf-8")
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY_RC_D, encoding="utf-8")
    policy.chmod(0o755)
    (rootfs / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/dpkg/dpkg.cfg.d/opentera-devstack-slim").write_text(DPKG_EXCLUDES, encoding="utf-8")
    (rootfs / "etc/apt/apt.conf.d").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/apt/apt.conf.d/docker-clean").write_text(APT_CLEAN, encoding="utf-8")
    for cache in ("var/cache/apt/archives",):
        for deb in (rootfs / cache).glob("*.deb"):
            deb.unlink()
    for binary_cache in (rootfs / "var/cache/apt").glob("*.bin"):
        binary_cache.unlink()
    # Package lists are refreshed by `apt-get update` in every Dockerfile anyway.
    _empty_directory(rootfs / "var/lib/apt/lists", keep=lambda p: p.name in ("partial", "lock"))
    _empty_directory(rootfs / "usr/share/man")
    _empty_directory(rootfs / "usr/share/info")
    _empty_directory(rootfs / "usr/share/locale", keep=lambda p: p.name == "locale.alias")
    doc = rootfs / "usr/share/doc"
    if doc.is_dir():
        for package in doc.iterdir():
            if package.is_dir() and not package.is_symlink():
                _empty_directory(package, keep=lambda p: p.name == "copyright")


def mounts_below(root: Path, mounts_text: str) -> list[str]:
    """Mount points inside `root` listed in /proc/mounts text, deepest first (the order to unmount)."""
    prefix = str(root).rstrip("/") + "/"
    points = []
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            # /proc/mounts escapes spaces and tabs in paths as octal.
            point = fields[1].replace("\\040", " ").replace("\\011", "\t")
            if point.startswith(prefix):
                points.append(point)
    return sorted(points, key=len, reverse=True)


# --------------------------------------------------------------------------------------------------
# Running things, with progress
# --------------------------------------------------------------------------------------------------


class Reporter:
    """Prints one line per step with the seconds since the command started."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.started = time.monotonic()
        self.stream = stream or sys.stdout

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def step(self, message: str) -> None:
        print(f"[{self.elapsed():6.1f}s] {message}", file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        print(f"          {message}", file=self.stream, flush=True)


def compact(line: str, width: int = 110) -> str:
    line = " ".join(line.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _pump(source: IO[bytes], log: IO[bytes], lines: queue.Queue[str | None]) -> None:
    for raw in iter(source.readline, b""):
        log.write(raw)
        log.flush()
        lines.put(raw.decode("utf-8", errors="replace").rstrip())
    lines.put(None)


def _show_progress(lines: queue.Queue[str | None], label: str, reporter: Reporter) -> None:
    """Show the latest output line every few seconds (in place on a terminal) until the output ends."""
    tty = reporter.stream.isatty()
    interval = 0.25 if tty else PROGRESS_INTERVAL_SECONDS
    started = time.monotonic()
    last_shown = started
    latest = ""
    while True:
        try:
            line = lines.get(timeout=0.25)
        except queue.Empty:
            line = ""
        if line is None:
            break
        latest = line or latest
        now = time.monotonic()
        if now - last_shown >= interval:
            last_shown = now
            text = f"{label} {now - started:4.0f}s | {compact(latest or 'working…')}"
            if tty:
                reporter.stream.write("\r\033[K          " + text)
                reporter.stream.flush()
            else:
                reporter.detail(text)
    if tty:
        reporter.stream.write("\r\033[K")
        reporter.stream.flush()


def run_logged(
    command: Sequence[str],
    label: str,
    log_path: Path,
    reporter: Reporter,
    stdin: IO[bytes] | int | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run `command`, saving all its output to `log_path` and showing it compactly; the exit status."""
    with log_path.open("ab") as log:
        log.write(("$ " + " ".join(command) + "\n").encode())
        process = subprocess.Popen(
            list(command),
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
        )
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        pump = threading.Thread(target=_pump, args=(process.stdout, log, lines), daemon=True)
        pump.start()
        try:
            _show_progress(lines, label, reporter)
        except BaseException:
            process.kill()
            raise
        finally:
            pump.join(timeout=5)
        return process.wait()


def log_tail(log_path: Path, count: int = LOG_TAIL_LINES) -> str:
    if not log_path.is_file():
        return ""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-count:])


def build_failure(what: str, log_path: Path) -> OfflineImagesError:
    tail = log_tail(log_path)
    indented = "\n".join("    " + line for line in tail.splitlines())
    return OfflineImagesError(
        f"building {what} failed. Last lines of the log ({log_path}, kept):\n{indented}"
        if tail
        else f"building {what} failed; see {log_path}"
    )


# --------------------------------------------------------------------------------------------------
# Docker and host queries
# --------------------------------------------------------------------------------------------------


def inspect_image(reference: str) -> dict[str, object] | None:
    """`docker image inspect` of one image, or None when it is not present."""
    result = subprocess.run(["docker", "image", "inspect", reference], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    found = json.loads(result.stdout)
    return found[0] if found else None


def image_fingerprint_label(details: Mapping[str, object] | None) -> str | None:
    """The fingerprint label of an inspected image: None when absent, '' when built without our label."""
    if details is None:
        return None
    config = details.get("Config") or {}
    labels = (config.get("Labels") if isinstance(config, dict) else None) or {}
    return str(labels.get(FINGERPRINT_LABEL, ""))


def pull_succeeds(reference: str, timeout: float = PULL_TIMEOUT_SECONDS) -> bool:
    """True when `docker pull` gets `reference` within `timeout` seconds."""
    try:
        result = subprocess.run(["docker", "pull", "--quiet", reference], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def human_size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.1f} GB"


def describe_image(reference: str) -> str:
    details = inspect_image(reference)
    if details is None:
        return reference
    return f"{reference} ({human_size(float(details.get('Size', 0) or 0))}, {str(details.get('Id', ''))[7:19]})"


def find_debootstrap() -> str | None:
    # Not on a non-root user's PATH on Debian: it lives in /usr/sbin.
    return shutil.which("debootstrap") or next(
        (str(p) for p in (Path("/usr/sbin/debootstrap"), Path("/sbin/debootstrap")) if p.is_file()), None
    )


def ensure_debootstrap(reporter: Reporter, log_path: Path) -> str:
    """The debootstrap program, installed with apt-get when missing and allowed; else a clear error."""
    found = find_debootstrap()
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise OfflineImagesError(
            "debootstrap is not installed. Install it (Debian/Ubuntu: `sudo apt-get install debootstrap "
            "debian-archive-keyring`) and run this command again as root."
        )
    reporter.step("debootstrap is missing: installing it with apt-get")
    install, update, install_again = apt_install_debootstrap_commands()
    if run_logged(install, "apt-get", log_path, reporter) != 0:
        # A machine that never ran `apt-get update` has no package lists yet.
        run_logged(update, "apt-get update", log_path, reporter)
        if run_logged(install_again, "apt-get", log_path, reporter) != 0:
            raise OfflineImagesError(
                "debootstrap is not installed and `apt-get install debootstrap` failed:\n" + log_tail(log_path, 10)
            )
    found = find_debootstrap()
    if not found:
        raise OfflineImagesError("debootstrap was installed but cannot be found on PATH or in /usr/sbin")
    return found


def reachable_sources_list(mirror: str, sources: Sequence[AptSource], reporter: Reporter) -> str:
    """The image's sources.list: bookworm, plus bookworm-updates and security where they answer."""
    updates = [] if url_answers(release_url(mirror, f"{SUITE}-updates")) else [f"{SUITE}-updates"]
    security = next(
        (c for c in security_candidates(mirror, sources) if url_answers(release_url(c, f"{SUITE}-security")) is None),
        None,
    )
    if security is None:
        reporter.detail(f"no reachable {SUITE}-security archive: the image's APT will not get security updates")
    return render_sources_list(mirror, updates, security)


# --------------------------------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------------------------------


def _unmount_below(rootfs: Path) -> list[str]:
    """Unmount what a failed debootstrap may have left mounted in the tree; the mounts that remain."""
    mounts = Path("/proc/mounts")
    if not mounts.is_file():
        return []
    for point in mounts_below(rootfs, mounts.read_text()):
        subprocess.run(["umount", "--lazy", point], capture_output=True)
    return mounts_below(rootfs, mounts.read_text())


def remove_rootfs(rootfs: Path, reporter: Reporter) -> None:
    remaining = _unmount_below(rootfs)
    if remaining:
        # Deleting through a mounted /proc or /sys would be harmful: leave it for a human.
        reporter.detail(f"not removing {rootfs}: still mounted there: {', '.join(remaining)}")
        return
    shutil.rmtree(rootfs, ignore_errors=True)


def build_base(mirror: str, sources_list: str, wanted: str, work_dir: Path, reporter: Reporter) -> None:
    """debootstrap bookworm into a temporary tree, prepare it, and import it as the base image."""
    log_path = work_dir / "debian.log"
    debootstrap = ensure_debootstrap(reporter, log_path)
    if os.geteuid() != 0:
        raise OfflineImagesError(
            "debootstrap must run as root to build the Debian base image: run this command with sudo"
        )
    # Under /var/tmp rather than /tmp, which is often a small tmpfs; the tree is about 200 MB.
    rootfs = Path(tempfile.mkdtemp(prefix="devstack-rootfs-", dir=os.environ.get("TMPDIR", "/var/tmp")))
    try:
        reporter.step(f"debian: debootstrap {SUITE} from {mirror} into {rootfs} (about 30 s)")
        if run_logged(debootstrap_command(rootfs, mirror, debootstrap), "debootstrap", log_path, reporter) != 0:
            raise build_failure(f"{BASE.reference} (debootstrap)", log_path)
        prepare_rootfs(rootfs, sources_list)
        reporter.step(f"debian: importing the tree as {BASE.reference}")
        tar = subprocess.Popen(tar_command(rootfs), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert tar.stdout is not None
        status = run_logged(import_command(BASE.reference, wanted), "docker import", log_path, reporter, tar.stdout)
        tar.stdout.close()
        if tar.wait() != 0 or status != 0:
            raise build_failure(f"{BASE.reference} (tar | docker import)", log_path)
    finally:
        remove_rootfs(rootfs, reporter)


def build_image(
    spec: ImageSpec, context: Path, wanted: str, extra_ca: bytes | None, work_dir: Path, reporter: Reporter
) -> None:
    log_path = work_dir / f"{spec.name}.log"
    extra_ca_dir: Path | None = None
    if extra_ca is not None and spec.name == "python":
        # A build context holding only the CA file: nothing else of the host is sent to the builder.
        extra_ca_dir = work_dir / EXTRA_CA_CONTEXT
        extra_ca_dir.mkdir(exist_ok=True)
        (extra_ca_dir / EXTRA_CA_FILE_NAME).write_bytes(extra_ca)
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    command = build_command(spec, context, wanted, extra_ca_dir)
    if run_logged(command, f"build {spec.name}", log_path, reporter, env=env) != 0:
        raise build_failure(spec.reference, log_path)


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
    # Imported here: envfile needs python-dotenv, and the pure parts of this module must not.
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
    else:
        reporter.step(f"--no-record: .env not changed; to use these images set {_overrides_text(selected)}")
    return 0


def run(args: argparse.Namespace) -> int:
    reporter = Reporter()
    try:
        options = options_from_args(args)
        root = paths.repo_root()
        return execute(options, root, reporter)
    except (OfflineImagesError, paths.RepoNotFoundError, compose.DockerUnavailableError) as error:
        print(f"devstack offline-images: error: {error}", file=sys.stderr)
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


if __name__ == "__main__":
    # Standalone use (PYTHONPATH=scripts python3 -m devstack.offline_images ...), without the devstack CLI.
    _parser = argparse.ArgumentParser(prog="devstack")
    register(_parser.add_subparsers(dest="command", required=True))
    _args = _parser.parse_args(["offline-images", *sys.argv[1:]])
    sys.exit(_args.func(_args))
