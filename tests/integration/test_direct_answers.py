"""The plain forms of the hottest GETs are answered in front of Flask, byte for byte as Flask answers them.

`api/direct.py` answers the plain form (one id, or no argument; the token in an `Authorization: OpenTera` header)
of the user participants and assets lists and of the device and participant reads the bench measures, with the
Flask handlers' own functions, and passes everything else on. These tests run the server's own WSGI chain inside
a TeraServer container holding upstream's test data, on its real PostgreSQL and Redis, and send each request both
through the whole chain and to the Flask app alone: the status, headers and body must be the same, the plain forms
of an accepted caller must be the ones answered directly, and everything else (refusals, other arguments, other
spellings, cookies, bodies, a Redis failure) must be Flask's.
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import DIRECT_PRELUDE, assert_every_answer_is_flasks, directly_answered, teraserver_probe

from devstack.testing.stack import Stack

PROBE = (
    DIRECT_PRELUDE
    + """
import base64, json, time
import jwt
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.redis.RedisVars import RedisVars
import redis
from teraserver import context, presence
from teraserver.redis_state import USER_DISABLED_TOKENS

with app.app_context():
    client = context.redis_client()
    devices = {d.id_device: d.device_token for d in TeraDevice.query.all()}
    participants = {p.id_participant: (p.participant_uuid, p.participant_token) for p in TeraParticipant.query.all()}

def basic(username, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}

def login(path, username, password, field):
    status, _headers, body = answer(app.wsgi_app, ("GET", path, "", basic(username, password)))
    assert status.startswith("200"), (path, username, status, body)
    return json.loads(body)[field]

def opentera(token):
    return {"Authorization": "OpenTera " + token}

admin = login("/api/user/login", "admin", "admin", "user_token")
user = login("/api/user/login", "user", "user", "user_token")
revoked = login("/api/user/login", "user2", "user2", "user_token")
client.sadd(USER_DISABLED_TOKENS, revoked)
participant = login("/api/participant/login", "participant1", "opentera", "participant_token")
user_key = client.get(RedisVars.RedisVar_UserTokenAPIKey)
claims = jwt.decode(admin, user_key, algorithms=["HS256"])
expired = jwt.encode({**claims, "exp": int(time.time()) - 10}, user_key, algorithm="HS256")

P, A = "/api/user/participants", "/api/user/assets"
DP, DD, PD = "/api/device/participants", "/api/device/devices", "/api/participant/devices"
cases = {
    # user participants of a project
    "participants: admin": ("GET", P, "id_project=1", opentera(admin)),
    "participants: user": ("GET", P, "id_project=1", opentera(user)),
    "participants: a project the user does not see": ("GET", P, "id_project=3", opentera(user)),
    "participants: unknown project": ("GET", P, "id_project=999", opentera(admin)),
    "participants: project 0": ("GET", P, "id_project=0", opentera(admin)),
    "participants: leading zero": ("GET", P, "id_project=01", opentera(admin)),
    "participants: not a number": ("GET", P, "id_project=abc", opentera(admin)),
    "participants: out of range": ("GET", P, "id_project=99999999999", opentera(admin)),
    "participants: percent-encoded": ("GET", P, "id_project=%31", opentera(admin)),
    "participants: list": ("GET", P, "id_project=1&list=true", opentera(admin)),
    "participants: other selector": ("GET", P, "id_site=1", opentera(admin)),
    "participants: lower-case scheme": ("GET", P, "id_project=1", {"Authorization": "opentera " + admin}),
    "participants: two spaces": ("GET", P, "id_project=1", {"Authorization": "OpenTera  " + admin}),
    "participants: revoked token": ("GET", P, "id_project=1", opentera(revoked)),
    "participants: expired token": ("GET", P, "id_project=1", opentera(expired)),
    "participants: garbage token": ("GET", P, "id_project=1", opentera("garbage")),
    "participants: no token": ("GET", P, "id_project=1", {}),
    "participants: with a cookie": ("GET", P, "id_project=1", {**opentera(admin), "Cookie": "session=x"}),
    "participants: with a body": ("GET", P, "id_project=1", opentera(admin), b"{}"),
    "participants: POST": ("POST", P, "id_project=1", opentera(admin)),
    "participants: HEAD": ("HEAD", P, "id_project=1", opentera(admin)),
    "participants: trailing slash": ("GET", P + "/", "id_project=1", opentera(admin)),
    # user assets of a participant
    "assets: admin": ("GET", A, "id_participant=1", opentera(admin)),
    "assets: user": ("GET", A, "id_participant=1", opentera(user)),
    "assets: a participant the user does not see": ("GET", A, "id_participant=4", opentera(user)),
    "assets: unknown participant": ("GET", A, "id_participant=999", opentera(admin)),
    "assets: participant 2": ("GET", A, "id_participant=2", opentera(admin)),
    "assets: participant 3": ("GET", A, "id_participant=3", opentera(admin)),
    "assets: participant 4": ("GET", A, "id_participant=4", opentera(admin)),
    "assets: with_urls": ("GET", A, "id_participant=1&with_urls=true", opentera(admin)),
    "assets: full": ("GET", A, "id_participant=1&full=true", opentera(admin)),
    "assets: other selector": ("GET", A, "id_device=1", opentera(admin)),
    "assets: expired token": ("GET", A, "id_participant=1", opentera(expired)),
    # user projects with their counts
    "projects: admin": ("GET", "/api/user/projects", "list=true", opentera(admin)),
    "projects: user": ("GET", "/api/user/projects", "list=true", opentera(user)),
    "projects: list=1": ("GET", "/api/user/projects", "list=1", opentera(admin)),
    "projects: list=false": ("GET", "/api/user/projects", "list=false", opentera(admin)),
    "projects: no argument": ("GET", "/api/user/projects", "", opentera(admin)),
    "projects: expired token": ("GET", "/api/user/projects", "list=true", opentera(expired)),
    # the device's participants and devices
    "device participants: device 1": ("GET", DP, "", opentera(devices[1])),
    "device participants: device 2": ("GET", DP, "", opentera(devices[2])),
    "device participants: disabled device": ("GET", DP, "", opentera(devices[3])),
    "device participants: token argument": ("GET", DP, "token=" + devices[1], {}),
    "device participants: an argument": ("GET", DP, "x=1", opentera(devices[1])),
    "device participants: lower-case scheme": ("GET", DP, "", {"Authorization": "opentera " + devices[1]}),
    "device participants: a user token": ("GET", DP, "", opentera(admin)),
    "device devices: device 1": ("GET", DD, "", opentera(devices[1])),
    "device devices: device 2": ("GET", DD, "", opentera(devices[2])),
    "device devices: disabled device": ("GET", DD, "", opentera(devices[3])),
    "device devices: token argument": ("GET", DD, "token=" + devices[1], {}),
    # the participant's devices
    "participant devices: dynamic token": ("GET", PD, "", opentera(participant)),
    "participant devices: static token": ("GET", PD, "", opentera(participants[1][1])),
    "participant devices: Basic": ("GET", PD, "", basic("participant1", "opentera")),
    "participant devices: id_device": ("GET", PD, "id_device=1", opentera(participant)),
    "participant devices: list": ("GET", PD, "list=true", opentera(participant)),
    "participant devices: a device token": ("GET", PD, "", opentera(devices[1])),
}

seen = {}
# Participant 1 online, participant 2 busy: the statuses read in the token check's round trip.
online_key, busy_key = presence.PRESENCE_KEY.format(kind="participant"), presence.BUSY_KEY.format(kind="participant")
member = participants[1][0] + " probe-connection"
client.zadd(online_key, {member: time.time() + 600})
client.hset(busy_key, participants[2][0], "probe-session")
try:
    seen["cases"] = compare(cases)
    # A Redis failure in the direct path hands the request to Flask instead of failing it (the device's reads
    # use no Redis).
    extensions = app.extensions["teraserver"]
    working = extensions["redis"]
    extensions["redis"] = redis.Redis(host="127.0.0.1", port=1)
    try:
        names = ("participants: admin", "assets: admin", "participant devices: dynamic token")
        seen["broken redis"] = {name: direct.answer(environ(*cases[name])) is not None for name in names}
    finally:
        extensions["redis"] = working
finally:
    client.zrem(online_key, member)
    client.hdel(busy_key, participants[2][0])
    client.srem(USER_DISABLED_TOKENS, revoked)
"""
)

DIRECT = {
    "participants: admin",
    "participants: user",
    "participants: leading zero",
    "assets: admin",
    "assets: user",
    "assets: participant 2",
    "assets: participant 3",
    "assets: participant 4",
    "projects: admin",
    "projects: user",
    "device participants: device 1",
    "device participants: device 2",
    "device devices: device 1",
    "device devices: device 2",
    "participant devices: dynamic token",
}


@pytest.fixture(scope="module")
def seen(upstream_data_stack: Stack) -> dict[str, Any]:
    return teraserver_probe(upstream_data_stack, PROBE)


def test_only_the_plain_forms_of_accepted_callers_are_answered_directly(seen: dict[str, Any]) -> None:
    assert directly_answered(seen) == DIRECT


def test_every_request_gets_the_answer_flask_gives(seen: dict[str, Any]) -> None:
    assert_every_answer_is_flasks(seen)


def test_the_direct_answers_hold_the_data(seen: dict[str, Any]) -> None:
    def body(name: str) -> str:
        status, _headers, text = seen["cases"][name]["whole chain"]
        assert status == "200 OK", name
        return text

    participants = body("participants: admin")
    assert participants.count('"id_participant"') == 3
    # The presence state read in the token check's Redis round trip (the probe set participant 1 online, 2 busy).
    assert '"participant_online": true' in participants and '"participant_busy": true' in participants
    assets = body("assets: admin")
    assert assets.startswith("[{") and assets.count('"id_asset"') == 7
    assert '"project_participant_count": 3' in body("projects: admin")
    assert '"participants_info": [{' in body("device participants: device 1")
    assert '"device_info"' in body("device devices: device 1")
    assert '"id_device"' in body("participant devices: dynamic token")


def test_the_other_forms_keep_their_own_answers(seen: dict[str, Any]) -> None:
    # Spot checks that the cases reach the branches they are named for (the full answers are Flask's, above).
    statuses = {name: case["whole chain"][0].split()[0] for name, case in seen["cases"].items()}
    for name in ("participants: percent-encoded", "participants: list", "participants: lower-case scheme"):
        assert statuses[name] == "200", name
    assert seen["cases"]["participants: unknown project"]["whole chain"][2] == "null\n"
    assert statuses["participants: project 0"] == statuses["participants: not a number"] == "400"
    for name in ("revoked token", "expired token", "garbage token", "no token"):
        assert statuses[f"participants: {name}"] == "401", name
    assert statuses["assets: a participant the user does not see"] == "403"
    assert statuses["device participants: disabled device"] == "401"
    assert statuses["device participants: token argument"] == "200"
    assert statuses["participant devices: static token"] == "403"


def test_a_redis_failure_hands_the_request_to_flask(seen: dict[str, Any]) -> None:
    assert seen["broken redis"] == {
        "participants: admin": False,
        "assets: admin": False,
        "participant devices: dynamic token": False,
    }
