"""/api/device/*: a device client registers, logs in with its static token, reads its data and writes sessions.

A world of rows on the session's `devstack` (unique names, created through SQL with the helpers of
service_world): a project with two participants, a session type and a service linked to it, and
three devices registered through GET /api/device/register, two of them then enabled by the superadmin and
linked to the project (the onlineable one also to both participants). Everything else goes through the front
door as a device client would.
"""

from __future__ import annotations

import subprocess
import time
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
    VERSION,
    Row,
    insert,
    link_service_project,
    new_participant,
    new_project,
    new_service,
    new_session,
    new_session_type,
    new_site,
    unique,
)
from user_world import link_session_type

from devstack.testing import tokens
from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

SECURITY_REFUSAL = "Forbidden for security reasons"


@dataclass(frozen=True)
class Device:
    id: int
    uuid: str
    token: str
    name: str


@dataclass(frozen=True)
class DeviceWorld:
    registration_key: str
    type_key: str
    project: Row
    participant_1: Row
    participant_2: Row
    outsider: Row  # participant of another project
    session_type: Row  # linked to the project
    hidden_type: Row  # linked to no project
    service: Row  # linked to the project
    other_service: Row  # linked to no project
    device: Device  # enabled, onlineable, in the project, with both participants
    plain: Device  # enabled, not onlineable, in the project, no participant
    disabled: Device  # registered, never enabled


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def register(front: FrontDoorSession, key: str, name: str, type_key: str, **params: Any) -> dict[str, Any]:
    return tokens.register_device(front, key, name, type_key, **params)


def registration_key(stack: Stack) -> str:
    return stack.psql(tokens.DEVICE_REGISTER_KEY_SQL)[0][0]


def build_world(stack: Stack, front: FrontDoorSession) -> DeviceWorld:
    admin_token = login(front, "admin", "admin")
    key = registration_key(stack)
    type_key = unique("devtype")
    site, other_site = new_site(stack), new_site(stack)
    project, other_project = new_project(stack, site.id), new_project(stack, other_site.id)
    participant_1, participant_2 = new_participant(stack, project.id), new_participant(stack, project.id)
    session_type, hidden_type = new_session_type(stack, None), new_session_type(stack, None)
    link_session_type(stack, session_type.id, project.id)
    service, other_service = new_service(stack), new_service(stack)
    link_service_project(stack, service.id, project.id)

    devices = []
    for onlineable in (True, False):
        name = unique("Device")
        answer = register(front, key, name, type_key, onlineable=onlineable)
        id_device = tokens.enable_device(front, admin_token, answer["device_uuid"])
        insert(stack, "t_devices_projects", {"id_device": id_device, "id_project": project.id}, "id_device_project")
        devices.append(Device(id_device, answer["device_uuid"], answer["device_token"], name))
    for participant in (participant_1, participant_2):
        values = {"id_device": devices[0].id, "id_participant": participant.id}
        insert(stack, "t_devices_participants", values, "id_device_participant")
    name = unique("Disabled")
    answer = register(front, key, name, type_key)
    id_disabled = int(
        stack.psql(f"SELECT id_device FROM t_devices WHERE device_uuid = '{answer['device_uuid']}'")[0][0]
    )
    return DeviceWorld(
        registration_key=key,
        type_key=type_key,
        project=project,
        participant_1=participant_1,
        participant_2=participant_2,
        outsider=new_participant(stack, other_project.id),
        session_type=session_type,
        hidden_type=hidden_type,
        service=service,
        other_service=other_service,
        device=devices[0],
        plain=devices[1],
        disabled=Device(id_disabled, answer["device_uuid"], answer["device_token"], name),
    )


@pytest.fixture(scope="module")
def world(devstack: Stack, devstack_ca: Path) -> DeviceWorld:
    with FrontDoorSession(devstack.base_url, devstack_ca) as front:
        return build_world(devstack, front)


@pytest.fixture
def raw_client(devstack: Stack) -> Any:
    client = devstack.redis(decode_responses=False)
    yield client
    client.close()


def get(https: FrontDoorSession, path: str, token: str, **params: Any) -> requests.Response:
    return https.get(f"/api/device{path}", headers=auth(token), params=params)


def post(https: FrontDoorSession, path: str, token: str, body: Any) -> requests.Response:
    return https.post(f"/api/device{path}", headers=auth(token), json=body)


def answer(response: requests.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


# --- register ----------------------------------------------------------------------------------------------------
def test_register_creates_a_disabled_device_with_a_token(https: FrontDoorSession, devstack: Stack) -> None:
    key = registration_key(devstack)
    type_key, subtype = unique("newtype"), unique("subtype")
    name = unique("Registered")
    body = register(https, key, name, type_key, subtype_name=subtype)
    assert set(body) >= {"device_uuid", "device_name", "device_enabled", "device_token"}
    assert not {"id_device", "id_device_type", "id_device_subtype", "device_onlineable", "device_config"} & set(body)
    assert body["device_name"] == name
    assert body["device_enabled"] is False
    row = devstack.psql(
        "SELECT d.device_token, d.device_onlineable, t.device_type_name, s.device_subtype_name FROM t_devices d "
        "JOIN t_devices_types t USING (id_device_type) JOIN t_devices_subtypes s USING (id_device_subtype) "
        f"WHERE d.device_uuid = '{body['device_uuid']}'"
    )
    assert row == [[body["device_token"], "f", type_key, subtype]]
    # The type (and subtype) of that key are reused by the next registration.
    again = register(https, key, unique("Registered"), type_key, subtype_name=subtype, onlineable=True)
    count = devstack.psql(f"SELECT count(*) FROM t_devices_types WHERE device_type_key = '{type_key}'")
    assert count == [["1"]]
    assert devstack.psql(f"SELECT device_onlineable FROM t_devices WHERE device_uuid = '{again['device_uuid']}'") == [
        ["t"]
    ]
    # Its token is refused until an administrator enables it.
    assert answer(get(https, "/login", body["device_token"])) == (401, "Disabled device")


def wait_out_rate_limit(https: FrontDoorSession, params: dict[str, Any]) -> requests.Response:
    deadline = time.monotonic() + 10
    while True:
        response = https.get("/api/device/register", params=params)
        if response.status_code != 429 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_register_refusals(https: FrontDoorSession, world: DeviceWorld) -> None:
    params = {"key": "not-the-key", "name": "x", "type_key": world.type_key}
    # One request per second per client address: the next one, right away, is turned down (tried again should
    # a loaded machine take a second between the two).
    for _ in range(3):
        assert answer(wait_out_rate_limit(https, params)) == (401, "Invalid registration key")
        started = time.monotonic()
        limited = https.get("/api/device/register", params=params)
        if time.monotonic() - started < 0.5:
            break
    assert answer(limited) == (429, {"message": "Rate Limited"})
    missing = wait_out_rate_limit(https, {"key": world.registration_key, "name": "x"})
    assert missing.status_code == 400
    assert "type_key" in missing.json()["errors"]
    unknown = wait_out_rate_limit(https, {**params, "key": world.registration_key, "colour": "red"})
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["message"]


def test_register_with_a_certificate_request(https: FrontDoorSession, world: DeviceWorld, tmp_path: Path) -> None:
    csr = subprocess.run(
        ["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test-device"]
        + ["-keyout", str(tmp_path / "key.pem")],
        check=True,
        capture_output=True,
    ).stdout
    params = {"key": world.registration_key, "name": unique("CertDevice"), "type_key": world.type_key}
    headers = {"Content-Type": "application/octet-stream"}

    def post_register(data: bytes, content_type: str = "application/octet-stream") -> requests.Response:
        deadline = time.monotonic() + 10
        while True:
            response = https.post(
                "/api/device/register", params=params, data=data, headers={**headers, "Content-Type": content_type}
            )
            if response.status_code != 429 or time.monotonic() > deadline:
                return response
            time.sleep(0.2)

    assert answer(post_register(csr, "text/plain")) == (400, "Invalid content type")
    assert answer(post_register(b"not a certificate request")) == (400, "Invalid CSR")
    response = post_register(csr)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"device_certificate", "ca_info", "device_token", "device_uuid"} <= set(body)
    assert body["device_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert body["ca_info"].startswith("-----BEGIN CERTIFICATE-----")
    certificate = subprocess.run(
        ["openssl", "x509", "-noout", "-subject"], input=body["device_certificate"].encode(), capture_output=True
    ).stdout.decode()
    assert body["device_uuid"] in certificate
    # The certificate is signed by the CA it answered with.
    (tmp_path / "ca.pem").write_text(body["ca_info"])
    (tmp_path / "device.pem").write_text(body["device_certificate"])
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "device.pem")], capture_output=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


# --- authentication and login ------------------------------------------------------------------------------------
def test_login_with_the_token_in_the_header_or_the_query(
    https: FrontDoorSession, world: DeviceWorld, redis_client: redis.Redis
) -> None:
    by_header = get(https, "/login", world.device.token)
    assert by_header.status_code == 200, by_header.text
    body = by_header.json()
    assert set(body) == {"device_info", "participants_info", "session_types_info", "websocket_url"}
    info = body["device_info"]
    assert (info["id_device"], info["device_uuid"], info["device_name"]) == (
        world.device.id,
        world.device.uuid,
        world.device.name,
    )
    assert info["device_type"] == world.type_key  # the type's name (= its key when registration created it)
    assert info["device_token"] == world.device.token
    assert info["device_onlineable"] is True
    assert info["device_lastonline"] is not None
    assert sorted(body["participants_info"], key=lambda p: p["participant_name"]) == sorted(
        [{"participant_name": p.name, "participant_uuid": p.uuid} for p in (world.participant_1, world.participant_2)],
        key=lambda p: p["participant_name"],
    )
    assert [t["id_session_type"] for t in body["session_types_info"]] == [world.session_type.id]
    url = body["websocket_url"]
    assert url.startswith("wss://") and "/wss/device?id=" in url
    assert redis_client.get(url.split("id=", 1)[1]) == world.device.uuid

    by_query = https.get("/api/device/login", params={"token": world.plain.token})
    assert by_query.status_code == 200, by_query.text
    plain = by_query.json()
    assert "websocket_url" not in plain  # not onlineable
    assert plain["participants_info"] == []
    assert plain["device_info"]["id_device"] == world.plain.id


def test_login_refuses_unknown_arguments(https: FrontDoorSession, world: DeviceWorld) -> None:
    response = get(https, "/login", world.plain.token, colour="red")
    assert response.status_code == 400
    assert "colour" in response.json()["message"]


@pytest.mark.parametrize("path", ["/login", "/devices", "/participants", "/assets", "/sessions", "/logout"])
def test_bad_tokens_are_refused(https: FrontDoorSession, world: DeviceWorld, admin_token: str, path: str) -> None:
    url = f"/api/device{path}"
    assert answer(https.get(url)) == (401, "Unauthorized")
    assert answer(https.get(url, headers=auth("not-a-token"))) == (401, "Unauthorized")
    assert answer(https.get(url, params={"token": "not-a-token"})) == (401, "Unauthorized")
    assert answer(https.get(url, headers=auth(admin_token))) == (401, "Unauthorized")  # a user token is no device's
    assert answer(https.get(url, headers={"Authorization": "OpenTera"})) == (401, "Invalid token")
    assert answer(https.get(url, headers=auth(world.disabled.token))) == (401, "Disabled device")
    assert answer(https.get(url, params={"token": world.disabled.token})) == (401, "Unauthorized")
    # A client certificate's header is not trusted (the certificate form is not implemented).
    assert https.get(url, headers={"X-Device-Uuid": world.device.uuid}).status_code == 401
    # A header token that matches no device leaves the query's token to decide, as upstream.
    fallback = https.get(url, headers=auth("not-a-token"), params={"token": world.plain.token})
    assert fallback.status_code != 401


def test_unregistered_methods_are_405(https: FrontDoorSession, world: DeviceWorld) -> None:
    headers = auth(world.device.token)
    assert https.delete("/api/device/devices", headers=headers).status_code == 405
    assert https.post("/api/device/login", headers=headers).status_code == 405
    assert https.get("/api/device/status", headers=headers).status_code == 405
    assert https.delete("/api/device/assets", headers=headers).status_code == 405


# --- own data ----------------------------------------------------------------------------------------------------
def test_devices_get_answers_the_minimal_device(https: FrontDoorSession, world: DeviceWorld) -> None:
    status, body = answer(get(https, "/devices", world.device.token))
    assert status == 200
    assert set(body) == {"device_info", "participants_info", "session_types_info"}
    assert body["device_info"]["device_uuid"] == world.device.uuid
    minimal_type = {"id_session_type", "id_service", "session_type_name", "session_type_color", "session_type_category"}
    assert all(set(info) == minimal_type for info in body["session_types_info"])  # upstream 1.3.0's minimal form
    assert "device_token" not in body["device_info"] and "device_config" not in body["device_info"]
    assert {p["participant_uuid"] for p in body["participants_info"]} == {
        world.participant_1.uuid,
        world.participant_2.uuid,
    }


def test_device_updates_only_its_own_config(https: FrontDoorSession, world: DeviceWorld, devstack: Stack) -> None:
    config = '{"volume": 7}'
    body = {"device": {"device_config": config, "device_name": "renamed", "device_enabled": False}}
    status, updated = answer(post(https, "/devices", world.plain.token, body))
    assert status == 200
    assert isinstance(updated, list) and updated[0]["device_config"] == config
    assert updated[0]["device_name"] == world.plain.name  # other fields are dropped
    assert updated[0]["device_enabled"] is True
    row = devstack.psql(f"SELECT device_config, device_name FROM t_devices WHERE id_device = {world.plain.id}")
    assert row == [[config, world.plain.name]]

    other = {"device": {"id_device": world.device.id, "device_config": "{}"}}
    assert answer(post(https, "/devices", world.plain.token, other)) == (403, "Forbidden")
    assert answer(post(https, "/devices", world.plain.token, {"device": {"device_name": "x"}})) == (
        400,
        "Missing config",
    )
    assert answer(post(https, "/devices", world.plain.token, {"config": {}})) == (400, "Missing device schema")
    refused = post(https, "/devices", world.plain.token, {"device": {"device_config": {"not": "a string"}}})
    assert refused.status_code == 400
    assert "psycopg2" not in refused.text and "sqlalchemy" not in refused.text.lower()


def test_participants_for_onlineable_devices_only(https: FrontDoorSession, world: DeviceWorld) -> None:
    status, body = answer(get(https, "/participants", world.device.token))
    assert status == 200
    participants = {p["participant_uuid"]: p for p in body["participants_info"]}
    assert set(participants) == {world.participant_1.uuid, world.participant_2.uuid}
    assert participants[world.participant_1.uuid]["id_participant"] == world.participant_1.id  # full JSON
    assert answer(get(https, "/participants", world.plain.token)) == (403, "Invalid request")


# --- sessions ----------------------------------------------------------------------------------------------------
def new_session_body(world: DeviceWorld, name: str, **fields: Any) -> dict[str, Any]:
    session = {
        "id_session": 0,
        "session_participants": [world.participant_1.uuid, world.participant_2.uuid],
        "id_session_type": world.session_type.id,
        "session_name": name,
        "session_status": 0,
        "session_start_datetime": datetime.now().astimezone().isoformat(),
    }
    return {"session": {**session, **fields}}


def test_device_creates_and_updates_its_session(https: FrontDoorSession, world: DeviceWorld, devstack: Stack) -> None:
    name = unique("DeviceSession")
    # The creator is always the caller, whatever is posted.
    body = new_session_body(world, name, id_creator_device=world.plain.id)
    status, created = answer(post(https, "/sessions", world.device.token, body))
    assert status == 200, created
    assert isinstance(created, dict)
    assert created["id_session"] > 0
    assert created["id_creator_device"] == world.device.id
    assert created["session_name"] == name
    members = devstack.psql(
        f"SELECT id_participant FROM t_sessions_participants WHERE id_session = {created['id_session']}"
    )
    assert sorted(int(row[0]) for row in members) == sorted([world.participant_1.id, world.participant_2.id])

    # Same name, type, day and participants: upstream hands back the existing session.
    again = post(https, "/sessions", world.device.token, new_session_body(world, name, session_status=1))
    assert again.status_code == 200
    assert again.json()["id_session"] == created["id_session"]
    assert again.json()["session_status"] == 1

    update = {
        "session": {
            "id_session": created["id_session"],
            "id_session_type": world.session_type.id,
            "session_name": name + "-renamed",
            "session_comments": "from the device",
        }
    }
    status, updated = answer(post(https, "/sessions", world.device.token, update))
    assert status == 200, updated
    assert (updated["session_name"], updated["session_comments"]) == (name + "-renamed", "from the device")

    # Another device may not touch it.
    assert answer(post(https, "/sessions", world.plain.token, update)) == (403, "Unauthorized")


def test_session_refusals(https: FrontDoorSession, world: DeviceWorld, devstack: Stack) -> None:
    token = world.device.token
    assert answer(post(https, "/sessions", token, {})) == (400, "Missing session")
    assert answer(post(https, "/sessions", token, {"session": {"id_session_type": 1}})) == (
        400,
        "Missing id_session value",
    )
    assert answer(post(https, "/sessions", token, {"session": {"id_session": 0}})) == (
        400,
        "Missing id_session_type value",
    )
    no_members = {"session": {"id_session": 0, "id_session_type": world.session_type.id}}
    assert answer(post(https, "/sessions", token, no_members)) == (
        400,
        "Missing session participants and/or users and/or devices",
    )
    hidden = new_session_body(world, unique("Hidden"), id_session_type=world.hidden_type.id)
    assert answer(post(https, "/sessions", token, hidden)) == (403, "No access to session type")
    nameless = new_session_body(world, "x")
    del nameless["session"]["session_name"]
    assert answer(post(https, "/sessions", token, nameless)) == (400, "Missing argument 'session name'")
    undated = new_session_body(world, "x")
    del undated["session"]["session_start_datetime"]
    assert answer(post(https, "/sessions", token, undated)) == (400, "Missing argument 'session_start_datetime'")

    name = unique("Ghost")
    ghost = new_session_body(world, name, session_participants=[str(uuid.uuid4())])
    assert answer(post(https, "/sessions", token, ghost)) == (400, "Invalid participant uuid")
    assert devstack.psql(f"SELECT count(*) FROM t_sessions WHERE session_name = '{name}'") == [["0"]]
    bad_date = post(https, "/sessions", token, new_session_body(world, name, session_start_datetime="yesterday"))
    assert bad_date.status_code == 400
    unknown = post(https, "/sessions", token, new_session_body(world, name, session_colour="red"))
    assert unknown.status_code == 400 and "session_colour" in unknown.json()

    # A session it did not create (a service's) is out of reach, even with an accessible type.
    foreign = new_session(devstack, world.session_type.id, world.participant_1.id)
    update = {"session": {"id_session": foreign.id, "id_session_type": world.session_type.id, "session_name": "x"}}
    assert answer(post(https, "/sessions", token, update)) == (403, "Unauthorized")


def test_devices_never_read_or_delete_sessions(https: FrontDoorSession, world: DeviceWorld) -> None:
    headers = auth(world.device.token)
    for path in ("/api/device/sessions", "/api/device/sessions/events"):
        assert answer(https.get(path, headers=headers, params={"id_session": 1})) == (403, SECURITY_REFUSAL)
        assert answer(https.delete(path, headers=headers, params={"id": 1})) == (403, SECURITY_REFUSAL)


def test_session_events(https: FrontDoorSession, world: DeviceWorld, devstack: Stack) -> None:
    token = world.device.token
    created = post(https, "/sessions", token, new_session_body(world, unique("Events"))).json()
    event = {
        "id_session_event": 0,
        "id_session": created["id_session"],
        "id_session_event_type": 3,
        "session_event_datetime": datetime.now().astimezone().isoformat(),
        "session_event_text": "started",
    }
    status, body = answer(post(https, "/sessions/events", token, {"session_event": event}))
    assert status == 200, body
    assert isinstance(body, list) and body[0]["session_event_text"] == "started"
    id_event = body[0]["id_session_event"]
    change = {"id_session_event": id_event, "id_session": created["id_session"], "session_event_text": "changed"}
    status, body = answer(post(https, "/sessions/events", token, {"session_event": change}))
    assert (status, body[0]["session_event_text"]) == (200, "changed")

    # A session the device takes part in (created by someone else) takes its events too ...
    shared = new_session(devstack, world.session_type.id)
    devstack.psql(
        "INSERT INTO t_sessions_devices (id_session_device, id_session, id_device, version_id) VALUES "
        f"(nextval('id_session_device'), {shared.id}, {world.device.id}, {VERSION})"
    )
    event_in_shared = {**event, "id_session": shared.id}
    assert post(https, "/sessions/events", token, {"session_event": event_in_shared}).status_code == 200
    # ... but another device's or a stranger's session does not.
    assert answer(post(https, "/sessions/events", world.plain.token, {"session_event": event})) == (403, "Unauthorized")
    stranger = new_session(devstack, world.session_type.id)
    assert answer(post(https, "/sessions/events", token, {"session_event": {**event, "id_session": stranger.id}})) == (
        403,
        "Unauthorized",
    )
    # Nor can an event of a stranger's session be pulled into its own.
    foreign_event = int(
        insert(
            devstack,
            "t_sessions_events",
            {"id_session": stranger.id, "id_session_event_type": 1, "session_event_datetime": "2026-01-02T03:04:05Z"},
            "id_session_event",
        )[0]
    )
    theft = {"id_session_event": foreign_event, "id_session": created["id_session"], "session_event_text": "mine"}
    assert post(https, "/sessions/events", token, {"session_event": theft}).status_code == 403
    assert answer(post(https, "/sessions/events", token, {"session_event": {"id_session": 1}})) == (
        400,
        "Missing arguments",
    )
    assert answer(post(https, "/sessions/events", token, {"event": {}})) == (400, "Missing arguments")


# --- assets ------------------------------------------------------------------------------------------------------
def new_device_asset(stack: Stack, id_session: int, id_device: int, service_uuid: str) -> Row:
    asset_uuid = str(uuid.uuid4())
    values = {
        "id_session": id_session,
        "id_device": id_device,
        "asset_name": unique("asset"),
        "asset_uuid": asset_uuid,
        "asset_service_uuid": service_uuid,
        "asset_type": "text/plain",
    }
    return Row(id=int(insert(stack, "t_assets", values, "id_asset")[0]), uuid=asset_uuid, name=values["asset_name"])


def test_assets_of_the_device(
    https: FrontDoorSession, world: DeviceWorld, devstack: Stack, redis_client: redis.Redis
) -> None:
    own_session = post(https, "/sessions", world.plain.token, new_session_body(world, unique("Assets"))).json()
    linked = new_device_asset(devstack, own_session["id_session"], world.plain.id, world.service.uuid)
    unlinked = new_device_asset(devstack, own_session["id_session"], world.plain.id, world.other_service.uuid)
    foreign_session = new_session(devstack, world.session_type.id)
    new_device_asset(devstack, foreign_session.id, world.device.id, world.service.uuid)  # another device's

    token = world.plain.token
    status, body = answer(get(https, "/assets", token))
    assert status == 200
    assert {a["asset_uuid"] for a in body} == {linked.uuid, unlinked.uuid}
    assert answer(get(https, "/assets", token, id_asset=linked.id))[1][0]["asset_uuid"] == linked.uuid
    assert [a["asset_uuid"] for a in get(https, "/assets", token, asset_uuid=unlinked.uuid).json()] == [unlinked.uuid]
    assert len(get(https, "/assets", token, id_session=own_session["id_session"]).json()) == 2
    assert answer(get(https, "/assets", token, id_session=foreign_session.id)) == (403, "No access to session")

    key = redis_client.get("ServiceTokenAPIKey")
    with_urls = {a["asset_uuid"]: a for a in get(https, "/assets", token, with_urls="true").json()}
    assert with_urls[linked.uuid]["asset_url"].endswith(f"/{world.service.name.lower()}/api/assets")
    assert with_urls[linked.uuid]["asset_infos_url"].endswith("/api/assets/infos")
    assert (with_urls[unlinked.uuid]["asset_url"], with_urls[unlinked.uuid]["asset_infos_url"]) == (None, None)
    claims = jwt.decode(with_urls[linked.uuid]["access_token"], key, algorithms=["HS256"])
    assert claims["requester_uuid"] == world.plain.uuid
    assert linked.uuid in claims["asset_uuids"]
    assert "asset_name" in with_urls[linked.uuid]

    only_token = get(https, "/assets", token, with_only_token="true").json()
    assert all(set(a) == {"asset_uuid", "access_token"} for a in only_token)
    both = get(https, "/assets", token, with_only_token="true", with_urls="true").json()
    assert all(set(a) == {"asset_uuid", "access_token", "asset_infos_url", "asset_url"} for a in both)


# --- status and logout -------------------------------------------------------------------------------------------
def test_status_goes_to_the_user_manager_and_is_refused_offline(
    https: FrontDoorSession, world: DeviceWorld, raw_client: redis.Redis
) -> None:
    with Subscription(raw_client, "module.TeraServer.UserManagerModule.rpc") as rpc:
        response = post(https, "/status", world.device.token, {"status": {"battery": 80}, "timestamp": 1700000000})
        request = rpc.wait_for(b"update_device_status")
    assert answer(response) == (403, "Status update forbidden on offline device.")
    assert request is not None
    assert world.device.uuid.encode() in request and b'{"battery": 80}' in request
    assert answer(post(https, "/status", world.device.token, {"status": {}})) == (400, "Missing arguments")


def test_logout_disconnects_the_device(https: FrontDoorSession, world: DeviceWorld, raw_client: redis.Redis) -> None:
    channel = f"module.TeraServer.TwistedModule.events.{world.plain.uuid}"
    with Subscription(raw_client, channel) as events:
        response = get(https, "/logout", world.plain.token)
        command = events.first(lambda data: data, timeout=5)
    assert answer(response) == (200, "Device logged out.")
    assert command is not None
    # The static token still works afterwards (upstream has no revocation list for devices).
    assert get(https, "/devices", world.plain.token).status_code == 200


# --- the test kit's fixture --------------------------------------------------------------------------------------
def test_device_token_fixture_gives_an_enabled_device(https: FrontDoorSession, device_token: Any) -> None:
    token = device_token("Fixture device", onlineable=True)
    status, body = answer(https.get("/api/device/login", params={"token": token}))
    assert status == 200
    assert body["device_info"]["device_name"] == "Fixture device"
    assert body["device_info"]["device_enabled"] is True
    assert "websocket_url" in body
    assert answer(https.get("/api/device/devices", headers=auth(device_token())))[0] == 200
