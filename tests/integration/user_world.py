"""A world of rows for the user API tests (test_user_api_{sessions,assets,participants,server}...); its fixtures
(`user_world`, `listen`) are in conftest.py.

A world of rows on the session's `devstack`: two sites with one project each, participants, a device, a
session type, two completed sessions, assets owned by a test service, and three users who log in through
the front door: `member` (role "user" on project A1), `project_admin` (role "admin" on A1) and `outsider`
(no role). Rows are created through SQL with unique names (service_world's helpers), the users
through POST /api/user/users so that they have a real password. Raw DatabaseEvents are decoded here by hand:
the host has no opentera protobuf modules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis
from service_world import (
    Row,
    insert,
    new_device,
    new_participant,
    new_project,
    new_role,
    new_service,
    new_session,
    new_session_type,
    new_site,
    opentera_server_id,
    unique,
)

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

PASSWORD = "Very$ecret-Passw0rd"
DB_EVENT_PREFIX = "module.TeraServer.DatabaseModule.events."
DB_CREATE, DB_UPDATE, DB_DELETE = 1, 2, 3  # DatabaseEvent.EventType values of the opentera messages


@dataclass(frozen=True)
class Account:
    id: int
    uuid: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"OpenTera {self.token}"}


@dataclass(frozen=True)
class UserWorld:
    site_a: Row
    site_b: Row
    project_a1: Row
    project_b1: Row
    participant_a: Row
    participant_b: Row
    device_a: Row
    session_type: Row
    session_a: Row  # participant_a, completed
    session_b: Row  # participant_b, completed
    service: Row  # enabled, owns the assets
    asset_a: Row  # in session_a, of participant_a
    asset_b: Row  # in session_b
    member: Account
    project_admin: Account
    outsider: Account


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def new_account(stack: Stack, front: FrontDoorSession, admin_token: str, role: str | None, id_project: int) -> Account:
    """A user created through the API (real password), put in a group holding `role` on the project."""
    username = unique("user")
    body = {
        "user": {
            "id_user": 0,
            "user_username": username,
            "user_firstname": "World",
            "user_lastname": username,
            "user_password": PASSWORD,
            "user_enabled": True,
        }
    }
    response = front.post("/api/user/users", json=body, headers=auth(admin_token))
    assert response.status_code == 200, response.text
    user = response.json()[0]
    if role is not None:
        id_role = new_role(stack, opentera_server_id(stack), role, id_project=id_project)
        id_group = int(insert(stack, "t_users_groups", {"user_group_name": unique("Group")}, "id_user_group")[0])
        insert(stack, "t_services_access", {"id_user_group": id_group, "id_service_role": id_role}, "id_service_access")
        insert(
            stack, "t_users_users_groups", {"id_user": user["id_user"], "id_user_group": id_group}, "id_user_user_group"
        )
    return Account(user["id_user"], user["user_uuid"], username, login(front, username, PASSWORD))


def link_session_type(stack: Stack, id_session_type: int, id_project: int) -> None:
    values = {"id_session_type": id_session_type, "id_project": id_project}
    insert(stack, "t_sessions_types_projects", values, "id_session_type_project")


def new_asset(stack: Stack, id_session: int, service_uuid: str, id_participant: int | None = None) -> Row:
    name = unique("asset")
    asset_uuid = str(uuid.uuid4())
    values = {
        "id_session": id_session,
        "id_participant": id_participant,
        "asset_name": name,
        "asset_uuid": asset_uuid,
        "asset_service_uuid": service_uuid,
        "asset_type": "text/plain",
        "asset_datetime": "2026-01-02T03:04:05+00:00",
    }
    return Row(id=int(insert(stack, "t_assets", values, "id_asset")[0]), uuid=asset_uuid, name=name)


def build_user_world(stack: Stack, front: FrontDoorSession) -> UserWorld:
    admin_token = login(front, "admin", "admin")
    site_a, site_b = new_site(stack), new_site(stack)
    project_a1, project_b1 = new_project(stack, site_a.id), new_project(stack, site_b.id)
    participant_a, participant_b = new_participant(stack, project_a1.id), new_participant(stack, project_b1.id)
    session_type = new_session_type(stack, None)
    # As upstream's data model wants: a session type, a device and a service reach a user through their
    # site (t_sessions_types_sites, t_devices_sites) or project (t_services_projects) links.
    insert(
        stack,
        "t_sessions_types_sites",
        {"id_session_type": session_type.id, "id_site": site_a.id},
        "id_session_type_site",
    )
    link_session_type(stack, session_type.id, project_a1.id)
    session_a = new_session(stack, session_type.id, participant_a.id)
    session_b = new_session(stack, session_type.id, participant_b.id)
    service = new_service(stack)
    insert(stack, "t_services_projects", {"id_service": service.id, "id_project": project_a1.id}, "id_service_project")
    device_a = new_device(stack, project_a1.id)
    insert(stack, "t_devices_sites", {"id_device": device_a.id, "id_site": site_a.id}, "id_device_site")
    return UserWorld(
        site_a=site_a,
        site_b=site_b,
        project_a1=project_a1,
        project_b1=project_b1,
        participant_a=participant_a,
        participant_b=participant_b,
        device_a=device_a,
        session_type=session_type,
        session_a=session_a,
        session_b=session_b,
        service=service,
        asset_a=new_asset(stack, session_a.id, service.uuid, participant_a.id),
        asset_b=new_asset(stack, session_b.id, service.uuid, participant_b.id),
        member=new_account(stack, front, admin_token, "user", project_a1.id),
        project_admin=new_account(stack, front, admin_token, "admin", project_a1.id),
        outsider=new_account(stack, front, admin_token, None, project_a1.id),
    )


# --- raw DatabaseEvents ----------------------------------------------------------------------------------------
def _fields(data: bytes) -> Iterator[tuple[int, Any]]:
    """(field number, value) of a protobuf message: varints as int, length-delimited as bytes (all we need)."""
    position = 0

    def varint() -> int:
        nonlocal position
        result = shift = 0
        while True:
            byte = data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while position < len(data):
        key = varint()
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            yield number, varint()
        elif wire_type == 2:
            length = varint()
            yield number, data[position : position + length]
            position += length
        elif wire_type == 1:
            yield number, data[position : position + 8]
            position += 8
        elif wire_type == 5:
            yield number, data[position : position + 4]
            position += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")


@dataclass(frozen=True)
class DatabaseEvent:
    kind: int
    object_type: str
    object_value: str


def database_events(message: bytes) -> list[DatabaseEvent]:
    """The DatabaseEvents packed (as google.protobuf.Any, field 2) in one published TeraEvent."""
    events = []
    for number, packed in _fields(message):
        if number != 2:
            continue
        any_fields = dict(_fields(packed))
        if not any_fields.get(1, b"").endswith(b"DatabaseEvent"):
            continue
        values = dict(_fields(any_fields.get(2, b"")))
        events.append(DatabaseEvent(values.get(1, 0), values.get(2, b"").decode(), values.get(3, b"").decode()))
    return events


class EventListener:
    """The DatabaseEvents published on one object type's topic (a kit Subscription that decodes them)."""

    def __init__(self, client: redis.Redis, object_type: str) -> None:
        self.subscription = Subscription(client, DB_EVENT_PREFIX + object_type)

    @property
    def events(self) -> list[DatabaseEvent]:
        return [event for data in self.subscription.messages for event in database_events(data)]

    def wait_for(self, kind: int, needle: str, timeout: float = 5.0) -> DatabaseEvent | None:
        """The first event of `kind` whose object JSON contains `needle`, within `timeout` seconds."""

        def matching(data: bytes) -> DatabaseEvent | None:
            events = database_events(data)
            return next((e for e in events if e.kind == kind and needle in e.object_value), None)

        return self.subscription.first(matching, timeout)

    def close(self) -> None:
        self.subscription.close()
