"""/api/user/stats (upstream's rules: teraserver/api/user/stats.py).

Runs on `api_stack`: site A with project A1 (a participant group, participant P with a completed and a planned
session and one asset, a device attached to site A and A1), site B with B1 and participant Q; a project admin and
a project user of A1, an outsider.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from service_world import (
    Row,
    insert,
    new_device,
    new_participant,
    new_participant_group,
    new_project,
    new_service,
    new_session,
    new_session_type,
    new_site,
)
from test_user_api_service_access import Account, add_server_roles, checked, make_account
from user_world import new_asset

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PATH = "/api/user/stats"


@dataclass(frozen=True)
class StatsWorld:
    site_a: Row
    site_b: Row
    project_a1: Row
    group_a: Row
    participant: Row
    participant_b: Row
    session_done: Row
    session_planned: Row
    session_b: Row
    device: Row
    project_admin: Account
    project_user: Account
    outsider: Account
    user_group: int  # the project user's group


@pytest.fixture(scope="module")
def stats_world(api_stack: Stack, api_stack_ca: Path) -> StatsWorld:
    site_a, site_b = new_site(api_stack), new_site(api_stack)
    a1, b1 = new_project(api_stack, site_a.id), new_project(api_stack, site_b.id)
    add_server_roles(api_stack, id_site=site_a.id)
    add_server_roles(api_stack, id_project=a1.id)
    group_a = new_participant_group(api_stack, a1.id)
    participant = new_participant(api_stack, a1.id, group_a.id)
    participant_b = new_participant(api_stack, b1.id)
    session_type = new_session_type(api_stack, None)
    done = new_session(api_stack, session_type.id, participant.id)
    planned = new_session(api_stack, session_type.id, participant.id)
    api_stack.psql(f"UPDATE t_sessions SET session_status = 0, session_duration = 60 WHERE id_session = {planned.id}")
    api_stack.psql(f"UPDATE t_sessions SET session_duration = 120 WHERE id_session = {done.id}")
    new_asset(api_stack, done.id, new_service(api_stack).uuid, participant.id)
    device = new_device(api_stack, a1.id)
    insert(api_stack, "t_devices_sites", {"id_device": device.id, "id_site": site_a.id}, "id_device_site")
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        project_user = make_account(front, admin, project_roles={a1.id: "user"})
        group = int(
            api_stack.psql(f"SELECT id_user_group FROM t_users_users_groups WHERE id_user = {project_user.id}")[0][0]
        )
        return StatsWorld(
            site_a=site_a,
            site_b=site_b,
            project_a1=a1,
            group_a=group_a,
            participant=participant,
            participant_b=participant_b,
            session_done=done,
            session_planned=planned,
            session_b=new_session(api_stack, session_type.id, participant_b.id),
            device=device,
            project_admin=make_account(front, admin, project_roles={a1.id: "admin"}),
            project_user=project_user,
            outsider=make_account(front, admin),
            user_group=group,
        )


def stats(front: FrontDoorSession, account: Account, **params: object) -> dict:
    return checked(front.get(PATH, params=params, headers=account.headers))


def test_needs_an_id_and_access(front: FrontDoorSession, stats_world: StatsWorld) -> None:
    w = stats_world
    assert front.get(PATH).status_code == 401
    response = front.get(PATH, params={"with_participants": "true"}, headers=w.project_user.headers)
    assert response.status_code == 400 and response.json() == "Missing id argument"
    for params in (
        {"id_user_group": w.user_group},
        {"id_user": w.project_user.id},
        {"id_site": w.site_a.id},
        {"id_project": w.project_a1.id},
        {"id_group": w.group_a.id},
        {"id_session": w.session_done.id},
        {"id_participant": w.participant.id},
        {"id_device": w.device.id},
    ):
        response = front.get(PATH, params=params, headers=w.outsider.headers)
        assert (response.status_code, response.json()) == (403, "Forbidden"), params
        assert front.get(PATH, params=params, headers=w.project_user.headers).status_code == 200, params
    assert front.get(PATH, params={"id_session": w.session_b.id}, headers=w.project_user.headers).status_code == 403


def test_participant_session_device_stats(front: FrontDoorSession, stats_world: StatsWorld) -> None:
    w = stats_world
    assert stats(front, w.project_user, id_participant=w.participant.id) == {
        "sessions_total_count": 2,
        "sessions_total_time": 180,
        "sessions_mean_time": 90,
        "sessions_planned_count": 1,
        "sessions_completed_count": 1,
        "sessions_inprogress_count": 0,
        "sessions_cancelled_count": 0,
        "sessions_terminated_count": 0,
        "assets_total_count": 1,
        "tests_total_count": 0,
    }
    assert stats(front, w.project_user, id_session=w.session_done.id) == {
        "users_total_count": 0,
        "participants_total_count": 1,
        "devices_total_count": 0,
        "assets_total_count": 1,
        "events_total_count": 0,
        "tests_total_count": 0,
    }
    assert stats(front, w.project_user, id_device=w.device.id) == {
        "assets_total_count": 0,
        "projects_total_count": 1,
        "participants_total_count": 0,
        "sessions_total_count": 0,
    }


def test_project_group_site_stats(front: FrontDoorSession, stats_world: StatsWorld) -> None:
    w = stats_world
    project = stats(front, w.project_admin, id_project=w.project_a1.id, with_participants="true")
    assert project["users_total_count"] == 2 and project["users_enabled_count"] == 2  # admin and user of A1
    assert project["participants_total_count"] == 1 and project["participants_groups_count"] == 1
    assert project["devices_total_count"] == 1 and project["sessions_total_count"] == 0
    [summary] = project["participants"]
    assert summary["id_participant"] == w.participant.id and summary["participant_sessions_count"] == 2
    assert summary["participant_first_session"].startswith("2026-01-02")

    group = stats(front, w.project_user, id_group=w.group_a.id)
    assert group == {"participants_total_count": 1, "participants_enabled_count": 1, "sessions_total_count": 2}

    site = stats(front, w.project_admin, id_site=w.site_a.id, with_warnings="true")
    assert site["projects_count"] == 1 and site["participants_total_count"] == 1
    assert site["sessions_total_count"] == 2 and site["devices_total_count"] == 1
    assert site["users_total_count"] == 2 and "participants" not in site
    for key in ("warning_participants", "warning_nosession_participants", "warning_users", "warning_neverlogged_users"):
        assert isinstance(site[key], list) and site[key + "_count"] == len(site[key])


def test_user_and_user_group_stats(front: FrontDoorSession, stats_world: StatsWorld) -> None:
    w = stats_world
    assert stats(front, w.project_admin, id_user=w.project_user.id) == {
        "sessions_created_total_count": 0,
        "sessions_total_count": 0,
        "participants_total_count": 0,
        "participants_enabled_count": 0,
    }
    assert stats(front, w.project_admin, id_user_group=w.user_group) == {
        "users_total_count": 1,
        "users_enabled_count": 1,
        "projects_total_count": 1,
        "projects_admin_count": 0,
        "sites_total_count": 1,  # the "user" role on site A that its project role gives
        "sites_admin_count": 0,
    }


def test_unknown_parameter(front: FrontDoorSession, stats_world: StatsWorld) -> None:
    response = front.get(PATH, params={"id_thing": str(uuid.uuid4())}, headers=stats_world.project_user.headers)
    assert response.status_code == 400
