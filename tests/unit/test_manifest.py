"""Manifests: a good one loads; every bad field is refused with the file and the field named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack import manifest

ROOT = Path(__file__).resolve().parents[2]

GOOD: dict[str, Any] = {
    "key": "WeatherService",
    "name": "Weather Service",
    "port": 5030,
    "prefix": "/weather",
    "health_path": "/api/version",
    "frontend": False,
    "database": "openteraweather",
    "nginx": {"client_max_body_size": "10M", "websocket": True},
}


def write_manifest(root: Path, folder: str, data: object) -> Path:
    path = root / "services" / folder / "service.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_repository_manifests_load() -> None:
    loaded = manifest.load_all(ROOT)
    assert [item.folder for item in loaded] == sorted(item.folder for item in loaded)
    sample = next(item for item in loaded if item.folder == "sample")
    assert (sample.key, sample.prefix, sample.database) == ("SampleService", "/sample", "openterasample")


def test_a_good_manifest_loads_with_every_field(tmp_path: Path) -> None:
    write_manifest(tmp_path, "weather", GOOD)
    [loaded] = manifest.load_all(tmp_path)
    assert loaded == manifest.Manifest(
        folder="weather",
        key="WeatherService",
        name="Weather Service",
        port=5030,
        prefix="/weather",
        health_path="/api/version",
        frontend=False,
        database="openteraweather",
        nginx=manifest.NginxSettings(client_max_body_size="10M", websocket=True),
    )


def test_nginx_settings_are_optional(tmp_path: Path) -> None:
    write_manifest(tmp_path, "weather", {k: v for k, v in GOOD.items() if k != "nginx"} | {"database": None})
    [loaded] = manifest.load_all(tmp_path)
    assert loaded.nginx == manifest.NginxSettings()
    assert loaded.database is None


def test_dump_then_load_gives_the_same_manifest(tmp_path: Path) -> None:
    write_manifest(tmp_path, "weather", GOOD)
    [loaded] = manifest.load_all(tmp_path)
    write_manifest(tmp_path, "weather", manifest.dump_manifest(loaded, "# header\n"))
    assert manifest.load_all(tmp_path) == [loaded]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"key": "2bad"}, "key", "starting with a letter"),
        ({"key": "EmailService"}, "key", "reserved"),
        ({"key": None}, "key", "empty"),
        ({"name": ""}, "name", "non-empty text"),
        ({"name": 12}, "name", "non-empty text"),
        ({"name": "Two\nlines"}, "name", "one line"),
        ({"name": "x" * 101}, "name", "one line"),
        ({"port": 4041}, "port", "reserved"),
        ({"port": "5030"}, "port", "not a whole number"),
        ({"port": 70000}, "port", "out of range"),
        ({"prefix": "/api"}, "prefix", "shadow /api"),
        ({"prefix": "/../x"}, "prefix", "traversal"),
        ({"prefix": "weather"}, "prefix", "must start with"),
        ({"health_path": "api/version"}, "health_path", "expected a path"),
        ({"health_path": "/a/../../b"}, "health_path", "expected a path"),
        ({"frontend": "yes"}, "frontend", "true or false"),
        ({"database": "opentera"}, "database", "reserved"),
        ({"database": "Bad-Name"}, "database", "not valid"),
        ({"nginx": "big"}, "nginx", "expected a mapping"),
        ({"nginx": {"client_max_body_size": "10 MB"}}, "nginx.client_max_body_size", "size such as"),
        ({"nginx": {"websocket": "on"}}, "nginx.websocket", "true or false"),
        ({"nginx": {"gzip": True}}, "nginx.gzip", "unknown field"),
        ({"colour": "blue"}, "colour", "unknown field"),
    ],
)
def test_bad_field_is_named_with_the_file(tmp_path: Path, change: dict[str, Any], field: str, reason: str) -> None:
    write_manifest(tmp_path, "weather", GOOD | change)
    with pytest.raises(manifest.ManifestError) as raised:
        manifest.load_all(tmp_path)
    message = str(raised.value)
    assert message.startswith("services/weather/service.yaml: ")
    assert f"field '{field}'" in message
    assert reason in message


@pytest.mark.parametrize("missing", ["key", "name", "port", "prefix", "health_path", "frontend", "database"])
def test_missing_field_is_named(tmp_path: Path, missing: str) -> None:
    write_manifest(tmp_path, "weather", {k: v for k, v in GOOD.items() if k != missing})
    with pytest.raises(manifest.ManifestError, match=f"field '{missing}': missing"):
        manifest.load_all(tmp_path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("key: [unclosed\n", "line 2"),
        ("key: A\n  port: : 3\n", "not valid YAML"),
        ("- a list\n- not a mapping\n", "expected a mapping"),
        ("", "expected a mapping"),
    ],
)
def test_broken_yaml_is_reported_with_the_file(tmp_path: Path, text: str, reason: str) -> None:
    write_manifest(tmp_path, "weather", text)
    with pytest.raises(manifest.ManifestError, match=reason) as raised:
        manifest.load_all(tmp_path)
    assert str(raised.value).startswith("services/weather/service.yaml")


@pytest.mark.parametrize("folder", ["Weather", "my-service", "db", "proxy"])
def test_unusable_folder_names_are_refused(tmp_path: Path, folder: str) -> None:
    write_manifest(tmp_path, folder, GOOD)
    with pytest.raises(manifest.ManifestError, match=f"services/{folder}/service.yaml"):
        manifest.load_all(tmp_path)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"key": "WEATHERSERVICE", "prefix": "/w2", "port": 5031, "database": "w2"}, "key", "also the key"),
        ({"key": "Other", "prefix": "/w2", "database": "w2"}, "port", "also the port"),
        ({"key": "Other", "port": 5031, "database": "w2"}, "prefix", "collides with /weather"),
        ({"key": "Other", "port": 5031, "prefix": "/weather/sub", "database": "w2"}, "prefix", "collides"),
        ({"key": "Other", "port": 5031, "prefix": "/w2"}, "database", "also the database"),
    ],
)
def test_two_manifests_must_not_share_anything(tmp_path: Path, change: dict[str, Any], field: str, reason: str) -> None:
    write_manifest(tmp_path, "weather", GOOD)
    write_manifest(tmp_path, "zother", GOOD | change)
    with pytest.raises(manifest.ManifestError) as raised:
        manifest.load_all(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"services/zother/service.yaml: field '{field}'")
    assert reason in message and "services/weather/service.yaml" in message
