"""The web app a service gets from the kit: /api/version without a token, 401 before the package's 403 on
/api/me, the Swagger UI and spec behind NGINX's prefix, the service's namespaces and Frontend."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_restx import Namespace, Resource
from werkzeug.test import Client

import service_kit
from service_kit.web import ScriptNameFromProxy, create_app

SERVICE = SimpleNamespace(
    service_key="WeatherService", service_uuid="1b6c", service_info={"service_name": "Weather Service"}
)

forecasts = Namespace("forecasts", path="/forecasts", description="The service's own resource")


@forecasts.route("")
class Forecasts(Resource):
    def get(self) -> list:
        return ["sunny"]


@pytest.fixture
def client(tmp_path: Path) -> Client:
    (tmp_path / "index.html").write_text("<html>weather</html>", encoding="utf-8")
    app = create_app(
        SERVICE,
        version="2.3.4",
        description="Weather",
        namespaces=[forecasts],
        frontend_dir=tmp_path,  # type: ignore[arg-type]
    )
    return Client(ScriptNameFromProxy(app))


def test_version_needs_no_token_and_names_the_kit(client: Client) -> None:
    response = client.get("/api/version")
    assert response.status_code == 200
    body = response.get_json()
    assert body["service_key"] == "WeatherService" and body["version"] == "2.3.4"
    assert body["service_kit"] == service_kit.__version__ and body["service_kit"].startswith("1.")
    assert body["opentera_package"]


def test_me_without_any_token_is_401(client: Client) -> None:
    assert client.get("/api/me").status_code == 401


def test_the_services_namespaces_are_served_after_the_kits(client: Client) -> None:
    assert client.get("/api/forecasts").get_json() == ["sunny"]
    paths = client.get("/api/swagger.json").get_json()["paths"]
    assert {"/version", "/me", "/forecasts"} <= set(paths)


def test_swagger_carries_nginxs_prefix(client: Client) -> None:
    behind = {"X-Script-Name": "/weather"}
    page = client.get("/weather/doc", headers=behind)
    assert page.status_code == 200
    assert "/weather/api/swagger.json" in page.get_data(as_text=True)
    spec = client.get("/weather/api/swagger.json", headers=behind)
    assert spec.status_code == 200 and spec.get_json()["basePath"] == "/weather/api"
    assert spec.get_json()["info"]["title"] == "Weather Service API"


def test_the_frontend_is_the_root_page(client: Client) -> None:
    page = client.get("/weather/", headers={"X-Script-Name": "/weather"})
    assert page.status_code == 200 and "weather" in page.get_data(as_text=True)


def test_no_frontend_no_root_page() -> None:
    app = create_app(SERVICE, version="1.0.0", description="API only")  # type: ignore[arg-type]
    assert Client(app).get("/").status_code == 404
    assert Client(app).get("/api/version").status_code == 200


def test_script_name_only_strips_its_own_prefix() -> None:
    seen: dict[str, str] = {}

    def app(environ: dict, start_response: object) -> list[bytes]:
        seen.update(script=environ.get("SCRIPT_NAME", ""), path=environ["PATH_INFO"])
        return []

    wrapped = ScriptNameFromProxy(app)
    wrapped({"HTTP_X_SCRIPT_NAME": "/tools/weather/", "PATH_INFO": "/tools/weather/api/me"}, None)
    assert seen == {"script": "/tools/weather", "path": "/api/me"}
    wrapped({"HTTP_X_SCRIPT_NAME": "/tools/weather", "PATH_INFO": "/tools/weatherman"}, None)
    assert seen == {"script": "/tools/weather", "path": "/tools/weatherman"}
    wrapped({"PATH_INFO": "/api/me"}, None)
    assert seen == {"script": "", "path": "/api/me"}
