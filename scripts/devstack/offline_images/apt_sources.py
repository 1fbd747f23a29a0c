"""APT sources: which mirror the host uses, the image's sources.list, and whether a mirror answers."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.offline_images.errors import OfflineImagesError
from devstack.offline_images.images import SUITE
from devstack.offline_images.progress import Reporter

DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_SOURCES_FILES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
MIRROR_TIMEOUT_SECONDS = 10.0


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
