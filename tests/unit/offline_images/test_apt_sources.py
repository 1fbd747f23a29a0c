"""`devstack offline-images`, apt_sources.py: APT sources and mirror checks."""

from __future__ import annotations

import socket
import urllib.error
from pathlib import Path

import pytest

from devstack.offline_images.apt_sources import (
    AptSource,
    check_mirror,
    choose_mirror,
    host_sources,
    parse_deb822_sources,
    parse_one_line_sources,
    render_sources_list,
    security_candidates,
    validate_mirror_url,
)
from devstack.offline_images.errors import OfflineImagesError

# --- APT sources ---------------------------------------------------------------------------------


DEB822 = """# Managed by the image builder
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian/ http://second.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main
signed-by:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NlOCV1
 -----END PGP PUBLIC KEY BLOCK-----
"""


def test_deb822_stanzas_comments_and_continuations() -> None:
    sources = parse_deb822_sources(DEB822)
    assert sources == [
        AptSource(
            types=("deb",),
            uris=("http://mirror.example.org/debian/", "http://second.example.org/debian"),
            suites=("bookworm", "bookworm-updates"),
        ),
        AptSource(
            types=("deb",),
            uris=("http://security.example.org/debian-security",),
            suites=("bookworm-security",),
        ),
    ]


def test_deb822_field_names_are_case_insensitive_and_enabled_no_is_kept_as_disabled() -> None:
    text = "types: deb deb-src\nURIS: http://a/debian\nSUITES: bookworm\nEnabled: no\n"
    assert parse_deb822_sources(text) == [
        AptSource(types=("deb", "deb-src"), uris=("http://a/debian",), suites=("bookworm",), enabled=False)
    ]


def test_mirror_is_the_first_uri_of_the_first_usable_stanza_without_trailing_slash() -> None:
    assert choose_mirror(parse_deb822_sources(DEB822)) == "http://mirror.example.org/debian"


def test_mirror_skips_disabled_source_only_and_security_only_stanzas() -> None:
    sources = [
        AptSource(types=("deb",), uris=("http://disabled/debian",), suites=("bookworm",), enabled=False),
        AptSource(types=("deb-src",), uris=("http://src/debian",), suites=("bookworm",)),
        AptSource(types=("deb",), uris=("http://sec/debian-security",), suites=("bookworm-security",)),
        AptSource(types=("deb",), uris=("http://main/debian",), suites=("bookworm",)),
    ]
    assert choose_mirror(sources) == "http://main/debian"
    assert choose_mirror([]) is None


def test_one_line_sources_list_with_options() -> None:
    text = (
        "# comment\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one/debian bookworm main\n"
        "deb-src http://one/debian bookworm main\n"
        "deb http://one/debian-security bookworm-security main # trailing comment\n"
        "garbage line\n"
    )
    sources = parse_one_line_sources(text)
    assert [(s.types, s.uris, s.suites) for s in sources] == [
        (("deb",), ("http://one/debian",), ("bookworm",)),
        (("deb-src",), ("http://one/debian",), ("bookworm",)),
        (("deb",), ("http://one/debian-security",), ("bookworm-security",)),
    ]
    assert choose_mirror(sources) == "http://one/debian"


def test_host_sources_reads_the_first_existing_file_in_its_format(tmp_path: Path) -> None:
    deb822 = tmp_path / "debian.sources"
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb http://classic/debian bookworm main\n", encoding="utf-8")
    assert choose_mirror(host_sources([deb822, one_line])) == "http://classic/debian"
    deb822.write_text(DEB822, encoding="utf-8")
    assert choose_mirror(host_sources([deb822, one_line])) == "http://mirror.example.org/debian"
    assert host_sources([tmp_path / "none"]) == []


def test_security_candidates_sibling_of_the_mirror_first_then_the_hosts() -> None:
    sources = parse_deb822_sources(DEB822)
    assert security_candidates("http://local/debian", sources) == [
        "http://local/debian-security",
        "http://security.example.org/debian-security",
    ]
    # No sibling guess for a mirror not laid out as .../debian; no duplicates.
    assert security_candidates("http://security.example.org/mirror", sources + sources) == [
        "http://security.example.org/debian-security"
    ]


def test_sources_list_for_the_image() -> None:
    assert render_sources_list("http://m/debian", ["bookworm-updates"], "http://m/debian-security") == (
        "deb http://m/debian bookworm main\n"
        "deb http://m/debian bookworm-updates main\n"
        "deb http://m/debian-security bookworm-security main\n"
    )
    assert render_sources_list("http://m/debian") == "deb http://m/debian bookworm main\n"


@pytest.mark.parametrize("url", ["ftp://m/debian", "deb.debian.org/debian", "http://", ""])
def test_mirror_option_must_be_an_http_url(url: str) -> None:
    with pytest.raises(OfflineImagesError, match="--mirror"):
        validate_mirror_url(url)


def test_mirror_option_loses_its_trailing_slash() -> None:
    assert validate_mirror_url("https://m.example/debian/") == "https://m.example/debian"


# --- Mirror reachability ---------------------------------------------------------------------------


def test_unreachable_mirror_error_names_mirror_url_reason_and_the_way_out() -> None:
    def refuse(url: str, timeout: float) -> object:
        raise urllib.error.URLError("Name or service not known")

    with pytest.raises(OfflineImagesError) as caught:
        check_mirror("http://mirror.invalid/debian", opener=refuse)
    message = str(caught.value)
    assert "http://mirror.invalid/debian cannot be used" in message
    assert "GET http://mirror.invalid/debian/dists/bookworm/Release" in message
    assert "Name or service not known" in message
    assert "--mirror URL" in message


def test_mirror_without_bookworm_reports_the_http_status() -> None:
    def not_found(url: str, timeout: float) -> object:
        raise urllib.error.HTTPError(url, 404, "Not Found", hdrs=None, fp=None)  # type: ignore[arg-type]

    with pytest.raises(OfflineImagesError, match="HTTP 404 Not Found"):
        check_mirror("http://m/ubuntu", opener=not_found)


def test_reachable_mirror_passes_and_is_asked_for_the_bookworm_release_file() -> None:
    asked: list[str] = []
    check_mirror("http://m/debian", opener=lambda url, timeout: asked.append(url))
    assert asked == ["http://m/debian/dists/bookworm/Release"]


def test_real_request_to_a_closed_port_is_reported_not_raised_raw() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed again now: the connection is refused.
    with pytest.raises(OfflineImagesError, match=f"http://127.0.0.1:{port}/debian cannot be used"):
        check_mirror(f"http://127.0.0.1:{port}/debian")
