"""GET /api/service/services in its plain form, answered in front of Flask (by api/direct.py's DirectAnswers).

Every service calls this at start-up (TeraServiceClient.get_service_infos), and the issue's throughput target
is set on it. Under load, Flask and flask-restx around the handler (request context, routing, the resource's
dispatch, reqparse, the response object, the after-request hook) cost about half of the request's CPU (py-spy),
more than the token check and the query together.

So the plain form, and only that, is answered here: a GET of exactly that path, the token in an
`Authorization: OpenTera <token>` header, and one `id_service`, `uuid_service` or `service_key` argument written
plainly (no percent-encoding, no `+`, ASCII, an id of at most 9 digits), for an enabled caller and a service that
exists. The lookup and the JSON are the Flask handler's own (`services.find_service`, `services_body`), the
headers are the app's (`COMMON_HEADERS`), so the answer is byte for byte the one Flask gives
(tests/integration/test_service_lookup_direct.py compares them). Anything else, including every error and every
failure of Redis or the database, goes on to Flask unchanged, which answers it as upstream does: the 4xx
answers, `with_base_url`, `?token=` and the OpenAPI document have one source, the Flask resource.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from opentera.redis.RedisVars import RedisVars
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from teraserver.api.service.services import SELECTORS, find_service, services_body
from teraserver.service_auth import Refused, decode_service_token, header_token, payload_service_uuid

log = logging.getLogger("teraserver.api.service.direct")

PATH = "/api/service/services"
# id_service is an int4 column: a longer id goes to Flask, whose answer to an out-of-range one is a 400.
MAX_ID_DIGITS = 9


def plain_selector(query_string: str) -> tuple[str, str | int] | None:
    """(argument, value) of a query string holding one selector written plainly; None for anything else."""
    name, equals, value = query_string.partition("=")
    if not equals or name not in SELECTORS or not value or not value.isascii():
        return None
    if "&" in value or "%" in value or "+" in value:
        return None  # more arguments, or a value werkzeug would decode first
    if name == "id_service":
        if not value.isdigit() or len(value) > MAX_ID_DIGITS:
            return None
        return name, int(value)
    return name, value


class ServiceLookup:
    """The plain GET /api/service/services' answer; api/direct.py's DirectAnswers asks it for that path."""

    PATH = PATH

    def __init__(self, engine: Engine, redis_client: redis.Redis) -> None:
        self.engine = engine
        self.redis_client = redis_client

    def answer(self, environ: dict[str, Any]) -> bytes | None:
        """The 200 answer's body, or None when Flask must answer."""
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET":
            return None  # DirectAnswers only asks for this path's GET: checked again, it costs nothing
        selector = plain_selector(environ.get("QUERY_STRING", ""))
        if selector is None:
            return None
        try:
            token = header_token(environ.get("HTTP_AUTHORIZATION"))
        except Refused:
            return None
        if token is None:
            return None
        try:
            key = self.redis_client.get(RedisVars.RedisVar_ServiceTokenAPIKey)
            payload = decode_service_token(token, key)
            caller_uuid = payload_service_uuid(payload) if payload is not None else None
            if caller_uuid is None:
                return None
            found = find_service(caller_uuid, *selector, engine=self.engine)
        except (redis.RedisError, SQLAlchemyError) as error:
            # Flask tries again and answers as it does for any request that meets this failure.
            log.debug("direct service lookup failed; Flask answers", extra={"error": repr(error)})
            return None
        if found is None or found.service is None:
            return None
        return (json.dumps(services_body(found.service)) + "\n").encode()
