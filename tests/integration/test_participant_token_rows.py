"""A participant's token check reads both participants in one statement (TERASERVER_FAST_PATHS) and answers as the
plain check does, on the real database and Redis.

`participant_auth.verify_participant_token` tries the token as a static token (the participant holding it in
`participant_token`), then as a dynamic one (the participant its claims name). With fast paths, both participants
come from one prepared statement and the Redis values of both checks from one round trip. The probe below runs
inside the session stack's TeraServer container: in a transaction it rolls back, it adds participants in every
state that matters (enabled or not, token enabled or not, soft-deleted) with static and dynamic tokens, good and
bad (wrong key, wrong uuid, expired, revoked, unknown), then asks each token of both checks: the same participant
and access level, or the same refusal.
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import ROWS_PRELUDE, teraserver_probe

from devstack.testing.stack import Stack

PROBE = (
    ROWS_PRELUDE
    + """
import dataclasses, time
import jwt
from opentera.redis.RedisVars import RedisVars
from teraserver import context, participant_auth
from teraserver.redis_state import PARTICIPANT_DISABLED_TOKENS

def outcome(token):
    found = participant_auth.verify_participant_token(token)
    session.expunge_all()
    return None if found is None else [found[0].id_participant, found[0].participant_uuid, found[1]]

with app.app_context():
    session = BaseModel.db().session
    client = context.redis_client()
    static_key = client.get(RedisVars.RedisVar_ParticipantStaticTokenAPIKey)
    dynamic_key = client.get(RedisVars.RedisVar_ParticipantTokenAPIKey)
    site = row(TeraSite, site_name="Token probe site")
    project = row(TeraProject, project_name="Token probe project", id_site=site)
    people = {}
    def participant(name, enabled=True, token_enabled=True, **extra):
        participant_uuid = new_uuid()
        id_participant = row(TeraParticipant, participant_uuid=participant_uuid, participant_name=name,
                             id_project=project, participant_token_enabled=token_enabled,
                             participant_enabled=enabled, participant_login_enabled=False, **extra)
        people[name] = (id_participant, participant_uuid)
        return id_participant, participant_uuid
    def static(key, participant_uuid, id_participant):
        return jwt.encode({"iss": "TeraServer", "jti": new_uuid(), "participant_uuid": participant_uuid,
                           "id_participant": id_participant}, key, algorithm="HS256")
    def dynamic(key, participant_uuid, id_participant, lifetime=3600):
        now_s = int(time.time())
        return jwt.encode({"iat": now_s, "exp": now_s + lifetime, "iss": "TeraServer", "jti": new_uuid(),
                           "participant_uuid": participant_uuid, "id_participant": id_participant}, key,
                          algorithm="HS256")
    tokens = {}
    def with_static(name, stored=True, key=None, uuid_of=None, **state):
        id_participant, participant_uuid = participant(name, **state)
        claimed = people[uuid_of][1] if uuid_of else participant_uuid
        token = static(key or static_key, claimed, id_participant)
        if stored:
            session.execute(TeraParticipant.__table__.update().where(
                TeraParticipant.__table__.c.id_participant == id_participant).values(participant_token=token))
        tokens[f"static: {name}"] = token
        return id_participant, participant_uuid
    with_static("enabled")
    with_static("disabled", enabled=False)
    with_static("token disabled", token_enabled=False)
    with_static("soft-deleted", **GONE)
    with_static("wrong key", key=b"not the key")
    with_static("someone else's uuid", uuid_of="enabled")
    with_static("not stored", stored=False)
    for name, state in {"dyn enabled": {}, "dyn disabled": {"enabled": False},
                        "dyn token disabled": {"token_enabled": False}, "dyn soft-deleted": GONE}.items():
        id_participant, participant_uuid = participant(name, **state)
        tokens[f"dynamic: {name}"] = dynamic(dynamic_key, participant_uuid, id_participant)
    id_participant, participant_uuid = people["dyn enabled"]
    tokens["dynamic: expired"] = dynamic(dynamic_key, participant_uuid, id_participant, lifetime=-10)
    tokens["dynamic: wrong key"] = dynamic(b"not the key", participant_uuid, id_participant)
    tokens["dynamic: unknown uuid"] = dynamic(dynamic_key, new_uuid(), 0)
    tokens["dynamic: revoked"] = revoked = dynamic(dynamic_key, participant_uuid, id_participant)
    enabled_id, enabled_uuid = people["enabled"]
    tokens["dynamic: of the static token's participant"] = dynamic(dynamic_key, enabled_uuid, enabled_id)
    tokens["garbage"] = "not-a-token"
    client.sadd(PARTICIPANT_DISABLED_TOKENS, revoked)
    session.flush()
    settings = context.settings()
    seen = {"cases": {}, "differences": []}
    try:
        for name, token in tokens.items():
            answers = {}
            for fast in (False, True):
                app.extensions["teraserver"]["settings"] = dataclasses.replace(settings, fast_paths=fast)
                answers[fast] = outcome(token)
            seen["cases"][name] = "refused" if answers[False] is None else ("full" if answers[False][2] else "limited")
            if answers[False] != answers[True]:
                seen["differences"].append({"case": name, "plain": answers[False], "fast": answers[True]})
    finally:
        app.extensions["teraserver"]["settings"] = settings
        client.srem(PARTICIPANT_DISABLED_TOKENS, revoked)
        session.rollback()
"""
)


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_the_fast_check_answers_as_the_plain_one(seen: dict[str, Any]) -> None:
    assert seen["differences"] == []


def test_the_probe_covers_both_kinds_of_token_and_refusals(seen: dict[str, Any]) -> None:
    cases = seen["cases"]
    assert cases["static: enabled"] == "limited"
    assert cases["dynamic: dyn enabled"] == "full"
    assert cases["dynamic: of the static token's participant"] == "full"
    for refused in (
        "static: disabled",
        "static: token disabled",
        "static: soft-deleted",
        "static: wrong key",
        "static: someone else's uuid",
        "dynamic: expired",
        "dynamic: revoked",
        "dynamic: dyn disabled",
        "dynamic: dyn soft-deleted",
        "garbage",
    ):
        assert cases[refused] == "refused", refused
