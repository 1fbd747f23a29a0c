"""`QueryParser`: flask-restx's RequestParser, reading a plain query string in one pass (TERASERVER_FAST_PATHS).

flask-restx parses each argument on its own: for each, it reads the app's config and the request through
Flask's context proxies, and builds the set of values to look in, so a parser of 18 query arguments cost ~14 %
of the CPU of GET /api/user/assets (issue 14). Most requests give a few arguments once each, of a parser
whose arguments are all plain query arguments; for those, `parse_args` reads `request.args` once and converts
each value given with the argument's own `convert`, which gives the same result. Anything else (an unknown
argument, a value that does not convert, a repeated argument, a request body, an argument of another kind)
goes to flask-restx's own parse, which answers it as it always did (the same 400s).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_restx import reqparse

from teraserver import context


def _plain(argument: reqparse.Argument) -> bool:
    """An argument whose parse is: the query value converted by its type, else None."""
    return (
        argument.location == "args"
        and argument.action == "store"
        and tuple(argument.operators) == ("=",)
        and argument.default is None
        and argument.dest is None
        and argument.store_missing
        and argument.nullable
        and argument.case_sensitive
        and not (argument.required or argument.ignore or argument.choices or argument.trim)
    )


class QueryParser(reqparse.RequestParser):
    def parse_args(self, req: Any = None, strict: bool = False) -> reqparse.ParseResult:
        if req is None and context.fast_paths() and not self.bundle_errors:
            result = self._parse_plain_query(strict)
            if result is not None:
                return result
        return super().parse_args(req, strict)

    def _parse_plain_query(self, strict: bool) -> reqparse.ParseResult | None:
        """The parse of a plain query string, or None when flask-restx's own parse must answer."""
        if request.content_length or not all(_plain(argument) for argument in self.args):
            return None
        names = {argument.name for argument in self.args}
        # A plain dict: MultiDict.get() of an absent name raises and catches a KeyError each time.
        given: dict[str, str] = {}
        for name, values in request.args.lists():
            if len(values) != 1 or (strict and name not in names):
                return None
            given[name] = values[0]
        result = self.result_class()
        for argument in self.args:
            value = given.get(argument.name)
            if value is not None:
                try:
                    value = argument.convert(value, "=")
                except Exception:
                    return None  # flask-restx's parse answers it with its 400
            result[argument.name] = value
        return result
