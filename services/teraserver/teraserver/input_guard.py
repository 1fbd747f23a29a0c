"""Input no resource can use is refused before any handler sees it (400 / 413), so it never becomes a 500.

* A NUL character, in a query argument or anywhere in a JSON body: PostgreSQL text cannot hold one, and the
  driver raises on it wherever the value reaches a query.
* A lone UTF-16 surrogate in a JSON body (`"\\ud800"`): valid JSON escapes, but no UTF-8 text, so neither the
  database nor a JSON answer can carry it.
* JSON nested deeper than MAX_JSON_DEPTH: no resource takes more than a few levels, and a parser following
  100,000 levels runs out of stack.
* A body over MAX_BODY_BYTES (413): TeraServer's resources take small JSON objects; files go to services.

Upstream answers 500 to the first three (its README deviations list this as a 400 instead).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64


def refused(message: str) -> Response:
    return Response(json.dumps(message) + "\n", status=400, mimetype="application/json")


def bad_string(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate"
    return None


def problem_in(document: Any) -> str | None:
    """What makes a parsed JSON document unusable, walking it without recursion; None when it is fine."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            problem = bad_string(value)
            if problem:
                return problem
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return f"nesting deeper than {MAX_JSON_DEPTH} levels"
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if key is not None and (problem := bad_string(key)):
                    return problem
                pending.append((item, depth + 1))
    return None


def check_request() -> Response | None:
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            return refused(f"Invalid query argument {name.replace(chr(0), '')!r}: a NUL character")
    if not request.content_length or not request.is_json:
        return None
    raw = request.get_data(cache=True)  # 413 from werkzeug past MAX_CONTENT_LENGTH
    try:
        document = json.loads(raw)
    except RecursionError:
        return refused(f"Invalid JSON body: nesting deeper than {MAX_JSON_DEPTH} levels")
    except ValueError:
        return None  # not JSON at all: each resource answers that in its own words
    problem = problem_in(document)
    return refused(f"Invalid JSON body: {problem}") if problem else None


def install(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(check_request)
