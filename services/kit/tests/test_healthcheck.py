"""The container health check: healthy when the service's health path answers 200 on its configured port."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from service_kit import healthcheck


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(200 if self.path == "/api/version" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    path = tmp_path / "WeatherService.json"
    path.write_text(json.dumps({"Service": {"port": server.server_address[1]}}), encoding="utf-8")
    yield path
    server.shutdown()


def test_healthy_when_the_path_answers_200(config: Path) -> None:
    assert healthcheck.main(["/api/version"], {"OPENTERA_SERVICE_CONFIG": str(config)}) == 0
    assert healthcheck.main([], {"OPENTERA_SERVICE_CONFIG": str(config)}) == 0  # the default path


def test_unhealthy_when_it_does_not(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert healthcheck.main(["/api/broken"], {"OPENTERA_SERVICE_CONFIG": str(config)}) == 1
    assert "unhealthy" in capsys.readouterr().err


def test_unhealthy_and_saying_why_without_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert healthcheck.main([], {}) == 1
    assert "OPENTERA_SERVICE_CONFIG is not set" in capsys.readouterr().err
    assert healthcheck.main([], {"OPENTERA_SERVICE_CONFIG": str(tmp_path / "absent.json")}) == 1
    assert "absent.json" in capsys.readouterr().err
