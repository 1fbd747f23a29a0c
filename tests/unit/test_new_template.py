"""The `new` template is the sample service with its names as variables: rendered for the sample's own
manifest it gives back the sample's files byte for byte; for another service, only that service's names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from devstack import manifest, new, template_sync

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / template_sync.SAMPLE_FOLDER


def sample_manifest() -> manifest.Manifest:
    return manifest.load_manifest(SAMPLE / manifest.MANIFEST_NAME, ROOT)


def test_template_rendered_for_the_sample_is_the_sample() -> None:
    files = new.render_service_files(ROOT, sample_manifest())
    files.pop(f"services/sample/{manifest.MANIFEST_NAME}")
    expected = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in template_sync.sample_files(SAMPLE)
    }
    assert sorted(files) == sorted(expected), "run `python -m devstack.template_sync` after changing the sample"
    for relative, text in expected.items():
        assert files[relative] == text, f"{relative}: run `python -m devstack.template_sync`"


def weather(frontend: bool = True, prefix: str = "/tools/weather") -> manifest.Manifest:
    return manifest.Manifest(
        folder="weather",
        key="WeatherService",
        name="Weather Service",
        port=5031,
        prefix=prefix,
        health_path="/api/version",
        frontend=frontend,
        database="openteraweather",
    )


def test_another_service_carries_only_its_own_names() -> None:
    files = new.render_service_files(ROOT, weather())
    assert "services/weather/Backend/WeatherService.py" in files
    for relative, text in files.items():
        assert relative.startswith("services/weather/")
        for leftover in ("SampleService", "openterasample", "5020", "Sample", "{{", "{%"):
            assert leftover not in text, f"{relative} still contains {leftover!r}"
        if relative.endswith(".py"):
            ast.parse(text, filename=relative)
    compose = yaml.safe_load(files["services/weather/compose.yaml"])
    service = compose["services"]["weather"]
    assert "./config/WeatherService.json:/app/config/WeatherService.json:ro" in service["volumes"]
    assert "ports" not in service and "container_name" not in service
    assert service["depends_on"]["register"] == {"condition": "service_completed_successfully"}
    assert "start_period" in service["healthcheck"]
    assert [item["path"] for item in service["develop"]["watch"]][:2] == ["./Backend", "./Frontend"]
    written = yaml.safe_load(files["services/weather/service.yaml"])
    assert written["key"] == "WeatherService" and written["prefix"] == "/tools/weather" and written["port"] == 5031


def test_no_frontend_leaves_out_the_frontend_everywhere() -> None:
    files = new.render_service_files(ROOT, weather(frontend=False))
    assert not any("/Frontend/" in relative for relative in files)
    assert "COPY Frontend" not in files["services/weather/Dockerfile"]
    service = yaml.safe_load(files["services/weather/compose.yaml"])["services"]["weather"]
    assert "./Frontend" not in [item["path"] for item in service["develop"]["watch"]]
    assert yaml.safe_load(files["services/weather/service.yaml"])["frontend"] is False


@pytest.mark.parametrize(("key", "name"), [("WeatherService", "Weather Service"), ("ECGViewer", "ECGViewer")])
def test_display_name_from_key(key: str, name: str) -> None:
    assert new.split_words(key) == name


def test_each_service_gets_a_debug_variant_on_a_port_of_its_own() -> None:
    files = new.render_service_files(ROOT, weather())
    services = yaml.safe_load(files["services/weather/compose.yaml"])["services"]
    debug = services["weather-debug"]
    assert debug["extends"] == {"service": "weather"} and debug["profiles"] == ["debug"]
    # NGINX proxies to the folder name: the debug instance must answer to it.
    assert debug["networks"]["default"]["aliases"] == ["weather"]
    # Host side: the manifest's port (unique per service, never 5678), overridable per service key.
    assert debug["ports"] == ["127.0.0.1:${DEVSTACK_DEBUGPY_PORT_WeatherService:-5031}:5678"]
    assert "debugpy --listen 0.0.0.0:5678 WeatherService.py" in " ".join(debug["command"])
    assert "container_name" not in debug and "profiles" not in services["weather"]
    assert "debugpy" not in files["services/weather/Dockerfile"] + files["services/weather/requirements.txt"]


def test_a_display_name_with_markup_is_escaped_in_the_page_and_kept_in_the_manifest() -> None:
    name = 'R&D <script>alert("x")</script>'
    files = new.render_service_files(ROOT, manifest.Manifest(**{**weather().__dict__, "name": name}))
    page = files["services/weather/Frontend/index.html"]
    assert "<script>alert" not in page
    assert "<h1>R&amp;D &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</h1>" in page
    assert yaml.safe_load(files["services/weather/service.yaml"])["name"] == name


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_display_name_with_a_line_separator_is_refused(separator: str) -> None:
    # JavaScript ends a // comment at U+2028 (the rest of the name became code in app.js); YAML breaks lines at
    # these too.
    with pytest.raises(manifest.ManifestError, match="field 'name'"):
        manifest.parse_manifest({**weather().to_yaml_data(), "name": f"Weather{separator}alert(1)"}, "weather", "x")
