"""The Flask application: REST API, Swagger UI and the Frontend's static files, behind NGINX's prefix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory
from flask_babel import Babel

from libservice.api import create_api
from libservice.api.context import EXTENSION_NAME
from libservice.service import SampleService

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ScriptNameFromProxy:
    """Apply NGINX's X-Script-Name (the service's public prefix, e.g. /sample) to SCRIPT_NAME, so every URL
    Flask builds (Swagger UI assets, the spec URL) carries the prefix the browser sees."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        script_name = environ.get("HTTP_X_SCRIPT_NAME", "").rstrip("/")
        if script_name:
            environ["SCRIPT_NAME"] = script_name
            path = environ.get("PATH_INFO", "")
            if path.startswith(script_name + "/"):
                environ["PATH_INFO"] = path[len(script_name) :]
        return self.app(environ, start_response)


def create_app(service: SampleService, frontend_dir: Path) -> Flask:
    # The Frontend (no build step) is the static folder, served from disk so `compose watch` syncs apply at once.
    app = Flask(__name__, static_folder=str(frontend_dir), static_url_path="")
    app.config.update(
        SECRET_KEY=service.service_uuid,
        JSON_SORT_KEYS=False,
        RESTX_MASK_SWAGGER=False,
        ERROR_404_HELP=False,
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    app.extensions[EXTENSION_NAME] = service
    # The package's decorators translate their messages with flask_babel.
    Babel(app)
    create_api(app, title=f"{service.service_info.get('service_name', service.service_key)} API")

    @app.route("/")
    def index() -> Any:
        return send_from_directory(frontend_dir, "index.html")

    return app
