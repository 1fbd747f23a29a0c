"""Flask application factory for the serving workers."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis
from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from teraserver import auth, context, database, db_events, health, input_guard, server_settings, soft_delete, views
from teraserver.api import create_api
from teraserver.api.direct import DirectAnswers
from teraserver.api.service.services_direct import ServiceLookup
from teraserver.settings import Settings

access_log = logging.getLogger("teraserver.access")

DOCS_DISABLED_PAGE = (
    "<!doctype html><html><head><title>OpenTeraServer API</title></head>"
    "<body><p>API documentation is disabled on this server (TERASERVER_ENABLE_DOCS=false).</p></body></html>"
)


# Upstream adds these to every answer.
COMMON_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Headers", "*"),
    ("Access-Control-Allow-Methods", "*"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
]


def _common_headers(response: Response) -> Response:
    # Upstream also drops WWW-Authenticate, so that browsers using the web clients never pop a Basic-auth dialog.
    for name, value in COMMON_HEADERS:
        response.headers[name] = value
    if response.status_code == 401:
        response.headers.pop("WWW-Authenticate", None)
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per secret key.

    Flask opens the session of every request, and its stock interface builds a new serializer (key
    derivation set-up included) each time: ~5 % of the CPU of GET /api/service/services, for a session that
    only the login flows read or write (auth.py).
    """

    _cached: tuple[Any, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        cached = self._cached
        if cached is None or cached[0] != app.secret_key:
            cached = self._cached = (app.secret_key, super().get_signing_serializer(app))
        return cached[1]


class WholeBodyResponse(Response):
    """Flask's response, whose WSGI body is a one-item list when the response holds its body in memory.

    werkzeug answers every response with an iterator (a generator in a ClosingIterator), which granian sends
    chunk by chunk, taking the GIL for each: ~15 % of the CPU of a 1 kB JSON answer (py-spy, issue 14). Given a
    list, granian sends the bytes in one piece instead. Streamed and file responses keep their iterator."""

    def get_app_iter(self, environ: dict[str, Any]) -> Iterable[bytes]:
        app_iter = super().get_app_iter(environ)
        if not self.is_sequence or self.direct_passthrough:
            return app_iter
        try:
            return [b"".join(app_iter)]
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()


class AccessLogMiddleware:
    """One JSON access line per request with method, path, status and duration (ms): until the answer is made
    when its body is in memory, until its last byte is sent when it streams."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status_holder: list[str] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder.append(status)
            return start_response(status, headers, exc_info)

        try:
            body = self.wsgi_app(environ, capture)
        except BaseException:
            _log_access(environ, status_holder, started)
            raise
        if isinstance(body, list):
            # A body held in memory (WholeBodyResponse): complete now, and granian sends a list in one piece.
            _log_access(environ, status_holder, started)
            return body
        return _LoggedBody(body, lambda: _log_access(environ, status_holder, started))


class _LoggedBody:
    """Passes the body through and logs once the server closes it (i.e. after the last byte was sent)."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self._body = body
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()


class DebuggedThreads:
    """Under the debug profile: tell debugpy about the thread serving each request.

    granian runs the app on threads its Rust runtime starts; debugpy only traces threads Python started
    (or that call `debug_this_thread`), so without this a breakpoint in a handler would never stop.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], debugpy: Any) -> None:
        self.wsgi_app = wsgi_app
        self.debugpy = debugpy

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.debugpy.debug_this_thread()
        return self.wsgi_app(environ, start_response)


def _log_access(environ: dict[str, Any], status_holder: list[str], started: float) -> None:
    status = int(status_holder[-1].split(" ", 1)[0]) if status_holder else 500
    path = environ.get("PATH_INFO")
    # The container healthcheck polls /health every few seconds: keep those lines out of INFO logs.
    level = logging.DEBUG if path == "/health" and status == 200 else logging.INFO
    access_log.log(
        level,
        "request",
        extra={
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
            "query": environ.get("QUERY_STRING") or None,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "remote_addr": environ.get("REMOTE_ADDR"),
        },
    )


def create_app(settings: Settings) -> Flask:
    app = Flask("teraserver")
    app.response_class = WholeBodyResponse
    app.session_interface = SessionCookies()
    # Each worker thread may hold one connection: pool sized to the thread count.
    db = database.init_db(app, settings, pool_size=max(settings.threads, 2))
    client = redis.Redis(
        socket_timeout=5,
        socket_connect_timeout=3,
        health_check_interval=30,
        max_connections=max(settings.threads * 2, 4),
        **settings.redis_kwargs(),
    )
    context.attach(app, settings, client)
    db_events.install(client)
    if settings.fast_paths:
        soft_delete.install()  # the package's soft-delete rewrite, its analysis kept per statement structure

    with app.app_context():
        # Upstream uses the ServerUUID setting as Flask secret key (signs the session cookie).
        app.secret_key = server_settings.read_server_uuid() or "teraserver"
        db.session.remove()
        engine = db.engine

    app.config["RESTX_MASK_SWAGGER"] = False
    app.config["ERROR_404_HELP"] = False
    input_guard.install(app)
    create_api(app, settings)
    auth.install_session(app)
    views.register(app)
    app.register_blueprint(health.make_blueprint(db))
    if not settings.enable_docs:
        app.add_url_rule("/doc", "doc_disabled", lambda: Response(DOCS_DISABLED_PAGE, mimetype="text/html"))
    app.after_request(_common_headers)

    if settings.fast_paths and not app.debug and not app.config.get("RESTX_JSON"):
        # The plain forms of the hottest GETs are answered before Flask; their JSON is flask-restx's output_json
        # with these default settings (api/direct.py).
        app.wsgi_app = DirectAnswers(  # type: ignore[method-assign]
            app.wsgi_app, app, ServiceLookup(engine, client), COMMON_HEADERS
        )
    app.wsgi_app = AccessLogMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    debugpy = sys.modules.get("debugpy")  # loaded only when started under `python -m debugpy` (debug profile)
    if debugpy is not None:
        app.wsgi_app = DebuggedThreads(app.wsgi_app, debugpy)  # type: ignore[method-assign]
    return app
