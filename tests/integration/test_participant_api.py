"""/api/participant/* through the front door: the three ways a participant logs in, what it reads and may not read,
session posts, asset access tokens, token refresh and logout, and the login throttle.

A world of rows on the session's stack: project P (session type T linked to it; U is not), participant A with a
real password and a static token (created through POST /api/user/participants), participant B in P, a device
linked to A and one that is not, sessions (S1 created by A, S2 with A as member only, S3 of B), and assets of A
in S1 (owner service linked to P) and S2 (owner service not linked to P), one of B in S3.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
import requests
from service_world import (
    Row,
    insert,
    link_service_project,
    new_device,
    new_participant,
    new_project,
    new_service,
    new_session_type,
    new_site,
    unique,
)
from test_login_events import login_events
from user_world import auth, link_session_type, new_asset

from devstack.testing import tokens
from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PASSWORD = "Participant-Passw0rd"
PARTICIPANT_KEY = "ParticipantTokenAPIKey"
SERVICE_KEY = "ServiceTokenAPIKey"
DISABLED_TOKENS = "participant_disabled_tokens"


@dataclass(frozen=True)
class Account:
    id: int
    uuid: str
    username: str
    static_token: str


@dataclass(frozen=True)
class ParticipantWorld:
    project: Row
    type_t: Row  # linked to the project
    type_u: Row  # not linked
    a: Account
    b: Row
    device_linked: Row
    device_other: Row
    s1: Row  # created by A, A member
    s2: Row  # A member, not its creator
    s3: Row  # B only
    service_linked: Row
    service_unlinked: Row
    asset_s1: Row
    asset_s2: Row
    asset_s3: Row


def new_login_participant(front: FrontDoorSession, admin_token: str, id_project: int) -> Account:
    """A participant with a real password and a static token, made by TeraServer itself."""
    username = unique("participant")
    body = {
        "participant": {
            "id_participant": 0,
            "id_project": id_project,
            "participant_name": "Name " + username,
            "participant_username": username,
            "participant_password": PASSWORD,
            "participant_login_enabled": True,
            "participant_token_enabled": True,
            "participant_enabled": True,
        }
    }
    response = front.post("/api/user/participants", json=body, headers=auth(admin_token))
    assert response.status_code == 200, response.text
    row = response.json()[0]
    assert row["participant_token"], row
    return Account(row["id_participant"], row["participant_uuid"], username, row["participant_token"])


def new_participant_session(stack: Stack, id_type: int, members: list[int], creator: int | None) -> Row:
    name = unique("Session")
    values = {
        "session_uuid": str(uuid.uuid4()),
        "id_session_type": id_type,
        "session_name": name,
        "session_start_datetime": "2026-01-02T03:04:05+00:00",
        "session_duration": 0,
        "session_status": 2,
        "id_creator_participant": creator,
    }
    id_session = int(insert(stack, "t_sessions", values, "id_session")[0])
    for id_participant in members:
        insert(
            stack,
            "t_sessions_participants",
            {"id_session": id_session, "id_participant": id_participant},
            "id_session_participant",
        )
    return Row(id=id_session, uuid=values["session_uuid"], name=name)


@pytest.fixture(scope="module")
def pworld(devstack: Stack, devstack_ca: Path) -> ParticipantWorld:
    with FrontDoorSession(devstack.base_url, devstack_ca) as front:
        admin_token = login(front, "admin", "admin")
        site = new_site(devstack)
        project = new_project(devstack, site.id)
        type_t, type_u = new_session_type(devstack, None), new_session_type(devstack, None)
        link_session_type(devstack, type_t.id, project.id)
        a = new_login_participant(front, admin_token, project.id)
        b = new_participant(devstack, project.id)
        device_linked, device_other = new_device(devstack, project.id), new_device(devstack, project.id)
        insert(
            devstack,
            "t_devices_participants",
            {"id_device": device_linked.id, "id_participant": a.id},
            "id_device_participant",
        )
        s1 = new_participant_session(devstack, type_t.id, [a.id], creator=a.id)
        s2 = new_participant_session(devstack, type_t.id, [a.id, b.id], creator=None)
        s3 = new_participant_session(devstack, type_t.id, [b.id], creator=None)
        service_linked, service_unlinked = new_service(devstack), new_service(devstack)
        link_service_project(devstack, service_linked.id, project.id)
        return ParticipantWorld(
            project=project,
            type_t=type_t,
            type_u=type_u,
            a=a,
            b=b,
            device_linked=device_linked,
            device_other=device_other,
            s1=s1,
            s2=s2,
            s3=s3,
            service_linked=service_linked,
            service_unlinked=service_unlinked,
            asset_s1=new_asset(devstack, s1.id, service_linked.uuid, a.id),
            asset_s2=new_asset(devstack, s2.id, service_unlinked.uuid, a.id),
            asset_s3=new_asset(devstack, s3.id, service_linked.uuid, b.id),
        )


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def participant_login(https: FrontDoorSession, account: Account) -> dict[str, Any]:
    response = https.get("/api/participant/login", headers=basic(account.username, PASSWORD))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def dynamic(https: FrontDoorSession, pworld: ParticipantWorld) -> str:
    """A fresh dynamic token of participant A (from a Basic login)."""
    return participant_login(https, pworld.a)["participant_token"]


def get(https: FrontDoorSession, path: str, headers: dict[str, str], **params: Any) -> requests.Response:
    return https.get(f"/api/participant{path}", headers=headers, params=params)


def assert_unauthorized(response: requests.Response, status: int = 401) -> None:
    assert response.status_code == status, response.text
    assert response.text == "Unauthorized"


# --- login, three ways ------------------------------------------------------------------------------------------------
def test_login_with_password(https: FrontDoorSession, pworld: ParticipantWorld, redis_client: redis.Redis) -> None:
    reply = participant_login(https, pworld.a)
    assert set(reply) == {
        "participant_name",
        "participant_uuid",
        "websocket_url",
        "session_types_info",
        "participant_token",
        "base_token",
    }
    assert reply["participant_uuid"] == pworld.a.uuid
    assert reply["participant_name"] == "Name " + pworld.a.username
    assert reply["base_token"] == pworld.a.static_token
    assert [st["id_session_type"] for st in reply["session_types_info"]] == [pworld.type_t.id]
    payload = jwt.decode(reply["participant_token"], redis_client.get(PARTICIPANT_KEY), algorithms=["HS256"])
    assert payload["participant_uuid"] == pworld.a.uuid
    assert payload["exp"] - payload["iat"] == 3600
    # The websocket id is remembered for 60 s, as the owner's uuid.
    url = reply["websocket_url"]
    assert url.startswith("wss://") and "/wss/participant?id=" in url
    ws_id = url.split("?id=", 1)[1]
    assert redis_client.get(ws_id) == pworld.a.uuid
    assert 0 < redis_client.ttl(ws_id) <= 60


def test_login_with_static_token_gives_no_dynamic_token(https: FrontDoorSession, pworld: ParticipantWorld) -> None:
    response = get(https, "/login", auth(pworld.a.static_token), with_websocket="true")
    assert response.status_code == 200, response.text
    reply = response.json()
    assert "participant_token" not in reply
    assert reply["base_token"] == pworld.a.static_token
    assert reply["websocket_url"].startswith("wss://")


def test_login_with_dynamic_token_gets_a_new_one(
    https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str
) -> None:
    response = get(https, "/login", auth(dynamic))
    assert response.status_code == 200, response.text
    assert response.json()["participant_token"] not in ("", dynamic)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "OpenTera invalid"},
        {"Authorization": "OpenTera"},
        basic("nobody-at-all", PASSWORD),
    ],
    ids=["nothing", "bad token", "no token", "unknown user"],
)
def test_login_refusals(https: FrontDoorSession, headers: dict[str, str]) -> None:
    assert_unauthorized(get(https, "/login", headers))


def test_static_token_in_query_string_is_not_accepted(https: FrontDoorSession, pworld: ParticipantWorld) -> None:
    assert_unauthorized(get(https, "/login", {}, token=pworld.a.static_token))
    assert_unauthorized(get(https, "/participants", {}, token=pworld.a.static_token))


# --- own data -------------------------------------------------------------------------------------------------------
def test_participants_full_minimal_and_static(https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str) -> None:
    full = get(https, "/participants", basic(pworld.a.username, PASSWORD))
    assert full.status_code == 200, full.text
    row = full.json()
    assert row["id_participant"] == pworld.a.id and row["id_project"] == pworld.project.id
    assert row["participant_username"] == pworld.a.username
    assert "participant_password" not in row
    assert get(https, "/participants", auth(dynamic)).json()["participant_uuid"] == pworld.a.uuid
    minimal = get(https, "/participants", auth(dynamic), list="true").json()
    assert minimal["id_participant"] == pworld.a.id and "participant_username" not in minimal
    static = get(https, "/participants", auth(pworld.a.static_token))
    assert static.status_code == 200
    assert static.json() == {"participant_name": "Name " + pworld.a.username}
    bad = get(https, "/participants", auth(dynamic), colour="red")
    assert bad.status_code == 400 and "colour" in bad.text


def test_participants_post_is_not_implemented(https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str) -> None:
    response = https.post("/api/participant/participants", json={}, headers=auth(dynamic))
    assert response.status_code == 501 and response.json() == "Not implemented"
    assert_unauthorized(https.post("/api/participant/participants", json={}, headers=auth(pworld.a.static_token)), 403)
    assert_unauthorized(https.post("/api/participant/participants", json={}))


def test_devices_only_linked_ones(https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str) -> None:
    response = get(https, "/devices", auth(dynamic))
    assert response.status_code == 200, response.text
    assert [d["id_device"] for d in response.json()] == [pworld.device_linked.id]
    assert {"device_uuid", "device_name", "id_device_type", "device_enabled"} <= set(response.json()[0])
    assert get(https, "/devices", auth(dynamic), id_device=pworld.device_other.id).json() == []
    one = get(https, "/devices", auth(dynamic), id_device=pworld.device_linked.id, list="true").json()
    assert [d["device_uuid"] for d in one] == [pworld.device_linked.uuid]
    assert get(https, "/devices", auth(dynamic), id_device="x").status_code == 400
    assert_unauthorized(get(https, "/devices", auth(pworld.a.static_token)), 403)


def test_sessions_member_or_creator(https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str) -> None:
    response = get(https, "/sessions", auth(dynamic))
    assert response.status_code == 200, response.text
    ids = {s["id_session"] for s in response.json()}
    assert {pworld.s1.id, pworld.s2.id} <= ids and pworld.s3.id not in ids
    assert get(https, "/sessions", auth(dynamic), id_session=pworld.s3.id).json() == []
    assert [s["id_session"] for s in get(https, "/sessions", auth(dynamic), id_session=pworld.s2.id).json()] == [
        pworld.s2.id
    ]
    assert len(get(https, "/sessions", auth(dynamic), limit=1).json()) == 1
    assert len(get(https, "/sessions", auth(dynamic), id_session=pworld.s1.id, limit=1).json()) == 1
    assert get(https, "/sessions", auth(dynamic), limit=-1).status_code == 400
    assert get(https, "/sessions", auth(dynamic), colour="red").status_code == 400
    assert_unauthorized(get(https, "/sessions", auth(pworld.a.static_token)), 403)


# --- session posts ----------------------------------------------------------------------------------------------------
def post_session(https: FrontDoorSession, token: str, session: Any) -> requests.Response:
    return https.post("/api/participant/sessions", json={"session": session}, headers=auth(token))


def new_session_body(pworld: ParticipantWorld, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id_session": 0,
        "id_session_type": pworld.type_t.id,
        "session_name": name,
        "session_status": 0,
        "session_start_datetime": datetime.now().isoformat(),
        "session_participants": [pworld.a.uuid],
        **extra,
    }


def test_static_token_creates_a_session_once(https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str) -> None:
    name = unique("posted")
    created = post_session(https, pworld.a.static_token, new_session_body(pworld, name))
    assert created.status_code == 200, created.text
    session = created.json()
    assert session["id_session"] > 0 and session["session_name"] == name
    assert session["id_creator_participant"] == pworld.a.id
    assert [p["participant_uuid"] for p in session["session_participants"]] == [pworld.a.uuid]
    # Same name, type, day and participants: the existing session is updated, not duplicated.
    again = post_session(https, pworld.a.static_token, new_session_body(pworld, name, session_status=2))
    assert again.status_code == 200, again.text
    assert again.json()["id_session"] == session["id_session"]
    assert again.json()["session_status"] == 2
    listed = get(https, "/sessions", auth(dynamic), id_session=session["id_session"]).json()
    assert [s["session_name"] for s in listed] == [name]


def test_session_updates_only_of_own_sessions(https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str) -> None:
    body = {"id_session": pworld.s1.id, "id_session_type": pworld.type_t.id, "session_comments": "updated"}
    response = post_session(https, dynamic, body)
    assert response.status_code == 200, response.text
    assert response.json()["session_comments"] == "updated"
    for other in (pworld.s2.id, pworld.s3.id, -1, "one"):
        refused = post_session(https, dynamic, {**body, "id_session": other})
        assert refused.status_code == 403 and refused.json() == "Unauthorized", other


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"id_session_type": "type-u"}, 403, "No access to session type"),
        ({"session_participants": None}, 400, "Missing session participants and/or users and/or devices"),
        ({"session_name": None}, 400, "Missing argument 'session name'"),
        ({"session_start_datetime": None}, 400, "Missing argument 'session_start_datetime'"),
        ({"id_session_type": None}, 400, "Missing id_session_type value"),
        ({"id_session": None}, 400, "Missing id_session value"),
        ({"session_participants": ["00000000-0000-0000-0000-000000000000"]}, 400, "Invalid participant uuid"),
        ({"session_start_datetime": "yesterday"}, 400, "session_start_datetime"),
        ({"session_status": "not-a-number"}, 400, "Invalid data"),
    ],
)
def test_bad_session_posts(
    https: FrontDoorSession, pworld: ParticipantWorld, change: dict[str, Any], status: int, message: str
) -> None:
    name = unique("refused")
    body = new_session_body(pworld, name)
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = pworld.type_u.id if value == "type-u" else value
    response = post_session(https, pworld.a.static_token, body)
    assert response.status_code == status, response.text
    assert message in response.json()
    assert "psycopg2" not in response.text and "SQL" not in response.text


def test_unknown_fields_of_a_new_session_are_ignored(https: FrontDoorSession, pworld: ParticipantWorld) -> None:
    """As upstream (a new row takes the fields its model has): the session is created without them."""
    name = unique("colourful")
    response = post_session(https, pworld.a.static_token, {**new_session_body(pworld, name), "session_colour": "red"})
    assert response.status_code == 200, response.text
    [session] = response.json() if isinstance(response.json(), list) else [response.json()]
    assert session["session_name"] == name and "session_colour" not in session


def test_session_post_needs_a_session_object(https: FrontDoorSession, pworld: ParticipantWorld) -> None:
    response = https.post("/api/participant/sessions", json={}, headers=auth(pworld.a.static_token))
    assert response.status_code == 400 and response.json() == "Missing session"
    assert_unauthorized(https.post("/api/participant/sessions", json={"session": {}}))


# --- assets -----------------------------------------------------------------------------------------------------------
def test_assets_with_urls_and_access_tokens(
    https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str, redis_client: redis.Redis
) -> None:
    response = get(https, "/assets", auth(dynamic), with_urls="true")
    assert response.status_code == 200, response.text
    by_uuid = {asset["asset_uuid"]: asset for asset in response.json()}
    assert set(by_uuid) == {pworld.asset_s1.uuid, pworld.asset_s2.uuid}
    key = redis_client.get(SERVICE_KEY)
    for asset_uuid, asset in by_uuid.items():
        payload = jwt.decode(asset["access_token"], key, algorithms=["HS256"])
        assert payload["asset_uuids"] == asset_uuid and payload["requester_uuid"] == pworld.a.uuid
        assert payload["exp"] - payload["iat"] == 1800
    linked = by_uuid[pworld.asset_s1.uuid]
    endpoint = f"/{pworld.service_linked.name.lower()}"
    assert linked["asset_url"].startswith("https://") and linked["asset_url"].endswith(f"{endpoint}/api/assets")
    assert linked["asset_infos_url"].endswith(f"{endpoint}/api/assets/infos")
    # The other asset's service is not linked to the participant's project: no URLs.
    unlinked = by_uuid[pworld.asset_s2.uuid]
    assert unlinked["asset_url"] is None and unlinked["asset_infos_url"] is None


def test_assets_selectors_and_token_only(https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str) -> None:
    only = get(https, "/assets", auth(dynamic), with_only_token="true").json()
    assert {frozenset(item) for item in only} == {frozenset({"asset_uuid", "access_token"})}
    # Both flags: upstream gives the uuid, the token and the URLs.
    both = get(https, "/assets", auth(dynamic), with_only_token="true", with_urls="true").json()
    assert {frozenset(item) for item in both} == {
        frozenset({"asset_uuid", "access_token", "asset_infos_url", "asset_url"})
    }
    by_id = get(https, "/assets", auth(dynamic), id_asset=pworld.asset_s1.id).json()
    assert [a["asset_uuid"] for a in by_id] == [pworld.asset_s1.uuid] and "access_token" not in by_id[0]
    assert get(https, "/assets", auth(dynamic), id_asset=pworld.asset_s3.id).json() == []
    assert get(https, "/assets", auth(dynamic), asset_uuid=pworld.asset_s3.uuid).json() == []
    by_session = get(https, "/assets", auth(dynamic), id_session=pworld.s1.id).json()
    assert [a["asset_uuid"] for a in by_session] == [pworld.asset_s1.uuid]
    refused = get(https, "/assets", auth(dynamic), id_session=pworld.s2.id)  # a member, not its creator
    assert refused.status_code == 403 and refused.json() == "No access to session"


def test_assets_with_a_static_token(https: FrontDoorSession, pworld: ParticipantWorld) -> None:
    static = auth(pworld.a.static_token)
    refused = get(https, "/assets", static, with_urls="true")
    assert refused.status_code == 403 and refused.json() == "Forbidden"
    plain = get(https, "/assets", static, id_session=pworld.s1.id, with_urls="true", with_only_token="true")
    assert plain.status_code == 200, plain.text
    (asset,) = plain.json()
    assert asset["asset_uuid"] == pworld.asset_s1.uuid
    assert not {"access_token", "asset_url", "asset_infos_url"} & set(asset)


# --- refresh and logout -----------------------------------------------------------------------------------------------
def test_refresh_revokes_the_old_token(
    https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str, redis_client: redis.Redis
) -> None:
    response = get(https, "/refresh_token", auth(dynamic))
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"refresh_token"}
    fresh = response.json()["refresh_token"]
    payload = jwt.decode(fresh, redis_client.get(PARTICIPANT_KEY), algorithms=["HS256"])
    assert payload["exp"] - payload["iat"] == 1800 and payload["participant_uuid"] == pworld.a.uuid
    assert redis_client.sismember(DISABLED_TOKENS, dynamic)
    assert_unauthorized(get(https, "/refresh_token", auth(dynamic)))
    assert_unauthorized(get(https, "/participants", auth(dynamic)))
    assert get(https, "/participants", auth(fresh)).status_code == 200


def test_refresh_needs_a_dynamic_token(https: FrontDoorSession, pworld: ParticipantWorld) -> None:
    assert_unauthorized(get(https, "/refresh_token", auth(pworld.a.static_token)), 403)
    assert_unauthorized(get(https, "/refresh_token", basic(pworld.a.username, PASSWORD)))
    assert_unauthorized(get(https, "/refresh_token", {}))


def test_logout_revokes_a_dynamic_token(
    https: FrontDoorSession, pworld: ParticipantWorld, dynamic: str, redis_client: redis.Redis
) -> None:
    response = get(https, "/logout", auth(dynamic))
    assert response.status_code == 200 and response.json() == "Participant logged out."
    assert redis_client.sismember(DISABLED_TOKENS, dynamic)
    assert_unauthorized(get(https, "/logout", auth(dynamic)))
    assert_unauthorized(get(https, "/participants", auth(dynamic)))


def test_logout_keeps_the_static_token(https: FrontDoorSession, pworld: ParticipantWorld) -> None:
    response = get(https, "/logout", auth(pworld.a.static_token))
    assert response.status_code == 200 and response.json() == "Participant logged out."
    assert get(https, "/participants", auth(pworld.a.static_token)).status_code == 200
    assert get(https, "/logout", basic(pworld.a.username, PASSWORD)).status_code == 200
    assert_unauthorized(get(https, "/logout", {}))


# --- throttle ---------------------------------------------------------------------------------------------------------
def test_five_wrong_passwords_lock_the_login(
    https: FrontDoorSession, devstack: Stack, pworld: ParticipantWorld, admin_token: str, redis_client: redis.Redis
) -> None:
    victim = new_login_participant(https, admin_token, pworld.project.id)
    key = f"ParticipantLoginAttempts.{victim.uuid}"
    for attempt in range(1, 6):
        assert_unauthorized(get(https, "/login", basic(victim.username, "wrong-password")))
        assert redis_client.get(key) == str(attempt)
    assert 0 < redis_client.ttl(key) <= 120
    # Locked, even with the right password (a refused attempt counts too, and restarts the window).
    assert_unauthorized(get(https, "/login", basic(victim.username, PASSWORD)))
    assert redis_client.get(key) == "6"
    # Tokens are not throttled.
    assert get(https, "/participants", auth(victim.static_token)).status_code == 200
    # Once the counter is gone (120 s later, or here deleted), the right password works and clears it.
    redis_client.delete(key)
    assert get(https, "/login", basic(victim.username, PASSWORD)).status_code == 200
    assert redis_client.get(key) is None


def test_participant_logins_are_login_events(
    devstack: Stack, https: FrontDoorSession, pworld: ParticipantWorld, admin_token: str
) -> None:
    someone = new_login_participant(https, admin_token, pworld.project.id)
    assert get(https, "/login", basic(someone.username, PASSWORD)).status_code == 200
    assert get(https, "/login", auth(someone.static_token)).status_code == 200
    assert_unauthorized(get(https, "/login", basic(someone.username, "wrong-password")))
    mine = [event for event in login_events(devstack) if event["participantUuid"] == someone.uuid]
    successes = [event for event in mine if event["loginStatus"] == "LOGIN_STATUS_SUCCESS"]
    assert [(e["list"], e["loginType"]) for e in successes] == [
        ("log.info", "LOGIN_TYPE_PASSWORD"),
        ("log.info", "LOGIN_TYPE_TOKEN"),
    ]
    (failure,) = [event for event in mine if event["list"] == "log.error"]
    assert failure["loginStatus"] == "LOGIN_STATUS_FAILED_WITH_WRONG_PASSWORD"
    assert failure["logHeader"]["sender"] == "LoginModule.participant_verify_password"


# --- the test kit's fixture -------------------------------------------------------------------------------------------
def test_participant_token_fixture(
    https: FrontDoorSession, pworld: ParticipantWorld, participant_token: tokens.ParticipantTokens
) -> None:
    dynamic = participant_token(pworld.a.username, PASSWORD)
    assert get(https, "/devices", auth(dynamic)).status_code == 200  # full access
    static = participant_token.static(pworld.a.username, PASSWORD)
    assert static == pworld.a.static_token
    assert_unauthorized(get(https, "/devices", auth(static)), 403)  # limited access
    with pytest.raises(tokens.ParticipantLoginError, match="401"):
        participant_token(pworld.a.username, "not-the-password")
