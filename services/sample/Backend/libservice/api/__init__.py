"""The REST API (flask-restx) with its Swagger UI at <prefix>/doc, working behind NGINX's URL prefix."""

from __future__ import annotations

from flask import Flask, url_for
from flask_restx import Api

from libservice.api import me, notes, projects, version

API_VERSION = "1.0.0"


class PrefixAwareApi(Api):
    """Swagger's URLs relative to the public prefix: the page is served over HTTPS by NGINX under
    X-Script-Name (applied to SCRIPT_NAME by the web app), while this service itself speaks plain HTTP."""

    @property
    def specs_url(self) -> str:
        return url_for(self.endpoint("specs"), _external=False)


def create_api(app: Flask, title: str) -> Api:
    api = PrefixAwareApi(
        app,
        version=API_VERSION,
        title=title,
        description="Sample OpenTera service: who you are, your projects, notes about participants.",
        doc="/doc",
        prefix="/api",
        authorizations={"tokenAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        security="tokenAuth",
    )
    for module in (version, me, projects, notes):
        api.add_namespace(module.ns)
    return api
