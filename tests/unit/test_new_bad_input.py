"""`devstack new` with bad input: a non-zero exit, a message naming the problem, and not one byte changed.

Each case runs against its own copy of the repository (DEVSTACK_ROOT), snapshotted before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from checkout_copy import copy_repository, snapshot

from devstack import cli, compose, live, locking, new


def break_sample_manifest(text: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / "services/sample/service.yaml").write_text(text, encoding="utf-8")

    return setup


def replace_in(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{relative} no longer contains {old!r}: update this test"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return setup


def existing_folder(root: Path) -> None:
    (root / "services/weather").mkdir()
    (root / "services/weather/notes.txt").write_text("my work\n", encoding="utf-8")


def duplicate_port_manifest(root: Path) -> None:
    (root / "services/other").mkdir()
    sample = (root / "services/sample/service.yaml").read_text(encoding="utf-8")
    (root / "services/other/service.yaml").write_text(
        sample.replace("SampleService", "OtherService").replace("/sample", "/other").replace("openterasample", "o2"),
        encoding="utf-8",
    )


def services_d_is_a_file(root: Path) -> None:
    folder = root / "nginx/services.d"
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("not a folder\n", encoding="utf-8")


def service_folder_links_outside(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (root / "services/weather").symlink_to(outside)


def service_folder_is_a_file(root: Path) -> None:
    (root / "services/weather").write_text("my notes\n", encoding="utf-8")


@dataclass
class Case:
    id: str
    arguments: list[str]
    expected: str
    setup: Callable[[Path], None] | None = None
    needs_docker: bool = False


CASES = [
    Case("empty-name", [""], "service name is empty"),
    Case("starts-with-digit", ["2FastService"], "starting with a letter"),
    Case("dash-in-name", ["my-service"], "letters and digits only"),
    Case("space-in-name", ["My Service"], "letters and digits only"),
    Case("traversal-in-name", ["../../etc"], "letters and digits only"),
    Case("slash-in-name", ["Weather/../../x"], "letters and digits only"),
    Case("too-long-name", ["W" * 41], "longer than 40"),
    Case("upstream-key", ["LoggingService"], "reserved: LoggingService is an upstream"),
    Case("upstream-server-key", ["OpenTeraServer"], "upstream OpenTera service"),
    Case("upstream-key-other-case", ["videorehabservice"], "upstream OpenTera service"),
    Case("duplicate-key", ["SampleService"], "'SampleService' exists already"),
    Case("key-differs-in-case", ["SAMPLESERVICE"], "differs only in case from existing key 'SampleService'"),
    Case("folder-of-another-service", ["Sample"], "services/sample/, the folder of SampleService"),
    Case("folder-of-the-stack", ["Proxy"], "'proxy' is taken by the stack"),
    Case("prefix-shadows-api", ["WeatherService", "--prefix", "/api"], "would shadow /api"),
    Case("prefix-below-doc", ["WeatherService", "--prefix", "/doc/weather"], "would shadow /doc"),
    Case("prefix-shadows-wss", ["WeatherService", "--prefix", "/wss"], "would shadow /wss"),
    Case("prefix-shadows-rehab", ["WeatherService", "--prefix", "/rehab"], "would shadow /rehab"),
    Case("duplicate-prefix", ["WeatherService", "--prefix", "/sample"], "collides with /sample"),
    Case("prefix-below-another", ["WeatherService", "--prefix", "/sample/weather"], "collides with /sample"),
    Case("prefix-traversal", ["WeatherService", "--prefix", "/../etc"], "path traversal"),
    Case("prefix-dot-segment", ["WeatherService", "--prefix", "/a/./b"], "path traversal"),
    Case("prefix-unsafe-chars", ["WeatherService", "--prefix", "/we ather"], "not safe in a URL path"),
    Case("prefix-encoded", ["WeatherService", "--prefix", "/%2e%2e"], "not safe in a URL path"),
    Case("prefix-no-slash", ["WeatherService", "--prefix", "weather"], "must start with '/'"),
    Case("prefix-root", ["WeatherService", "--prefix", "/"], "TeraServer's"),
    Case("port-reserved-teraserver", ["WeatherService", "--port", "4040"], "port 4040 is reserved"),
    Case("port-reserved-webrtc", ["WeatherService", "--port", "8100"], "reserved by upstream OpenTera (8080-8130)"),
    Case("port-reserved-front-door", ["WeatherService", "--port", "40075"], "port 40075 is reserved"),
    Case("port-taken", ["WeatherService", "--port", "5020"], "port 5020 is already used"),
    Case("port-privileged", ["WeatherService", "--port", "80"], "out of range"),
    Case("port-too-big", ["WeatherService", "--port", "70000"], "out of range"),
    Case("port-not-a-number", ["WeatherService", "--port", "abc"], "'abc' is not a whole number"),
    Case("display-name-two-lines", ["WeatherService", "--display-name", "a\nb"], "field 'name'"),
    # A trailing newline passed `$`-anchored checks and reached the NGINX files (issue 17).
    Case("name-trailing-newline", ["WeatherService\n"], "letters and digits only"),
    Case("prefix-trailing-newline", ["WeatherService", "--prefix", "/weather\n"], "not safe in a URL path"),
    Case(
        "manifest-database-trailing-newline",
        ["WeatherService"],
        "services/sample/service.yaml: field 'database'",
        replace_in("services/sample/service.yaml", "database: openterasample", 'database: "openterasample\\n"'),
    ),
    Case(
        "manifest-key-trailing-newline",
        ["WeatherService"],
        "services/sample/service.yaml: field 'key'",
        replace_in("services/sample/service.yaml", "key: SampleService", 'key: "SampleService\\n"'),
    ),
    Case("display-name-trailing-newline", ["WeatherService", "--display-name", "Weather\n"], "field 'name'"),
    Case("port-superscript-digit", ["WeatherService", "--port", "\u00b2"], "is not a whole number"),
    Case("port-full-width-digits", ["WeatherService", "--port", "\uff15\uff10\uff13\uff10"], "is not a whole number"),
    Case("existing-folder", ["WeatherService"], "services/weather/ exists already: pass --force", existing_folder),
    # All or nothing (issue 17): a failing write undoes the others; a path outside the checkout is refused.
    Case(
        "services-d-not-a-folder",
        ["WeatherService", "--skip-nginx-check"],
        "cannot write nginx/services.d/",
        services_d_is_a_file,
    ),
    Case(
        "symlinked-service-folder",
        ["WeatherService", "--force", "--skip-nginx-check"],
        "outside the checkout (a symlinked folder?): nothing was written",
        service_folder_links_outside,
    ),
    Case(
        "force-over-a-file",
        ["WeatherService", "--force", "--skip-nginx-check"],
        "cannot write services/weather/",
        service_folder_is_a_file,
    ),
    Case(
        "broken-manifest-yaml",
        ["WeatherService"],
        "services/sample/service.yaml: line",
        break_sample_manifest("key: SampleService\nport: [5020\n"),
    ),
    Case(
        "hand-edited-manifest-field",
        ["WeatherService"],
        "services/sample/service.yaml: field 'port'",
        replace_in("services/sample/service.yaml", "port: 5020", "port: lots"),
    ),
    Case(
        "manifests-share-a-port",
        ["WeatherService"],
        "services/sample/service.yaml",
        duplicate_port_manifest,
    ),
    Case(
        "template-render-failure",
        ["WeatherService"],
        "template scripts/devstack/templates/service/Dockerfile.j2 line 4",
        replace_in("scripts/devstack/templates/service/Dockerfile.j2", "FROM ${PYTHON_IMAGE}", "FROM {% if %}"),
    ),
    Case(
        "template-undefined-variable",
        ["WeatherService"],
        "'no_such_variable' is undefined",
        replace_in(
            "scripts/devstack/templates/service/Dockerfile.j2", "FROM ${PYTHON_IMAGE}", "FROM {{ no_such_variable }}"
        ),
    ),
    Case(
        "nginx-t-fails",
        ["WeatherService"],
        'nginx -t refused the new configuration:\n[emerg] unknown directive "bogus_directive"',
        replace_in("nginx/includes/proxy-headers.conf", "proxy_http_version 1.1;", "bogus_directive on;"),
        needs_docker=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_fails_clearly_and_changes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if case.needs_docker:
        try:
            compose.ensure_docker()
        except compose.DockerUnavailableError as error:
            pytest.skip(f"needs Docker to run nginx -t: {error}")
    root = copy_repository(tmp_path / "repo")
    if case.setup is not None:
        case.setup(root)
    before = snapshot(root)
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    # A project name no stack has: the NGINX check uses a throwaway container, never a running proxy.
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", f"devstack-bad-input-{tmp_path.name.lower()[-20:]}")
    status = cli.main(["new", *case.arguments])
    error = capsys.readouterr().err
    assert status != 0
    assert case.expected in error, error
    assert error.startswith("devstack new: error: ")
    assert snapshot(root) == before
    outside = root.parent / "outside"
    assert not outside.exists() or not any(outside.iterdir()), "nothing may be written outside the checkout"


def test_a_held_lock_makes_new_fail_clearly_and_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_repository(tmp_path / "repo")
    before = snapshot(root)
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    with locking.exclusive(root, "new HoldingService"):
        status = cli.main(["new", "WeatherService", "--lock-timeout", "0.5"])
    error = capsys.readouterr().err
    assert status != 0
    assert "`devstack new HoldingService`" in error and "is still changing" in error
    assert snapshot(root) == before


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("failure", [KeyboardInterrupt(), live.LiveStackError("creating the service databases failed")])
def test_an_interrupted_new_says_how_to_finish_or_undo(
    failure: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_repository(tmp_path / "repo")
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    monkeypatch.setattr(live, "docker_available", lambda: True)
    monkeypatch.setattr(live, "is_running", lambda root, service: True)
    monkeypatch.setattr(live, "front_door_url", lambda root: "https://localhost:40075")

    def going_live(*arguments: object) -> None:
        raise failure

    monkeypatch.setattr(new, "go_live", going_live)
    status = cli.main(["new", "WeatherService", "--skip-nginx-check"])
    error = capsys.readouterr().err
    assert status != 0
    assert "the files of WeatherService are written but it is not running yet" in error
    assert "finish with `devstack up`, or undo with `devstack remove WeatherService --delete-folder`" in error
    assert (root / "services/weather/service.yaml").is_file()
