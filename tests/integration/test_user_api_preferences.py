"""/api/user/users/preferences (upstream's rules: teraserver/api/user/user_preferences.py).

Runs on `api_stack`: a project admin and a project user of one project, and an outsider.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from service_world import new_project, new_site
from test_user_api_service_access import Account, add_server_roles, checked, make_account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PATH = "/api/user/users/preferences"


@dataclass(frozen=True)
class PrefWorld:
    project_admin: Account
    project_user: Account
    outsider: Account


@pytest.fixture(scope="module")
def pref_world(api_stack: Stack, api_stack_ca: Path) -> PrefWorld:
    project = new_project(api_stack, new_site(api_stack).id)
    add_server_roles(api_stack, id_project=project.id)
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return PrefWorld(
            project_admin=make_account(front, admin, project_roles={project.id: "admin"}),
            project_user=make_account(front, admin, project_roles={project.id: "user"}),
            outsider=make_account(front, admin),
        )


def post(front: FrontDoorSession, account: Account, **fields: object):  # noqa: ANN201
    return front.post(PATH, json={"user_preference": fields}, headers=account.headers)


def test_needs_authentication(front: FrontDoorSession) -> None:
    assert front.get(PATH).status_code == 401
    assert front.post(PATH, json={}).status_code == 401


def test_own_preferences_lifecycle(front: FrontDoorSession, pref_world: PrefWorld) -> None:
    me = pref_world.project_user
    tag = f"app-{uuid.uuid4().hex[:6]}"
    assert checked(front.get(PATH, headers=me.headers)) == []
    stored = checked(post(front, me, user_preference_app_tag=tag, user_preference_preference='{"language": "fr"}'))
    assert stored["id_user"] == me.id and stored["user_preference_app_tag"] == tag
    assert json.loads(stored["user_preference_preference"]) == {"language": "fr"}
    # An object is stored as its JSON text, and replaces the app's preference (one per app).
    replaced = checked(post(front, me, user_preference_app_tag=tag, user_preference_preference={"sounds": False}))
    assert replaced["id_user_preference"] == stored["id_user_preference"]
    assert json.loads(replaced["user_preference_preference"]) == {"sounds": False}
    other = checked(post(front, me, user_preference_app_tag=tag + "-b", user_preference_preference="[1, 2]"))
    assert {row["user_preference_app_tag"] for row in checked(front.get(PATH, headers=me.headers))} == {
        tag,
        tag + "-b",
    }
    [only] = checked(front.get(PATH, params={"app_tag": tag + "-b"}, headers=me.headers))
    assert only["id_user_preference"] == other["id_user_preference"]
    assert checked(front.get(PATH, params={"app_tag": "nothing-here"}, headers=me.headers)) == []
    # An empty preference deletes it; the answer is null.
    response = post(front, me, user_preference_app_tag=tag, user_preference_preference="")
    assert response.status_code == 200 and response.json() is None
    assert checked(front.get(PATH, params={"app_tag": tag}, headers=me.headers)) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"user_preference_preference": "{}"}, "Missing app tag"),
        ({"user_preference_app_tag": "x", "user_preference_preference": "{not json"}, "not JSON"),
        ({"user_preference_app_tag": "x", "user_preference_preference": 42}, "user_preference_preference"),
        ({"user_preference_app_tag": "never-set"}, "Missing user_preference_preference"),
        ({"user_preference_app_tag": "x", "user_preference_preference": "{}", "id_user": "me"}, "id_user"),
    ],
)
def test_bad_bodies(front: FrontDoorSession, pref_world: PrefWorld, fields: dict[str, object], message: str) -> None:
    response = post(front, pref_world.project_user, **fields)
    assert response.status_code == 400 and message in response.json()


def test_other_users_preferences(front: FrontDoorSession, pref_world: PrefWorld) -> None:
    w = pref_world
    tag = f"app-{uuid.uuid4().hex[:6]}"
    # A project admin manages the preferences of the project's users; a user not those of its admin.
    stored = checked(
        post(
            front,
            w.project_admin,
            id_user=w.project_user.id,
            user_preference_app_tag=tag,
            user_preference_preference="{}",
        )
    )
    assert stored["id_user"] == w.project_user.id
    response = post(
        front, w.project_user, id_user=w.project_admin.id, user_preference_app_tag=tag, user_preference_preference="{}"
    )
    assert response.status_code == 403 and response.json() == "Forbidden"
    # Reading needs to see the user.
    rows = checked(front.get(PATH, params={"id_user": w.project_user.id}, headers=w.project_admin.headers))
    assert tag in {row["user_preference_app_tag"] for row in rows}
    assert checked(front.get(PATH, params={"id_user": w.project_admin.id}, headers=w.project_user.headers)) == []
    response = front.get(PATH, params={"id_user": w.project_user.id}, headers=w.outsider.headers)
    assert response.status_code == 403
    assert front.get(PATH, params={"bogus": 1}, headers=w.outsider.headers).status_code == 400
