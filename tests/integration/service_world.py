"""A small world of DB rows for the integration tests, made with SQL (`Stack.psql`), and a client of the service
API. The tests import it (`tests/integration` is on sys.path under pytest's default import mode); the fixtures
around it (`api_stack`, `world`, `client`...) are in conftest.py.

The service API tests run against a stack of their own (`api_stack`), because they add sites, projects,
services and users that the shared stack's tests must not see.
Rows are created with SQL through `Stack.psql`, with unique names per call, so each test module builds its own
world without seeing another module's rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

from devstack.testing.plugin import FrontDoorSession
from devstack.testing.stack import Stack

# Primary key -> its sequence, where the name is not simply "<key>_sequence".
SEQUENCES = {
    "id_service_access": "id_service_project_role_sequence",
    "id_user_group": "id_usergroup_sequence",
    "id_participant_group": "id_participantgroup_sequence",
    "id_session_event": "id_session_events_sequence",
    "id_session_participant": "id_session_participant",
}
VERSION = "(extract(epoch from now()) * 1000)::bigint"  # version_id column, NOT NULL (the ORM sets it normally)


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def insert(stack: Stack, table: str, values: dict[str, Any], returning: str) -> list[str]:
    """INSERT one row and return its primary key (`returning`, also the name of its sequence) as text.

    The models declare `Sequence(...)` without a server default, so the key comes from nextval() here.
    """
    values = {returning: None, **values}
    columns = ", ".join([*values, "version_id"])
    literals = []
    for column, value in values.items():
        if column == returning:
            literals.append(f"nextval('{SEQUENCES.get(returning, returning + '_sequence')}')")
        elif value is None:
            literals.append("NULL")
        elif isinstance(value, bool):
            literals.append("true" if value else "false")
        elif isinstance(value, int):
            literals.append(str(value))
        else:
            literals.append(sql_text(str(value)))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(literals)}, {VERSION}) RETURNING {returning}"
    return stack.psql(sql)[0]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_service(stack: Stack, *, enabled: bool = True, hostname: str = "localhost", port: int = 4999) -> Row:
    key = unique("TestService")
    service_uuid = str(uuid.uuid4())
    row = insert(
        stack,
        "t_services",
        {
            "service_uuid": service_uuid,
            "service_name": key,
            "service_key": key,
            "service_hostname": hostname,
            "service_port": port,
            "service_endpoint": "/",
            "service_clientendpoint": f"/{key.lower()}",
            "service_enabled": enabled,
            "service_system": False,
            "service_editable_config": False,
            "service_has_assets": False,
            "service_has_tests": False,
        },
        "id_service",
    )
    return Row(id=int(row[0]), uuid=service_uuid, name=key)


def new_site(stack: Stack) -> Row:
    name = unique("Site")
    row = insert(stack, "t_sites", {"site_name": name, "site_2fa_required": False}, "id_site")
    return Row(id=int(row[0]), uuid="", name=name)


def new_project(stack: Stack, id_site: int) -> Row:
    name = unique("Project")
    row = insert(stack, "t_projects", {"id_site": id_site, "project_name": name, "project_enabled": True}, "id_project")
    return Row(id=int(row[0]), uuid="", name=name)


def new_participant(stack: Stack, id_project: int, id_group: int | None = None) -> Row:
    name = unique("Participant")
    participant_uuid = str(uuid.uuid4())
    values = {
        "participant_uuid": participant_uuid,
        "participant_name": name,
        "participant_token_enabled": False,
        "participant_enabled": True,
        "participant_login_enabled": False,
        "id_project": id_project,
        "id_participant_group": id_group,
    }
    row = insert(stack, "t_participants", values, "id_participant")
    return Row(id=int(row[0]), uuid=participant_uuid, name=name)


def new_participant_group(stack: Stack, id_project: int) -> Row:
    name = unique("Group")
    values = {"id_project": id_project, "participant_group_name": name}
    return Row(id=int(insert(stack, "t_participants_groups", values, "id_participant_group")[0]), uuid="", name=name)


def opentera_server_id(stack: Stack) -> int:
    return int(stack.psql("SELECT id_service FROM t_services WHERE service_key = 'OpenTeraServer'")[0][0])


def new_role(
    stack: Stack, id_service: int, name: str, id_project: int | None = None, id_site: int | None = None
) -> int:
    values = {"id_service": id_service, "id_project": id_project, "id_site": id_site, "service_role_name": name}
    return int(insert(stack, "t_services_roles", values, "id_service_role")[0])


def new_user_group(stack: Stack, *role_ids: int) -> Row:
    name = unique("UserGroup")
    id_group = int(insert(stack, "t_users_groups", {"user_group_name": name}, "id_user_group")[0])
    for id_role in role_ids:
        insert(stack, "t_services_access", {"id_user_group": id_group, "id_service_role": id_role}, "id_service_access")
    return Row(id=id_group, uuid="", name=name)


def new_user(stack: Stack, *group_ids: int, superadmin: bool = False) -> Row:
    username = unique("user")
    user_uuid = str(uuid.uuid4())
    values = {
        "user_username": username,
        "user_uuid": user_uuid,
        "user_firstname": "First " + username,
        "user_lastname": "Last",
        "user_password": "not-a-bcrypt-hash",
        "user_enabled": True,
        "user_profile": "",
        "user_superadmin": superadmin,
        "user_2fa_enabled": False,
        "user_2fa_otp_enabled": False,
        "user_2fa_email_enabled": False,
        "user_force_password_change": False,
    }
    id_user = int(insert(stack, "t_users", values, "id_user")[0])
    for id_group in group_ids:
        insert(stack, "t_users_users_groups", {"id_user": id_user, "id_user_group": id_group}, "id_user_user_group")
    return Row(id=id_user, uuid=user_uuid, name=username)


def new_project_user(stack: Stack, id_project: int, role: str = "user") -> Row:
    """A user whose group holds the OpenTeraServer `role` on the project (what a project member is)."""
    id_role = new_role(stack, opentera_server_id(stack), role, id_project=id_project)
    return new_user(stack, new_user_group(stack, id_role).id)


def new_device_type(stack: Stack) -> int:
    key = unique("type")
    values = {"device_type_name": key, "device_type_key": key}
    return int(insert(stack, "t_devices_types", values, "id_device_type")[0])


def new_device(stack: Stack, *project_ids: int) -> Row:
    name = unique("Device")
    device_uuid = str(uuid.uuid4())
    values = {
        "device_uuid": device_uuid,
        "device_name": name,
        "id_device_type": new_device_type(stack),
        "device_enabled": True,
        "device_onlineable": False,
    }
    id_device = int(insert(stack, "t_devices", values, "id_device")[0])
    for id_project in project_ids:
        insert(stack, "t_devices_projects", {"id_device": id_device, "id_project": id_project}, "id_device_project")
    return Row(id=id_device, uuid=device_uuid, name=name)


def new_session_type(stack: Stack, id_service: int | None) -> Row:
    name = unique("SessionType")
    values = {
        "id_service": id_service,
        "session_type_name": name,
        "session_type_online": True,
        "session_type_color": "#00FF00",
        "session_type_category": 1,
    }
    return Row(id=int(insert(stack, "t_sessions_types", values, "id_session_type")[0]), uuid="", name=name)


def new_session(
    stack: Stack, id_session_type: int, *participant_ids: int, id_creator_service: int | None = None
) -> Row:
    name = unique("Session")
    session_uuid = str(uuid.uuid4())
    values = {
        "session_uuid": session_uuid,
        "id_session_type": id_session_type,
        "session_name": name,
        "session_start_datetime": "2026-01-02T03:04:05+00:00",
        "session_duration": 0,
        "session_status": 2,
        "id_creator_service": id_creator_service,
    }
    id_session = int(insert(stack, "t_sessions", values, "id_session")[0])
    for id_participant in participant_ids:
        insert(
            stack,
            "t_sessions_participants",
            {"id_session": id_session, "id_participant": id_participant},
            "id_session_participant",
        )
    return Row(id=id_session, uuid=session_uuid, name=name)


def link_service_site(stack: Stack, id_service: int, id_site: int) -> None:
    insert(stack, "t_services_sites", {"id_service": id_service, "id_site": id_site}, "id_service_site")


def link_service_project(stack: Stack, id_service: int, id_project: int) -> None:
    insert(stack, "t_services_projects", {"id_service": id_service, "id_project": id_project}, "id_service_project")


@dataclass(frozen=True)
class Row:
    id: int
    uuid: str
    name: str


@dataclass(frozen=True)
class World:
    """Service S linked to site A and project A1; B1 (site B) exists but is not linked; O is another service."""

    service: Row
    other_service: Row
    site_a: Row
    site_b: Row
    project_a1: Row
    project_b1: Row
    participant_a: Row
    participant_b: Row


def build_world(stack: Stack) -> World:
    site_a, site_b = new_site(stack), new_site(stack)
    project_a1, project_b1 = new_project(stack, site_a.id), new_project(stack, site_b.id)
    service, other = new_service(stack), new_service(stack)
    link_service_site(stack, service.id, site_a.id)
    link_service_project(stack, service.id, project_a1.id)
    link_service_site(stack, other.id, site_b.id)
    link_service_project(stack, other.id, project_b1.id)
    return World(
        service=service,
        other_service=other,
        site_a=site_a,
        site_b=site_b,
        project_a1=project_a1,
        project_b1=project_b1,
        participant_a=new_participant(stack, project_a1.id),
        participant_b=new_participant(stack, project_b1.id),
    )


class ServiceClient:
    """Calls /api/service/* through the front door as one service (`Authorization: OpenTera <token>`)."""

    def __init__(self, https: FrontDoorSession, token: str) -> None:
        self.https = https
        self.token = token

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"OpenTera {self.token}", **kwargs.pop("headers", {})}
        return self.https.request(method, f"/api/service{path}", headers=headers, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.request("POST", path, json=body)

    def delete(self, path: str, **params: Any) -> requests.Response:
        return self.request("DELETE", path, params=params)
