"""The plain GET /api/service/services is answered in front of Flask, byte for byte as Flask answers it.

`api/service/services_direct.py` serves the plain form of every service's start-up call (one selector, the token
in the header) without Flask, asked by the boundary of those shortcuts (`api/direct.py`), and everything else
goes on to Flask. These tests run the server's own WSGI chain inside
the session stack's TeraServer container, on its real PostgreSQL and Redis, and send each request both through
the whole chain and to the Flask app alone: the status, headers and body must be the same, the plain forms must
be the ones answered directly, and everything else (errors, other spellings, other arguments) must be Flask's.
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import DIRECT_PRELUDE, assert_every_answer_is_flasks, directly_answered, teraserver_probe

from devstack.testing.stack import Stack

PROBE = (
    DIRECT_PRELUDE
    + """
import logging, time
import jwt, redis
from opentera.db.models.TeraService import TeraService
from teraserver.api.service.services_direct import ServiceLookup

access_lines = []
class Remember(logging.Handler):
    def emit(self, record):
        access_lines.append({"path": record.path, "query": record.query, "status": record.status})
access_log = logging.getLogger("teraserver.access")
access_log.setLevel(logging.INFO)
access_log.addHandler(Remember())

key = redis.Redis(**settings.redis_kwargs()).get("ServiceTokenAPIKey")
with app.app_context():
    service = TeraService.query.filter_by(service_key="FileTransferService").one()
    uuid, id_service = service.service_uuid, service.id_service

def token(**claims):
    return jwt.encode({"iat": int(time.time()), **claims}, key, algorithm="HS256")

good = token(service_uuid=uuid)
header = {"Authorization": "OpenTera " + good}
cases = {
    "by key": ("GET", "/api/service/services", "service_key=FileTransferService", header),
    "by uuid": ("GET", "/api/service/services", "uuid_service=" + uuid, header),
    "by id": ("GET", "/api/service/services", "id_service=" + str(id_service), header),
    "with_base_url": ("GET", "/api/service/services", "service_key=FileTransferService&with_base_url=true", header),
    "two selectors": ("GET", "/api/service/services", "id_service=1&service_key=FileTransferService", header),
    "percent-encoded": ("GET", "/api/service/services", "service_key=%46ileTransferService", header),
    "unknown key": ("GET", "/api/service/services", "service_key=NoSuchService", header),
    "id not a number": ("GET", "/api/service/services", "id_service=abc", header),
    "id out of range": ("GET", "/api/service/services", "id_service=99999999999", header),
    "no selector": ("GET", "/api/service/services", "", header),
    "empty selector": ("GET", "/api/service/services", "service_key=", header),
    "unknown caller": ("GET", "/api/service/services", "service_key=FileTransferService",
                       {"Authorization": "OpenTera " + token(service_uuid="00000000-0000-0000-0000-000000000000")}),
    "expired token": ("GET", "/api/service/services", "service_key=FileTransferService",
                      {"Authorization": "OpenTera " + token(service_uuid=uuid, exp=int(time.time()) - 10)}),
    "no service_uuid": ("GET", "/api/service/services", "service_key=FileTransferService",
                        {"Authorization": "OpenTera " + token(sub="x")}),
    "token in query": ("GET", "/api/service/services", "service_key=FileTransferService&token=" + good, {}),
    "no token": ("GET", "/api/service/services", "service_key=FileTransferService", {}),
    "other scheme": ("GET", "/api/service/services", "service_key=FileTransferService",
                     {"Authorization": "Bearer " + good}),
    "malformed header": ("GET", "/api/service/services", "service_key=FileTransferService",
                         {"Authorization": "OpenTera " + good + " extra"}),
    "POST": ("POST", "/api/service/services", "service_key=FileTransferService", header),
    "trailing slash": ("GET", "/api/service/services/", "service_key=FileTransferService", header),
}

seen = {"cases": compare(cases)}

# A Redis failure in the direct path hands the request to Flask (here with a working Redis) instead of failing it.
lookup = ServiceLookup(direct.service_lookup.engine, redis.Redis(host="127.0.0.1", port=1))
broken = type(direct)(flask_only, app, lookup, direct.headers)
seen["broken redis"] = {"direct": broken.answer(environ(*cases["by key"])) is not None,
                        "answer": answer(broken, cases["by key"])}
seen["access lines"] = access_lines
"""
)

DIRECT = {"by key", "by uuid", "by id"}


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_only_the_plain_forms_are_answered_directly(seen: dict[str, Any]) -> None:
    assert directly_answered(seen) == DIRECT


def test_every_request_gets_the_answer_flask_gives(seen: dict[str, Any]) -> None:
    assert_every_answer_is_flasks(seen)


def test_the_direct_answers_are_the_service_in_a_list(seen: dict[str, Any]) -> None:
    for name in DIRECT:
        status, headers, body = seen["cases"][name]["whole chain"]
        assert status == "200 OK", name
        assert '"service_key": "FileTransferService"' in body and body.startswith("[{") and body.endswith("}]\n")
        assert ["Access-Control-Allow-Origin", "*"] in headers
        assert ["Content-Length", str(len(body.encode()))] in headers


def test_the_other_forms_keep_their_own_answers(seen: dict[str, Any]) -> None:
    # Spot checks that the cases reach the branches they are named for (the full answers are Flask's, above).
    statuses = {name: case["whole chain"][0].split()[0] for name, case in seen["cases"].items()}
    assert statuses["percent-encoded"] == statuses["with_base_url"] == statuses["token in query"] == "200"
    assert "service_base_url" in seen["cases"]["with_base_url"]["whole chain"][2]
    assert statuses["unknown key"] == "404"
    assert statuses["id not a number"] == statuses["id out of range"] == statuses["no selector"] == "400"
    assert statuses["unknown caller"] == statuses["expired token"] == statuses["no service_uuid"] == "401"
    assert statuses["no token"] == statuses["other scheme"] == statuses["malformed header"] == "401"
    assert statuses["POST"] == "405"
    assert statuses["trailing slash"] in {"308", "404"}


def test_a_redis_failure_hands_the_request_to_flask(seen: dict[str, Any]) -> None:
    broken = seen["broken redis"]
    assert broken["direct"] is False
    assert broken["answer"] == seen["cases"]["by key"]["flask"]


def test_direct_answers_are_logged_like_the_others(seen: dict[str, Any]) -> None:
    logged = seen["access lines"]
    for query in ("service_key=FileTransferService", "id_service="):
        assert any(
            line["path"] == "/api/service/services"
            and (line["query"] or "").startswith(query)
            and line["status"] == 200
            for line in logged
        ), query
