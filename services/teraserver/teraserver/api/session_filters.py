"""GET filters and answer rows shared by /api/user/sessions and /api/service/sessions (and their /events).

Upstream's two endpoints take the same filters except the name of the uuid argument: `session_uuid` on the
user side, `uuid_session` on the service side; they answer each session the same way.
"""

from __future__ import annotations

from typing import Any

from flask_restx import inputs, reqparse
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionEvent import TeraSessionEvent

from teraserver.api.query_args import QueryParser


def sessions_get_parser(uuid_argument: str) -> reqparse.RequestParser:
    parser = QueryParser()
    parser.add_argument("id_session", type=int, location="args", help="ID of the session")
    parser.add_argument(uuid_argument, type=str, location="args", help="UUID of the session")
    parser.add_argument("id_participant", type=int, location="args", help="Sessions of that participant")
    parser.add_argument("id_user", type=int, location="args", help="Sessions of that user")
    parser.add_argument("id_device", type=int, location="args", help="Sessions of that device")
    parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information only")
    parser.add_argument("with_events", type=inputs.boolean, location="args", help="Add each session's events")
    parser.add_argument("with_session_type", type=inputs.boolean, location="args", help="Add session_type")
    parser.add_argument("status", type=int, location="args", help="Only sessions with that status")
    parser.add_argument("limit", type=int, location="args", help="Maximum number of sessions")
    parser.add_argument("offset", type=int, location="args", help="Sessions to skip")
    parser.add_argument("start_date", type=inputs.date, location="args", help="Sessions from that date")
    parser.add_argument("end_date", type=inputs.date, location="args", help="Sessions up to that date")
    return parser


def session_events_get_parser() -> reqparse.RequestParser:
    parser = reqparse.RequestParser()
    parser.add_argument("id_session", type=int, location="args", required=True, help="ID of the session")
    return parser


def session_json(session: TeraSession, args: dict[str, Any]) -> dict[str, Any]:
    """One session of a GET answer: `list` for minimal JSON, `with_session_type` and `with_events` add those."""
    minimal = bool(args["list"])
    result = session.to_json(minimal=minimal)
    if args["with_session_type"]:
        result["session_type"] = session.session_session_type.to_json()
    if args["with_events"]:
        events = TeraSessionEvent.get_events_for_session(session.id_session)
        result["session_events"] = [event.to_json(minimal=minimal) for event in events]
    return result
