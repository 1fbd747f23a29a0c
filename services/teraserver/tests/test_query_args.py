"""QueryParser (TERASERVER_FAST_PATHS) parses as flask-restx's RequestParser: same result, or the same 400.

Every GET parser that uses it, on query strings with known, unknown, repeated, empty and invalid arguments,
strict and not: the fast parse and flask-restx's own must agree on the result or on the error answered.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, request
from flask_restx import reqparse
from werkzeug.exceptions import HTTPException

from teraserver.api import session_filters
from teraserver.api.device import assets as device_assets
from teraserver.api.participant import assets as participant_assets
from teraserver.api.participant import devices as participant_devices
from teraserver.api.participant import participants as participant_participants
from teraserver.api.participant import sessions as participant_sessions
from teraserver.api.query_args import QueryParser
from teraserver.api.user import assets as user_assets
from teraserver.api.user import participants as user_participants
from teraserver.api.user import projects as user_projects

PARSERS = {
    "user participants": user_participants.get_parser,
    "user assets": user_assets.get_parser,
    "user projects": user_projects.get_parser,
    "sessions": session_filters.sessions_get_parser("session_uuid"),
    "device assets": device_assets.get_parser,
    "participant assets": participant_assets.get_parser,
    "participant devices": participant_devices.get_parser,
    "participant sessions": participant_sessions.get_parser,
    "participant participants": participant_participants.get_parser,
}

QUERIES = [
    "",
    "id_project=1",
    "id_participant=1",
    "id_participant=1&full=true",
    "id_project=abc",
    "id_project=",
    "id_project=1&id_project=2",
    "id_project=1&id_project=x",
    "list=true",
    "list=maybe",
    "list=0",
    "list=",
    "id=7&with_urls=yes&with_only_token=false",
    "id_device=2&list=1",
    "id_session=3",
    "id_asset=4&asset_uuid=u",
    "unknown=1",
    "id_project=1&unknown=2",
    "start_date=2024-01-01&end_date=2024-02-01",
    "start_date=yesterday",
    "limit=5&offset=2&status=1",
    "limit=-1",
    "name=%C3%A9t%C3%A9",
    "id_project=%201",
    "token=abc&id_session=1",
]


def outcome(call: Any) -> tuple[str, Any]:
    """The parse's result, or the HTTP error it raised (kind, status, body and description)."""
    try:
        return "result", dict(call())
    except HTTPException as error:
        return "error", (type(error).__name__, error.code, getattr(error, "data", None), error.description)


@pytest.fixture
def app() -> Flask:
    app = Flask("query-args-test")
    app.extensions["teraserver"] = {"settings": SimpleNamespace(fast_paths=True)}
    return app


def test_every_hot_get_parser_is_a_query_parser() -> None:
    assert all(isinstance(parser, QueryParser) for parser in PARSERS.values())


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("name", sorted(PARSERS))
def test_the_fast_parse_answers_as_flask_restx(app: Flask, name: str, strict: bool) -> None:
    parser = PARSERS[name]
    for query in QUERIES:
        with app.test_request_context(f"/x?{query}"):
            fast = outcome(lambda: parser.parse_args(strict=strict))
            plain = outcome(lambda: reqparse.RequestParser.parse_args(parser, strict=strict))
        assert fast == plain, f"{name}, {query!r}, strict={strict}"


def test_a_plain_query_takes_the_fast_parse_and_anything_else_falls_back(app: Flask) -> None:
    parser = user_participants.get_parser
    with app.test_request_context("/x?id_project=1&list=true"):
        parsed = parser._parse_plain_query(strict=True)
        assert parsed is not None and parsed["id_project"] == 1 and parsed["list"] is True
    for query in ("id_project=x", "id_project=1&id_project=2", "nope=1"):
        with app.test_request_context(f"/x?{query}"):
            assert parser._parse_plain_query(strict=True) is None, query
    with app.test_request_context(
        "/x?id_project=1", method="GET", data=b'{"id_project": 2}', content_type="application/json"
    ):
        assert parser._parse_plain_query(strict=True) is None, "a body is flask-restx's to read"


def test_without_fast_paths_flask_restx_parses(app: Flask) -> None:
    app.extensions["teraserver"]["settings"].fast_paths = False
    parser = user_participants.get_parser
    with app.test_request_context("/x?id_project=1"):
        # The fast parse's result is a plain ParseResult too: what tells them apart is that flask-restx's records
        # the arguments it has not parsed on the request.
        parser.parse_args(strict=True)
        assert hasattr(request, "unparsed_arguments")
    app.extensions["teraserver"]["settings"].fast_paths = True
    with app.test_request_context("/x?id_project=1"):
        parser.parse_args(strict=True)
        assert not hasattr(request, "unparsed_arguments")
