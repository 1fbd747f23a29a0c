"""services/service.schema.json (issue 18): editors validate a manifest with the same patterns and limits
`devstack` applies, every manifest names the schema in its first line, and the file is what render derives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from devstack import manifest, new, render

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = yaml.safe_load((ROOT / "services/sample/service.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.validator_for(json.loads((ROOT / manifest.SCHEMA_PATH).read_text(encoding="utf-8")))


def test_the_committed_schema_is_the_rendered_one() -> None:
    [schema] = [f for f in render.render_files(ROOT, []) if f.path == manifest.SCHEMA_PATH]
    assert (ROOT / manifest.SCHEMA_PATH).read_text(encoding="utf-8") == schema.text
    assert render.GENERATED_MARK in json.loads(schema.text)["$comment"]


def test_every_manifest_names_the_schema_first() -> None:
    for path in manifest.manifest_paths(ROOT):
        assert path.read_text(encoding="utf-8").startswith(manifest.SCHEMA_REFERENCE), path
    assert new.MANIFEST_HEADER.startswith(manifest.SCHEMA_REFERENCE)
    # The reference is relative to the manifest: services/<folder>/service.yaml -> services/service.schema.json.
    target = manifest.SCHEMA_REFERENCE.split("$schema=")[1].strip()
    assert (ROOT / "services/sample" / target).resolve() == (ROOT / manifest.SCHEMA_PATH).resolve()


GOOD = [
    {},
    {"database": None, "frontend": False},
    {"nginx": None},
    {"nginx": {"websocket": True}},
    {"name": "Météo — station n°1", "prefix": "/tools/weather.v2", "key": "W" * 40, "port": 65535},
]
# Values both refuse; the schema cannot say the rest (reserved ports, keys and prefixes, clashes between services).
BAD = [
    {"key": "1Weather"}, {"key": "Weather-Service"}, {"key": "W" * 41}, {"key": ""},
    {"name": ""}, {"name": "two\nlines"}, {"name": "x\u2028y"}, {"name": "x\x85y"}, {"name": "n" * 101},
    {"port": 80}, {"port": 70000}, {"port": "5020"}, {"port": 5020.5},
    {"prefix": "sample"}, {"prefix": "/Sample"}, {"prefix": "/a//b"}, {"prefix": "/" + "a" * 64},
    {"health_path": "api"}, {"health_path": "/a b"},
    {"frontend": "yes"}, {"database": "Bad-Name"}, {"database": 5},
    {"nginx": {"client_max_body_size": "10 MB"}}, {"nginx": {"websocket": "on"}}, {"nginx": {"gzip": True}},
    {"nginx": []}, {"extra": 1},
]  # fmt: skip


@pytest.mark.parametrize("change", GOOD, ids=repr)
def test_what_devstack_accepts_the_schema_accepts(validator: Any, change: dict[str, Any]) -> None:
    data = SAMPLE | change
    manifest.parse_manifest(data, "sample", "services/sample/service.yaml")
    assert validator.is_valid(data), [error.message for error in validator.iter_errors(data)]


@pytest.mark.parametrize("change", BAD, ids=repr)
def test_what_devstack_refuses_the_schema_refuses(validator: Any, change: dict[str, Any]) -> None:
    data = SAMPLE | change
    with pytest.raises(manifest.ManifestError):
        manifest.parse_manifest(data, "sample", "services/sample/service.yaml")
    assert not validator.is_valid(data)


@pytest.mark.parametrize("field", ["key", "name", "port", "prefix", "health_path", "frontend", "database"])
def test_a_missing_required_field_is_refused_by_both(validator: Any, field: str) -> None:
    data = {name: value for name, value in SAMPLE.items() if name != field}
    with pytest.raises(manifest.ManifestError, match=f"field '{field}': missing"):
        manifest.parse_manifest(data, "sample", "services/sample/service.yaml")
    assert not validator.is_valid(data)
