"""The hottest GETs answered in front of Flask (TERASERVER_FAST_PATHS): the one boundary of those shortcuts.

Under load, Flask and flask-restx around a cheap handler (request context, routing, the resource's dispatch,
the decorators, reqparse, the response object, the after-request hooks) cost a third to a half of its CPU, more
than its queries (py-spy; issue 14). So the plain form of a few hot reads is answered here, by `DirectAnswers`,
the WSGI middleware in front of Flask, and everything else goes on to Flask unchanged.

What is answered here: a GET of exactly a path of `HOT_PATHS` (or the service lookup), without a body or a
cookie (a login session's cookie makes Flask add the remember cookie: auth.py), the token in an
`Authorization: OpenTera <token>` header written plainly, and the one query string form the path takes (one
id written as digits, `list=true`, or none at all), for a caller whose token holds and an answer of 200. The caller is
checked by the Flask path's own functions, and the answer is the Flask handler's own function
(`participants_answer`, `assets_answer`...), run in an app context on an autocommit connection as the handler
runs (`database.reads_without_transaction`); the JSON is flask-restx's `output_json` with the default settings,
the headers are the app's. So the answer is the one Flask gives, byte for byte
(tests/integration/test_direct_answers.py and test_service_lookup_direct.py compare them). Any other form, every
refusal (401, 403, 400...), a `null` answer and every failure of Redis or the database go on to Flask, which
answers them: the errors, the other arguments and the OpenAPI document have one source, the Flask resources.

Beyond Flask's cost, round trips are saved where the caller's check can read what the answer needs: the
participants list reads the presence state in the token check's Redis round trip, the participant's devices come
in the statement of its token check (queries.participant_rows_by_token_or_uuid_with_devices), and the user of a
token, the participant's project (for the access check) and its assets in one statement
(asset_rows.user_and_assets_of_participant).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from teraserver import asset_rows, auth, context, database, device_auth, participant_auth, presence, queries, tokens
from teraserver.api.common import ClientError
from teraserver.api.device import devices as device_devices
from teraserver.api.participant import devices as participant_devices
from teraserver.api.service.services_direct import ServiceLookup
from teraserver.api.user import assets as user_assets
from teraserver.api.user import participants as user_participants
from teraserver.api.user import projects as user_projects
from teraserver.user_access import UserAccess

log = logging.getLogger("teraserver.api.direct")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
TOKEN_SCHEME = "OpenTera"
# The id columns are int4: a longer id goes to Flask, whose answer to an out-of-range one is its own.
MAX_ID_DIGITS = 9


def json_body(data: Any) -> bytes:
    """flask-restx's output_json with its default settings (no RESTX_JSON, not in debug: app.py checks)."""
    return (json.dumps(data) + "\n").encode()


def plain_token(header: str | None) -> str | None:
    """The token of an `Authorization: OpenTera <token>` header written plainly (one space, a token without
    whitespace, ASCII): what the user, participant and device checks all read as that token; None otherwise."""
    if header is None or not header.startswith(TOKEN_SCHEME + " "):
        return None
    token = header[len(TOKEN_SCHEME) + 1 :]
    if not token or not token.isascii() or len(token.split()) != 1 or token.split()[0] != token:
        return None
    return token


def no_arguments(query_string: str) -> dict[str, Any] | None:
    """{} for an empty query string, else None."""
    return {} if query_string == "" else None


def one_id(name: str) -> Callable[[str], dict[str, Any] | None]:
    """Reads a query string that is exactly `<name>=<digits>` as {name: int}; None for anything else."""

    def parse(query_string: str) -> dict[str, Any] | None:
        given, equals, value = query_string.partition("=")
        if given != name or not equals or not value.isdigit() or not value.isascii() or len(value) > MAX_ID_DIGITS:
            return None
        return {name: int(value)}

    return parse


def list_true(query_string: str) -> dict[str, Any] | None:
    """{"list": True} for a query string that is exactly `list=true`, else None."""
    return {"list": True} if query_string == "list=true" else None


def parsed(parser: Any, given: dict[str, Any]) -> dict[str, Any]:
    """What `parser.parse_args()` gives for a query string holding `given` only: every other argument None."""
    result = parser.result_class((argument.name, None) for argument in parser.args)
    result.update(given)
    return result


class Pass(Exception):
    """The caller or the request is not one answered here: Flask answers it."""


# --- the hot reads: each takes the token and the query's arguments, and gives the answer's data -------------------
def answer_user_participants(token: str, given: dict[str, Any]) -> Any:
    """GET /api/user/participants?id_project=N: the token's state and the presence state in one Redis round trip."""
    with context.redis_client().pipeline(transaction=False) as pipe:
        tokens.queue_user_token_state(pipe, token)
        presence.queue_status(pipe, "participant")
        replies = pipe.execute()
    user = auth.user_of_token(token, tokens.user_token_state(replies[:2]))
    if user is None:
        raise Pass("user token refused")
    statuses = presence.status_from("participant", replies[2:])
    args = parsed(user_participants.get_parser, given)
    return user_participants.participants_answer(UserAccess(user), args, lambda: statuses)


def answer_user_assets(token: str, given: dict[str, Any]) -> Any:
    """GET /api/user/assets?id_participant=N: the token check's user, the participant's project (for the access
    check) and its assets in one statement (asset_rows.user_and_assets_of_participant)."""
    user_uuid = auth.token_user_uuid(token, tokens.check_user_token_state(context.redis_client(), token))
    if user_uuid is None:
        raise Pass("user token refused")
    row, participant_project, assets = asset_rows.user_and_assets_of_participant(user_uuid, given["id_participant"])
    user = auth.enabled_user(queries.as_user(row) if row is not None else None)
    if user is None:
        raise Pass("user token refused")

    def select(access: UserAccess, args: dict[str, Any]) -> list[Any]:
        # UserAccess.accessible_participants_ids()'s rule for this one participant: live, and in a project the user
        # sees unless superadmin.
        if participant_project is None or not (
            access.superadmin or participant_project in access.accessible_projects_ids()
        ):
            raise Pass("participant not visible: Flask's 403")
        return assets

    return user_assets.assets_answer(user, parsed(user_assets.get_parser, given), select)


def answer_user_projects(token: str, given: dict[str, Any]) -> Any:
    """GET /api/user/projects?list=true."""
    user = auth.verify_user_token(token)
    if user is None:
        raise Pass("user token refused")
    return user_projects.projects_answer(user, parsed(user_projects.get_parser, given))


def enabled_device(token: str) -> Any:
    device = device_auth.device_by_token(token)
    if device is None or not device.device_enabled:
        raise Pass("device token refused")
    return device


def answer_device_participants(token: str, given: dict[str, Any]) -> Any:
    """GET /api/device/participants."""
    return device_devices.participants_answer(enabled_device(token))


def answer_device_devices(token: str, given: dict[str, Any]) -> Any:
    """GET /api/device/devices."""
    return device_devices.devices_answer(enabled_device(token))


def answer_participant_devices(token: str, given: dict[str, Any]) -> Any:
    """GET /api/participant/devices: a token of the `full` role (dynamic); its devices read with the token check's
    participants, in one statement."""
    found = participant_auth.verify_participant_token_with_devices(token)
    if found is None or not found[1]:
        raise Pass("participant token refused or limited")
    return participant_devices.devices_json(found[2], parsed(participant_devices.get_parser, given))


@dataclass(frozen=True)
class HotGet:
    """A GET answered here: the query string's one plain form, and the answer's data for (token, arguments)."""

    query: Callable[[str], dict[str, Any] | None]
    answer: Callable[[str, dict[str, Any]], Any]


HOT_PATHS: dict[str, HotGet] = {
    "/api/user/participants": HotGet(one_id("id_project"), answer_user_participants),
    "/api/user/assets": HotGet(one_id("id_participant"), answer_user_assets),
    "/api/user/projects": HotGet(list_true, answer_user_projects),
    "/api/device/participants": HotGet(no_arguments, answer_device_participants),
    "/api/device/devices": HotGet(no_arguments, answer_device_devices),
    "/api/participant/devices": HotGet(no_arguments, answer_participant_devices),
}


class DirectAnswers:
    """WSGI middleware: answers the plain forms of the hot GETs itself (module docstring), passes every other
    request on to `app` (Flask's wsgi_app)."""

    def __init__(
        self,
        app: WsgiApp,
        flask_app: Flask,
        service_lookup: ServiceLookup,
        headers: list[tuple[str, str]],
        hot_paths: dict[str, HotGet] | None = None,
    ) -> None:
        self.app = app
        self.flask_app = flask_app
        self.service_lookup = service_lookup
        self.headers = headers
        self.hot_paths = HOT_PATHS if hot_paths is None else hot_paths

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = self.answer(environ)
        if body is None:
            return self.app(environ, start_response)
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *self.headers]
        )
        return [body]

    def answer(self, environ: dict[str, Any]) -> bytes | None:
        """The 200 answer's body, or None when Flask must answer."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_COOKIE"):
            return None
        if environ.get("CONTENT_LENGTH") not in (None, "", "0") or environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        path = environ.get("PATH_INFO")
        if path == ServiceLookup.PATH:
            return self.service_lookup.answer(environ)
        hot = self.hot_paths.get(path)  # type: ignore[arg-type]
        if hot is None:
            return None
        given = hot.query(environ.get("QUERY_STRING", ""))
        token = plain_token(environ.get("HTTP_AUTHORIZATION"))
        if given is None or token is None:
            return None
        return self.hot_read(hot, token, given)

    def hot_read(self, hot: HotGet, token: str, given: dict[str, Any]) -> bytes | None:
        """The handler's answer, read as the handler reads it (app context, no transaction), or None."""
        with self.flask_app.app_context():
            try:
                database.begin_autocommit()
                data = hot.answer(token, given)
            except (Pass, ClientError, HTTPException) as refused:
                # Flask answers it: the refusals (and their log lines) have one source.
                log.debug("direct answer passed to Flask", extra={"reason": repr(refused)})
                return None
            except (redis.RedisError, SQLAlchemyError) as error:
                # Flask tries again and answers as it does for any request that meets this failure.
                log.debug("direct answer failed; Flask answers", extra={"error": repr(error)})
                return None
        if data is None:
            return None  # upstream's `null`: Flask answers it
        return json_body(data)
