"""The HTML pages upstream serves outside /api: /about and the browser login flow.

Our own minimal pages (templates/ here, a little plain JS each), on the paths and with the statuses of upstream's:

* `/about` and `/login`: open to anyone, 200. `/login?auth_code=<code>` keeps a service's login code in the
  session (see api/user/login.py for what the login steps do with it). The login page logs in with HTTP Basic on
  GET /api/user/login (with_websocket, the client headers `X-Client-Name: OpenTera-Web-Client` and the server
  version, as upstream's page sends) and follows the answer's `redirect_url` when the user must change the
  password or do 2FA.
* `/login_change_password`, `/login_validate_2fa`, `/login_setup_2fa`: need the login session the password check
  opened (auth.user_session_required), 401 "Unauthorized" (plain text) without it. They call
  POST /api/user/login/change_password, POST /api/user/login/2fa (a `?code=` in the page's URL is sent at once,
  as set-up passes it on), GET then POST /api/user/login/setup_2fa.

A completed login shows who is logged in and keeps the token in the tab's sessionStorage (`opentera_user_token`);
upstream's pages hand it to the OpenTeraPlus desktop client instead (a Qt web channel we do not have).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, render_template, request, session
from opentera.utils.TeraVersions import TeraVersions

from teraserver import auth
from teraserver.api.common import external_server_and_port

CLIENT_NAME = "OpenTera-Web-Client"


def _page(template: str, **values: Any) -> str:
    versions = TeraVersions()
    versions.load_from_db()
    hostname, port = external_server_and_port()
    return render_template(
        template,
        hostname=hostname,
        port=port,
        server_version=versions.version_string,
        client_name=CLIENT_NAME,
        **values,
    )


def about() -> str:
    versions = TeraVersions()
    versions.load_from_db()
    plus = versions.get_client_version_with_name("OpenTeraPlus")
    return _page("about.html", openteraplus=plus.to_dict() if plus is not None else None)


def login() -> str:
    if "auth_code" in request.args:
        session["auth_code"] = request.args["auth_code"]
    return _page("login.html", show_logo="no_logo" not in request.args)


@auth.user_session_required
def login_change_password() -> str:
    return _page("login_change_password.html", username=g.current_user.user_username)


@auth.user_session_required
def login_validate_2fa() -> str:
    return _page("login_validate_2fa.html")


@auth.user_session_required
def login_setup_2fa() -> str:
    email = g.current_user.user_email
    return _page("login_setup_2fa.html", user_has_email=bool(email))


def register(app: Flask) -> None:
    # The blueprint only lends its template folder; the routes keep upstream's endpoint names (login events
    # report the endpoint).
    app.register_blueprint(Blueprint("views", __name__, template_folder="templates"))
    for path, view in (
        ("/about", about),
        ("/login", login),
        ("/login_change_password", login_change_password),
        ("/login_setup_2fa", login_setup_2fa),
        ("/login_validate_2fa", login_validate_2fa),
    ):
        app.add_url_rule(path, view.__name__, view, methods=["GET"])
