"""`devstack offline-images`: the parts that need no Docker (sources, plan, .env, CA file, mirror, commands)."""

from __future__ import annotations

import argparse
import socket
import stat
import urllib.error
from pathlib import Path

import certifi
import pytest

from devstack import offline_images as oi
from devstack.offline_images import AptSource, Decision, OfflineImagesError

REPO_ROOT = Path(__file__).resolve().parents[2]

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


# --- APT sources ---------------------------------------------------------------------------------


def test_deb822_stanzas_comments_and_continuations() -> None:
    sources = oi.parse_deb822_sources(DEB822)
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
    assert oi.parse_deb822_sources(text) == [
        AptSource(types=("deb", "deb-src"), uris=("http://a/debian",), suites=("bookworm",), enabled=False)
    ]


def test_mirror_is_the_first_uri_of_the_first_usable_stanza_without_trailing_slash() -> None:
    assert oi.choose_mirror(oi.parse_deb822_sources(DEB822)) == "http://mirror.example.org/debian"


def test_mirror_skips_disabled_source_only_and_security_only_stanzas() -> None:
    sources = [
        AptSource(types=("deb",), uris=("http://disabled/debian",), suites=("bookworm",), enabled=False),
        AptSource(types=("deb-src",), uris=("http://src/debian",), suites=("bookworm",)),
        AptSource(types=("deb",), uris=("http://sec/debian-security",), suites=("bookworm-security",)),
        AptSource(types=("deb",), uris=("http://main/debian",), suites=("bookworm",)),
    ]
    assert oi.choose_mirror(sources) == "http://main/debian"
    assert oi.choose_mirror([]) is None


def test_one_line_sources_list_with_options() -> None:
    text = (
        "# comment\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one/debian bookworm main\n"
        "deb-src http://one/debian bookworm main\n"
        "deb http://one/debian-security bookworm-security main # trailing comment\n"
        "garbage line\n"
    )
    sources = oi.parse_one_line_sources(text)
    assert [(s.types, s.uris, s.suites) for s in sources] == [
        (("deb",), ("http://one/debian",), ("bookworm",)),
        (("deb-src",), ("http://one/debian",), ("bookworm",)),
        (("deb",), ("http://one/debian-security",), ("bookworm-security",)),
    ]
    assert oi.choose_mirror(sources) == "http://one/debian"


def test_host_sources_reads_the_first_existing_file_in_its_format(tmp_path: Path) -> None:
    deb822 = tmp_path / "debian.sources"
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb http://classic/debian bookworm main\n", encoding="utf-8")
    assert oi.choose_mirror(oi.host_sources([deb822, one_line])) == "http://classic/debian"
    deb822.write_text(DEB822, encoding="utf-8")
    assert oi.choose_mirror(oi.host_sources([deb822, one_line])) == "http://mirror.example.org/debian"
    assert oi.host_sources([tmp_path / "none"]) == []


def test_security_candidates_sibling_of_the_mirror_first_then_the_hosts() -> None:
    sources = oi.parse_deb822_sources(DEB822)
    assert oi.security_candidates("http://local/debian", sources) == [
        "http://local/debian-security",
        "http://security.example.org/debian-security",
    ]
    # No sibling guess for a mirror not laid out as .../debian; no duplicates.
    assert oi.security_candidates("http://security.example.org/mirror", sources + sources) == [
        "http://security.example.org/debian-security"
    ]


def test_sources_list_for_the_image() -> None:
    assert oi.render_sources_list("http://m/debian", ["bookworm-updates"], "http://m/debian-security") == (
        "deb http://m/debian bookworm main\n"
        "deb http://m/debian bookworm-updates main\n"
        "deb http://m/debian-security bookworm-security main\n"
    )
    assert oi.render_sources_list("http://m/debian") == "deb http://m/debian bookworm main\n"


@pytest.mark.parametrize("url", ["ftp://m/debian", "deb.debian.org/debian", "http://", ""])
def test_mirror_option_must_be_an_http_url(url: str) -> None:
    with pytest.raises(OfflineImagesError, match="--mirror"):
        oi.validate_mirror_url(url)


def test_mirror_option_loses_its_trailing_slash() -> None:
    assert oi.validate_mirror_url("https://m.example/debian/") == "https://m.example/debian"


# --- Mirror reachability ---------------------------------------------------------------------------


def test_unreachable_mirror_error_names_mirror_url_reason_and_the_way_out() -> None:
    def refuse(url: str, timeout: float) -> object:
        raise urllib.error.URLError("Name or service not known")

    with pytest.raises(OfflineImagesError) as caught:
        oi.check_mirror("http://mirror.invalid/debian", opener=refuse)
    message = str(caught.value)
    assert "http://mirror.invalid/debian cannot be used" in message
    assert "GET http://mirror.invalid/debian/dists/bookworm/Release" in message
    assert "Name or service not known" in message
    assert "--mirror URL" in message


def test_mirror_without_bookworm_reports_the_http_status() -> None:
    def not_found(url: str, timeout: float) -> object:
        raise urllib.error.HTTPError(url, 404, "Not Found", hdrs=None, fp=None)  # type: ignore[arg-type]

    with pytest.raises(OfflineImagesError, match="HTTP 404 Not Found"):
        oi.check_mirror("http://m/ubuntu", opener=not_found)


def test_reachable_mirror_passes_and_is_asked_for_the_bookworm_release_file() -> None:
    asked: list[str] = []
    oi.check_mirror("http://m/debian", opener=lambda url, timeout: asked.append(url))
    assert asked == ["http://m/debian/dists/bookworm/Release"]


def test_real_request_to_a_closed_port_is_reported_not_raised_raw() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed again now: the connection is refused.
    with pytest.raises(OfflineImagesError, match=f"http://127.0.0.1:{port}/debian cannot be used"):
        oi.check_mirror(f"http://127.0.0.1:{port}/debian")


# --- Extra CA --------------------------------------------------------------------------------------


def _one_real_certificate() -> str:
    bundle = Path(certifi.where()).read_text(encoding="ascii")
    start = bundle.index(oi.PEM_CERTIFICATE_MARKER)
    end = bundle.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    return bundle[start:end] + "\n"


def test_valid_ca_file_is_returned(tmp_path: Path) -> None:
    pem = tmp_path / "proxy-ca.pem"
    pem.write_text("# proxy CA\n" + _one_real_certificate(), encoding="ascii")
    assert oi.validate_extra_ca(pem) == pem.read_bytes()


def test_missing_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {missing}: no such file"):
        oi.validate_extra_ca(missing)


def test_ca_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {tmp_path}: not a regular file"):
        oi.validate_extra_ca(tmp_path)


def test_ca_file_without_certificate_is_named_with_the_marker(tmp_path: Path) -> None:
    der_like = tmp_path / "ca.der"
    der_like.write_bytes(b"\x30\x82\x01\x0a not pem")
    with pytest.raises(OfflineImagesError) as caught:
        oi.validate_extra_ca(der_like)
    assert str(der_like) in str(caught.value)
    assert "-----BEGIN CERTIFICATE-----" in str(caught.value)


def test_ca_file_with_a_garbled_certificate_is_refused(tmp_path: Path) -> None:
    garbled = tmp_path / "garbled.pem"
    garbled.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", encoding="ascii")
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {garbled}: not a valid PEM"):
        oi.validate_extra_ca(garbled)


def test_unreadable_ca_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text(_one_real_certificate(), encoding="ascii")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # Root reads any file, so the permission failure is simulated.
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(OfflineImagesError, match=f"--extra-ca {pem}: cannot be read \\(Permission denied\\)"):
        oi.validate_extra_ca(pem)


# --- What to build ---------------------------------------------------------------------------------


def test_selection_defaults_to_all_in_build_order_and_keeps_base_first() -> None:
    assert oi.selected_names(None) == ["debian", "postgres", "redis", "nginx", "python"]
    assert oi.selected_names(["python", "debian"]) == ["debian", "python"]


def test_selection_rejects_unknown_names() -> None:
    with pytest.raises(OfflineImagesError, match="--only mysql: unknown image"):
        oi.selected_names(["postgres", "mysql"])


@pytest.mark.parametrize(
    ("present", "rebuild", "build", "reason"),
    [
        (None, False, True, "not present"),
        ("same", False, False, "up to date"),
        ("same", True, True, "--rebuild"),
        ("old", False, True, "its inputs changed"),
        ("", False, True, "present but not built by this command"),
    ],
)
def test_decide(present: str | None, rebuild: bool, build: bool, reason: str) -> None:
    assert oi.decide("redis", present, "same", rebuild) == Decision("redis", build, reason)


def test_plan_skips_existing_up_to_date_images_and_builds_the_rest() -> None:
    plan = oi.plan_builds(
        ["debian", "postgres", "redis", "python"],
        present={"postgres": "p", "redis": None, "python": "old"},
        wanted={"postgres": "p", "redis": "r", "python": "new"},
        rebuild=False,
    )
    assert [(d.name, d.build) for d in plan] == [("postgres", False), ("redis", True), ("python", True)]


def test_plan_rebuild_builds_every_selected_image_and_nothing_else() -> None:
    plan = oi.plan_builds(["nginx"], present={"nginx": "n", "redis": "r"}, wanted={"nginx": "n"}, rebuild=True)
    assert plan == [Decision("nginx", True, "--rebuild")]


def test_missing_base_is_built_for_any_selected_image() -> None:
    decision = oi.base_decision(["postgres"], None, "b", rebuild=False)
    assert decision is not None and decision.build


def test_existing_base_is_left_alone_when_not_selected_even_with_rebuild() -> None:
    assert oi.base_decision(["postgres"], "old", "b", rebuild=True) is None


def test_base_selected_follows_the_usual_rules() -> None:
    assert oi.base_decision(["debian"], "b", "b", rebuild=False) == Decision("debian", False, "up to date")
    assert oi.base_decision(["debian"], "b", "b", rebuild=True) == Decision("debian", True, "--rebuild")
    assert oi.base_decision([], None, "b", rebuild=False) is None


def test_if_unpullable_replaces_only_what_is_neither_present_nor_pullable() -> None:
    asked: list[str] = []

    def available(reference: str) -> bool:
        asked.append(reference)
        return reference in {"redis:7-bookworm", "registry.local/nginx:1"}

    configured = {"REDIS_IMAGE": "redis:7-bookworm", "NGINX_IMAGE": "registry.local/nginx:1", "PYTHON_IMAGE": ""}
    needed = oi.unpullable_names(configured, available, ["postgres", "redis", "nginx", "python"])
    assert needed == ["postgres", "python"]
    # Unset or empty keys fall back to the compose.yaml defaults.
    assert asked == ["postgres:15-bookworm", "redis:7-bookworm", "registry.local/nginx:1", "python:3.11-slim-bookworm"]


def test_if_unpullable_keeps_our_own_images_in_the_plan_without_pulling() -> None:
    def available(reference: str) -> bool:
        raise AssertionError(f"no pull expected for {reference}")

    configured = {"POSTGRES_IMAGE": "opentera-devstack/postgres:15"}
    assert oi.unpullable_names(configured, available, ["postgres"]) == ["postgres"]


def test_env_overrides_name_our_images_and_skip_the_base() -> None:
    assert oi.env_overrides(["debian", "postgres", "redis", "nginx", "python"]) == {
        "POSTGRES_IMAGE": "opentera-devstack/postgres:15",
        "REDIS_IMAGE": "opentera-devstack/redis:7",
        "NGINX_IMAGE": "opentera-devstack/nginx:1.22",
        "PYTHON_IMAGE": "opentera-devstack/python:3.11",
    }
    assert oi.env_overrides(["debian"]) == {}
    assert oi.env_overrides(["redis"]) == {"REDIS_IMAGE": "opentera-devstack/redis:7"}


def test_upstream_defaults_match_the_settings_table() -> None:
    from devstack import settings

    for key, default in oi.UPSTREAM_DEFAULTS.items():
        assert settings.BY_NAME[key].default == default


# --- Fingerprints ----------------------------------------------------------------------------------


def test_directory_digest_follows_content_names_and_executable_bit(tmp_path: Path) -> None:
    script = tmp_path / "entrypoint.sh"
    script.write_text("echo hi\n", encoding="utf-8")
    first = oi.directory_digest(tmp_path)
    assert oi.directory_digest(tmp_path) == first
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    executable = oi.directory_digest(tmp_path)
    assert executable != first
    script.write_text("echo bye\n", encoding="utf-8")
    assert oi.directory_digest(tmp_path) not in (first, executable)


def test_extra_ca_changes_only_the_python_fingerprint() -> None:
    assert oi.image_fingerprint("python", "d", "base", b"ca") != oi.image_fingerprint("python", "d", "base", None)
    assert oi.image_fingerprint("redis", "d", "base", b"ca") == oi.image_fingerprint("redis", "d", "base", None)
    assert oi.image_fingerprint("redis", "d", "base2", None) != oi.image_fingerprint("redis", "d", "base", None)


def test_base_fingerprint_follows_the_mirror() -> None:
    assert oi.base_fingerprint("http://a/debian") != oi.base_fingerprint("http://b/debian")


def test_fingerprint_label_of_inspected_images() -> None:
    assert oi.image_fingerprint_label(None) is None
    assert oi.image_fingerprint_label({"Config": {"Labels": None}}) == ""
    assert oi.image_fingerprint_label({"Config": {"Labels": {oi.FINGERPRINT_LABEL: "abc"}}}) == "abc"


# --- Command lines ---------------------------------------------------------------------------------


def test_debootstrap_and_import_commands() -> None:
    assert oi.debootstrap_command(Path("/var/tmp/r"), "http://m/debian", "/usr/sbin/debootstrap") == [
        "/usr/sbin/debootstrap",
        "--variant=minbase",
        "bookworm",
        "/var/tmp/r",
        "http://m/debian",
    ]
    assert oi.tar_command(Path("/var/tmp/r")) == ["tar", "--numeric-owner", "-C", "/var/tmp/r", "-c", "."]
    command = oi.import_command("opentera-devstack/debian:bookworm", "f1")
    assert command[:2] == ["docker", "import"] and command[-2:] == ["-", "opentera-devstack/debian:bookworm"]
    assert f"LABEL {oi.FINGERPRINT_LABEL}=f1" in command


def test_build_command_without_extra_ca() -> None:
    command = oi.build_command(oi.BY_NAME["redis"], Path("/repo/images/offline/redis"), "f2")
    assert command[:2] == ["docker", "build"]
    assert command[-1] == "/repo/images/offline/redis"
    tag = command.index("--tag")
    assert command[tag : tag + 2] == ["--tag", "opentera-devstack/redis:7"]
    assert "BASE_IMAGE=opentera-devstack/debian:bookworm" in command
    assert f"{oi.FINGERPRINT_LABEL}=f2" in command
    assert "--target" not in command and "--build-context" not in command


def test_build_command_with_extra_ca_selects_the_trusting_target() -> None:
    command = oi.build_command(oi.BY_NAME["python"], Path("/ctx"), "f3", extra_ca_dir=Path("/tmp/w/extra-ca"))
    assert command[command.index("--target") + 1] == "python-extra-ca"
    assert command[command.index("--build-context") + 1] == "extra-ca=/tmp/w/extra-ca"
    assert command[-1] == "/ctx"


def test_dockerfiles_take_the_base_image_argument() -> None:
    for spec in oi.IMAGES[1:]:
        dockerfile = (REPO_ROOT / "images" / "offline" / spec.name / "Dockerfile").read_text(encoding="utf-8")
        assert "ARG BASE_IMAGE=opentera-devstack/debian:bookworm" in dockerfile
        assert "FROM ${BASE_IMAGE}" in dockerfile


def test_python_dockerfile_has_the_names_the_command_uses() -> None:
    dockerfile = (REPO_ROOT / "images/offline/python/Dockerfile").read_text(encoding="utf-8")
    assert f"AS {oi.PYTHON_EXTRA_CA_TARGET}" in dockerfile
    assert f"COPY --from={oi.EXTRA_CA_CONTEXT} {oi.EXTRA_CA_FILE_NAME} " in dockerfile
    for variable in ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"):
        assert f"ENV {variable}=" in dockerfile
    # The default target (the last stage) must not set them: the plain image trusts Debian's CAs only.
    last_stage = dockerfile[dockerfile.rindex("\nFROM ") :]
    assert "SSL_CERT_FILE" not in last_stage


# --- Rootfs preparation and cleanup ----------------------------------------------------------------


def test_prepare_rootfs_sets_sources_blocks_services_and_drops_caches_and_docs(tmp_path: Path) -> None:
    for directory in (
        "etc/apt/apt.conf.d",
        "etc/dpkg/dpkg.cfg.d",
        "usr/sbin",
        "var/cache/apt/archives/partial",
        "var/lib/apt/lists/partial",
        "usr/share/doc/bash",
        "usr/share/man/man1",
        "usr/share/locale/fr/LC_MESSAGES",
    ):
        (tmp_path / directory).mkdir(parents=True)
    files = {
        "etc/apt/sources.list": "deb http://old bookworm main\n",
        "var/cache/apt/archives/bash_5.2_amd64.deb": "",
        "var/cache/apt/pkgcache.bin": "",
        "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease": "",
        "usr/share/doc/bash/copyright": "GPL",
        "usr/share/doc/bash/README.gz": "",
        "usr/share/man/man1/bash.1.gz": "",
        "usr/share/locale/locale.alias": "",
        "usr/share/locale/fr/LC_MESSAGES/bash.mo": "",
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")

    oi.prepare_rootfs(tmp_path, "deb http://new/debian bookworm main\n")

    assert (tmp_path / "etc/apt/sources.list").read_text(encoding="utf-8") == "deb http://new/debian bookworm main\n"
    policy = tmp_path / "usr/sbin/policy-rc.d"
    assert policy.stat().st_mode & 0o111 and "exit 101" in policy.read_text(encoding="utf-8")
    assert "path-exclude /usr/share/doc/*" in (tmp_path / "etc/dpkg/dpkg.cfg.d/opentera-devstack-slim").read_text()
    assert (tmp_path / "etc/apt/apt.conf.d/docker-clean").is_file()
    remaining = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert "usr/share/doc/bash/copyright" in remaining
    assert "usr/share/locale/locale.alias" in remaining
    for gone in (
        "var/cache/apt/archives/bash_5.2_amd64.deb",
        "var/cache/apt/pkgcache.bin",
        "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease",
        "usr/share/doc/bash/README.gz",
        "usr/share/man/man1/bash.1.gz",
        "usr/share/locale/fr/LC_MESSAGES/bash.mo",
    ):
        assert gone not in remaining
    assert (tmp_path / "var/lib/apt/lists/partial").is_dir()


def test_mounts_below_the_rootfs_deepest_first_and_nothing_else() -> None:
    mounts = (
        "proc /proc proc rw 0 0\n"
        "proc /var/tmp/root/proc proc rw 0 0\n"
        "sysfs /var/tmp/root/sys sysfs rw 0 0\n"
        "none /var/tmp/root/sys/fs/cgroup tmpfs rw 0 0\n"
        "none /var/tmp/root2/proc proc rw 0 0\n"
        "none /var/tmp/root/my\\040dir tmpfs rw 0 0\n"
    )
    assert oi.mounts_below(Path("/var/tmp/root"), mounts) == [
        "/var/tmp/root/sys/fs/cgroup",
        "/var/tmp/root/my dir",
        "/var/tmp/root/proc",
        "/var/tmp/root/sys",
    ]


# --- Command-line contract -------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstack")
    oi.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_register_adds_the_subcommand_and_its_options() -> None:
    args = _parser().parse_args(
        ["offline-images", "--extra-ca", "/ca.pem", "--mirror", "http://m/debian", "--only", "redis"]
        + ["--only", "python", "--rebuild", "--no-record", "--if-unpullable"]
    )
    assert args.func is oi.run
    assert (args.extra_ca, args.mirror, args.only) == ("/ca.pem", "http://m/debian", ["redis", "python"])
    assert args.rebuild and args.no_record and args.if_unpullable


def test_register_defaults() -> None:
    args = _parser().parse_args(["offline-images"])
    assert (args.extra_ca, args.mirror, args.only, args.rebuild, args.no_record, args.if_unpullable) == (
        None,
        None,
        None,
        False,
        False,
        False,
    )


def test_run_with_a_bad_ca_file_fails_before_docker_and_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "not-a-cert.txt"
    bad.write_text("hello\n", encoding="utf-8")
    args = _parser().parse_args(["offline-images", "--extra-ca", str(bad)])
    assert oi.run(args) == 1
    assert f"devstack offline-images: error: --extra-ca {bad}: no PEM certificate" in capsys.readouterr().err


def test_missing_debootstrap_without_root_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oi, "find_debootstrap", lambda: None)
    monkeypatch.setattr(oi.os, "geteuid", lambda: 1000)
    with pytest.raises(OfflineImagesError, match="debootstrap is not installed.*apt-get install debootstrap"):
        oi.ensure_debootstrap(oi.Reporter(), tmp_path / "debian.log")
