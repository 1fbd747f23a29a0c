"""The Flask application of a service: its REST API (flask-restx) with the Swagger UI at <prefix>/doc, the kit's
own resources (GET /api/version without authentication, GET /api/me), and the Frontend's static files, all working
behind NGINX's URL prefix."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import requests
from flask import Flask, current_app, send_from_directory, url_for
from flask_babel import Babel
from flask_restx import Api, Namespace, Resource
from opentera.services.ServiceAccessManager import current_user_client

from service_kit import __version__ as kit_version
from service_kit.access import AccessDenied, TeraServerUnavailable
from service_kit.auth import current_service_roles, user_required
from service_kit.service import KitService

EXTENSION_NAME = "opentera_service"
SERVICE_VERSION_SETTING = "OPENTERA_SERVICE_VERSION"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def current_service() -> KitService:
    """The service object of the running app, for the API resources."""
    return current_app.extensions[EXTENSION_NAME]


def answers_access_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """TeraServer's refusals become 403/404 with the reason; TeraServer failures become 502."""

    @wraps(function)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except AccessDenied as denied:
            return {"message": denied.message}, denied.status
        except (TeraServerUnavailable, requests.RequestException) as error:
            current_service().logger.log_error(current_service().service_key, "TeraServer call failed", str(error))
            return {"message": f"TeraServer call failed: {error}"}, 502

    return decorated


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


class PrefixAwareApi(Api):
    """Swagger's URLs relative to the public prefix: the page is served over HTTPS by NGINX under
    X-Script-Name (applied to SCRIPT_NAME by ScriptNameFromProxy), while the service itself speaks plain HTTP."""

    @property
    def specs_url(self) -> str:
        return url_for(self.endpoint("specs"), _external=False)


# --- the kit's own resources -------------------------------------------------------------------------------------
version_ns = Namespace("version", path="/version", description="Service version (no authentication)")


@version_ns.route("")
class Version(Resource):
    @version_ns.doc(security=[], responses={200: "Service key, its version, the kit's and the opentera package's"})
    def get(self) -> dict:
        return {
            "service_key": current_service().service_key,
            "version": current_app.config[SERVICE_VERSION_SETTING],
            "service_kit": kit_version,
            "opentera_package": package_version("opentera"),
        }


me_ns = Namespace("me", path="/me", description="The logged-in user")


@me_ns.route("")
class Me(Resource):
    @me_ns.doc(responses={200: "Who you are and your roles for this service", 401: "No token", 403: "No access"})
    @user_required()
    def get(self) -> dict:
        service_key = current_service().service_key
        roles = current_service_roles(service_key)
        return {
            "user_uuid": current_user_client.user_uuid,
            "id_user": current_user_client.id_user,
            "user_fullname": current_user_client.user_fullname,
            "user_superadmin": current_user_client.user_superadmin,
            "service_key": service_key,
            "service_roles": roles,
            "service_role": "admin" if "admin" in roles else "user",
        }


KIT_NAMESPACES: tuple[Namespace, ...] = (version_ns, me_ns)


def create_api(app: Flask, title: str, version: str, description: str, namespaces: Sequence[Namespace]) -> Api:
    """The REST API under /api: the kit's namespaces (version, me), then the service's own."""
    api = PrefixAwareApi(
        app,
        version=version,
        title=title,
        description=description,
        doc="/doc",
        prefix="/api",
        authorizations={"tokenAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        security="tokenAuth",
    )
    for namespace in (*KIT_NAMESPACES, *namespaces):
        api.add_namespace(namespace)
    return api


def create_app(
    service: KitService,
    *,
    version: str,
    description: str,
    namespaces: Sequence[Namespace] = (),
    frontend_dir: Path | None = None,
) -> Flask:
    """The service's Flask app. `version`: the service's own (GET /api/version); `frontend_dir`: its static
    Frontend (index.html at the prefix's root), None for a service without one."""
    # The Frontend (no build step) is the static folder, served from disk so `compose watch` syncs apply at once.
    serve_frontend = frontend_dir is not None and frontend_dir.is_dir()
    app = Flask(
        __name__,
        static_folder=str(frontend_dir) if serve_frontend else None,
        static_url_path="" if serve_frontend else None,
    )
    app.config.update(
        SECRET_KEY=service.service_uuid,
        JSON_SORT_KEYS=False,
        RESTX_MASK_SWAGGER=False,
        RESTX_ERROR_404_HELP=False,
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    app.config[SERVICE_VERSION_SETTING] = version
    app.extensions[EXTENSION_NAME] = service
    # The package's decorators translate their messages with flask_babel.
    Babel(app)
    title = f"{service.service_info.get('service_name', service.service_key)} API"
    create_api(app, title=title, version=version, description=description, namespaces=namespaces)

    if serve_frontend:

        @app.route("/")
        def index() -> Any:
            return send_from_directory(frontend_dir, "index.html")

    return app
