"""/api/user/groups: participant groups read by project members, written by project admins.

Runs on `api_stack` (rows other tests must not see): site A with projects A1, A2; site B with project B1. Group
GA in A1 holds participant PA (a participant of A1 without group exists too); group GB in B1. Accounts: admin of
A1, admin of A1 and A2, admin of B1, a member ("user") of A1, an outsider. DatabaseEvents are decoded by
user_world's reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from service_world import (
    Row,
    new_participant,
    new_participant_group,
    new_project,
    new_session,
    new_session_type,
    new_site,
)
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account
from user_world import DB_CREATE, DB_UPDATE, database_events

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

PATH = "/api/user/groups"
EVENTS = "module.TeraServer.DatabaseModule.events.participant_group"


@dataclass(frozen=True)
class GroupsWorld:
    project_a1: Row
    project_a2: Row
    project_b1: Row
    group_a: Row
    group_b: Row
    participant_a: Row  # in group_a
    a1_admin: Account
    a_admin: Account  # admin of A1 and A2
    b1_admin: Account
    member: Account
    outsider: Account


@pytest.fixture(scope="module")
def groups_world(api_stack: Stack, api_stack_ca: Path) -> GroupsWorld:
    site_a, site_b = new_site(api_stack), new_site(api_stack)
    a1, a2, b1 = new_project(api_stack, site_a.id), new_project(api_stack, site_a.id), new_project(api_stack, site_b.id)
    for project in (a1, a2, b1):
        add_server_roles(api_stack, id_project=project.id)
    group_a, group_b = new_participant_group(api_stack, a1.id), new_participant_group(api_stack, b1.id)
    participant_a = new_participant(api_stack, a1.id, group_a.id)
    new_participant(api_stack, a1.id)
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return GroupsWorld(
            project_a1=a1,
            project_a2=a2,
            project_b1=b1,
            group_a=group_a,
            group_b=group_b,
            participant_a=participant_a,
            a1_admin=make_account(front, admin, project_roles={a1.id: "admin"}),
            a_admin=make_account(front, admin, project_roles={a1.id: "admin", a2.id: "admin"}),
            b1_admin=make_account(front, admin, project_roles={b1.id: "admin"}),
            member=make_account(front, admin, project_roles={a1.id: "user"}),
            outsider=make_account(front, admin),
        )


@pytest.fixture
def group_events(api_stack: Stack) -> Iterator[Subscription]:
    client = api_stack.redis(decode_responses=False)
    subscription = Subscription(client, EVENTS)
    yield subscription
    subscription.close()
    client.close()


def event(events: Subscription, kind: int, needle: str) -> Any:
    def matching(data: bytes) -> Any:
        return next((e for e in database_events(data) if e.kind == kind and needle in e.object_value), None)

    return events.first(matching)


def refused(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert message in response.json(), response.text


def get(front: FrontDoorSession, account: Account, **params: Any) -> list[dict[str, Any]]:
    return checked(front.get(PATH, params=params, headers=account.headers))


def ids(groups: list[dict[str, Any]]) -> set[int]:
    return {group["id_participant_group"] for group in groups}


def test_needs_authentication(front: FrontDoorSession) -> None:
    assert front.get(PATH).status_code == 401
    assert front.post(PATH, json={}).status_code == 401
    assert front.delete(PATH, params={"id": 1}).status_code == 401


def test_members_read_the_groups_of_their_projects(front: FrontDoorSession, groups_world: GroupsWorld) -> None:
    w = groups_world
    assert w.group_a.id in ids(get(front, w.member)) and w.group_b.id not in ids(get(front, w.member))
    [full] = get(front, w.member, id_group=w.group_a.id)
    assert full == {
        "id_participant_group": w.group_a.id,
        "id_project": w.project_a1.id,
        "participant_group_name": w.group_a.name,
        "project_name": w.project_a1.name,
    }
    assert get(front, w.member, id=w.group_a.id) == [full]
    assert get(front, w.member, id_project=w.project_a1.id) == [full]
    [minimal] = get(front, w.member, id_group=w.group_a.id, list="1")
    assert minimal == {
        "id_participant_group": w.group_a.id,
        "id_project": w.project_a1.id,
        "participant_group_name": w.group_a.name,
        "group_participant_count": 1,
    }
    # Out of reach: an empty list; a lone flag selects nothing, id_group=0 everything (upstream's answers).
    assert get(front, w.member, id_group=w.group_b.id) == []
    assert get(front, w.member, id_project=w.project_b1.id) == []
    assert get(front, w.member, list="1") == []
    assert ids(get(front, w.member, id_group=0)) == ids(get(front, w.member))
    assert get(front, w.outsider) == [] and get(front, w.outsider, id_group=w.group_a.id) == []
    assert front.get(PATH, params={"bogus": 1}, headers=w.member.headers).status_code == 400


def test_project_admins_create_and_update_groups(
    front: FrontDoorSession,
    api_stack: Stack,
    groups_world: GroupsWorld,
    group_events: Subscription,
    stack_admin_token: str,
) -> None:
    w = groups_world
    body = {
        "participant_group": {"id_participant_group": 0, "id_project": w.project_a1.id, "participant_group_name": "n"}
    }
    refused(front.post(PATH, json={"participant_group_name": "n"}, headers=w.a1_admin.headers), 400, "Missing group")
    missing = {"group": {"id_participant_group": 0, "participant_group_name": "n"}}
    refused(front.post(PATH, json=missing, headers=w.a1_admin.headers), 400, "Missing id_participant_group or")
    refused(front.post(PATH, json=body, headers=w.member.headers), 403, "Forbidden")
    refused(front.post(PATH, json=body, headers=w.b1_admin.headers), 403, "Forbidden")
    no_name = {"group": {"id_participant_group": 0, "id_project": w.project_a1.id}}
    refused(front.post(PATH, json=no_name, headers=w.a1_admin.headers), 400, "Missing participant_group_name")

    # Created with the "group" key too; unknown fields are ignored.
    [created] = checked(
        front.post(PATH, json={"group": {**body["participant_group"], "x": 1}}, headers=w.a1_admin.headers)
    )
    assert created["participant_group_name"] == "n" and created["project_name"] == w.project_a1.name
    id_group = created["id_participant_group"]
    created_event = event(group_events, DB_CREATE, f'"id_participant_group": {id_group}')
    assert created_event is not None and '"participant_group_name": "n"' in created_event.object_value
    member = new_participant(api_stack, w.project_a1.id, id_group)

    update = {"participant_group": {"id_participant_group": id_group, "id_project": w.project_a1.id}}
    refused(
        front.post(
            PATH, json={"participant_group": {**update["participant_group"], "x": 1}}, headers=w.a1_admin.headers
        ),
        400,
        "Unknown participant_group fields: x",
    )
    renamed = {"participant_group": {**update["participant_group"], "participant_group_name": "m"}}
    [updated] = checked(front.post(PATH, json=renamed, headers=w.a1_admin.headers))
    assert updated["participant_group_name"] == "m"
    assert event(group_events, DB_UPDATE, '"participant_group_name": "m"') is not None
    unknown = {"participant_group": {"id_participant_group": 987654, "id_project": w.project_a1.id}}
    refused(front.post(PATH, json=unknown, headers=w.a1_admin.headers), 400, "Invalid id_participant_group")
    huge = {"participant_group": {"id_participant_group": 2**40, "id_project": w.project_a1.id}}
    refused(front.post(PATH, json=huge, headers=w.a1_admin.headers), 400, "Invalid id_participant_group")

    # Moving a group: admin of the new project (and, here, of the current one); its participants follow.
    to_a2 = {"participant_group": {"id_participant_group": id_group, "id_project": w.project_a2.id}}
    refused(front.post(PATH, json=to_a2, headers=w.a1_admin.headers), 403, "Forbidden")
    to_b1 = {"participant_group": {"id_participant_group": id_group, "id_project": w.project_b1.id}}
    refused(front.post(PATH, json=to_b1, headers=w.b1_admin.headers), 403, "Forbidden")
    [moved] = checked(front.post(PATH, json=to_a2, headers=w.a_admin.headers))
    assert moved["id_project"] == w.project_a2.id
    assert api_stack.psql(f"SELECT id_project FROM t_participants WHERE id_participant = {member.id}") == [
        [str(w.project_a2.id)]
    ]
    bad_project = {"participant_group": {"id_participant_group": id_group, "id_project": 987654}}
    # A project that does not exist is not one the user administers (upstream's answer, even for a superadmin).
    refused(front.post(PATH, json=bad_project, headers=bearer(stack_admin_token)), 403, "Forbidden")
    bad_name = {
        "participant_group": {
            "id_participant_group": id_group,
            "id_project": w.project_a2.id,
            "participant_group_name": 3,
        }
    }
    refused(front.post(PATH, json=bad_name, headers=w.a_admin.headers), 400, "Invalid participant_group_name")


def test_project_admins_delete_groups(
    front: FrontDoorSession, api_stack: Stack, groups_world: GroupsWorld, group_events: Subscription
) -> None:
    w = groups_world
    body = {
        "participant_group": {"id_participant_group": 0, "id_project": w.project_a1.id, "participant_group_name": "d"}
    }
    [group] = checked(front.post(PATH, json=body, headers=w.a1_admin.headers))
    id_group = group["id_participant_group"]
    busy = new_participant(api_stack, w.project_a1.id, id_group)
    session = new_session(api_stack, new_session_type(api_stack, None).id, busy.id)

    refused(front.delete(PATH, params={"id": 987654}, headers=w.a1_admin.headers), 400, "Invalid id")
    refused(front.delete(PATH, params={"id": id_group}, headers=w.member.headers), 403, "Forbidden")
    refused(front.delete(PATH, params={"id": id_group}, headers=w.b1_admin.headers), 403, "Forbidden")
    refused(front.delete(PATH, params={"id": id_group}, headers=w.a1_admin.headers), 400, "delete all sessions")
    api_stack.psql(f"DELETE FROM t_sessions_participants WHERE id_session = {session.id}")
    assert checked(front.delete(PATH, params={"id": id_group}, headers=w.a1_admin.headers)) == ""
    # A soft delete, published as upstream does: an update of the row, now with deleted_at.
    deleted = event(group_events, DB_UPDATE, f'"id_participant_group": {id_group}, "id_project"')
    assert deleted is not None and '"deleted_at"' in deleted.object_value
    # The group's participants go with it.
    gone = f"SELECT deleted_at IS NOT NULL FROM t_participants WHERE id_participant = {busy.id}"
    assert api_stack.psql(gone) == [["t"]]
    assert get(front, w.a1_admin, id_group=id_group) == []
