"""Helpers shared by API resources: external URLs behind the proxy, websocket ids, parser flavours."""

from __future__ import annotations

import hashlib

from flask import request

from teraserver import context

WEBSOCKET_ID_TTL = 60  # seconds; the websocket handshake must consume the id within this window


def external_server_and_port() -> tuple[str, str]:
    """Host and port clients use to reach us: NGINX's X_ExternalServer / X-ExternalPort, else our settings.

    werkzeug maps both `X_ExternalServer` and `X-ExternalServer` to the X_EXTERNALSERVER lookup key (the
    underscore spelling only arrives because gunicorn runs with header_map="dangerous", see __main__.py).
    """
    settings = context.settings()
    server = request.headers.get("X_EXTERNALSERVER") or settings.hostname
    port = request.headers.get("X_EXTERNALPORT") or str(settings.external_port)
    return server, port


def session_id() -> str:
    """Opaque per-client id, computed like Flask-Login's session identifier (sha512 of address|user agent)."""
    base = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha512(base.encode("utf-8")).hexdigest()


def websocket_url(kind: str, owner_uuid: str) -> str:
    """wss URL for the /wss/<kind> websocket, remembering who the id belongs to for 60 s (as upstream)."""
    server, port = external_server_and_port()
    ws_id = session_id()
    context.redis_client().set(ws_id, owner_uuid, ex=WEBSOCKET_ID_TTL)
    return f"wss://{server}:{port}/wss/{kind}?id={ws_id}"
