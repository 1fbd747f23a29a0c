"""/api/user/testtypes, /testtypes/projects and /testtypes/sites, as a site admin, a project admin, a project user
and an outsider use them (upstream's rules: teraserver/api/user/test_types.py and test_type_links.py).

Runs on `api_stack` (rows other tests must not see). The world (also imported by test_user_api_tests): site A
with projects A1 and A2, service S (an "admin" role, linked to site A and A1) and its test type TA offered in
site A and used by A1; site B with project B1, service O and its type TB (site B, B1). Test types, links and
tests are made in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from service_world import (
    Row,
    insert,
    link_service_project,
    link_service_site,
    new_participant,
    new_project,
    new_role,
    new_service,
    new_session,
    new_session_type,
    new_site,
)
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack
from devstack.testing.subscription import Subscription

TYPES = "/api/user/testtypes"
PROJECTS = "/api/user/testtypes/projects"
SITES = "/api/user/testtypes/sites"
EVENTS = "module.TeraServer.DatabaseModule.events."


@dataclass(frozen=True)
class TypesOfTestsWorld:
    site_a: Row
    site_b: Row
    project_a1: Row
    project_a2: Row
    project_b1: Row
    service: Row
    other_service: Row
    type_a: Row
    type_b: Row
    participant_a: Row
    participant_b: Row
    session_a: Row  # participant_a
    session_b: Row  # participant_b
    site_admin: Account
    project_admin: Account
    project_user: Account
    outsider: Account


def new_test_type(stack: Stack, id_service: int, *, web: bool = False) -> Row:
    name = f"TestType-{uuid.uuid4().hex[:8]}"
    type_uuid = str(uuid.uuid4())
    values = {
        "id_service": id_service,
        "test_type_uuid": type_uuid,
        "test_type_name": name,
        "test_type_key": name,
        "test_type_has_json_format": True,
        "test_type_has_web_format": web,
        "test_type_has_web_editor": False,
    }
    return Row(id=int(insert(stack, "t_tests_types", values, "id_test_type")[0]), uuid=type_uuid, name=name)


def offer_type(stack: Stack, id_test_type: int, id_site: int, *project_ids: int) -> None:
    insert(stack, "t_tests_types_sites", {"id_test_type": id_test_type, "id_site": id_site}, "id_test_type_site")
    for id_project in project_ids:
        values = {"id_test_type": id_test_type, "id_project": id_project}
        insert(stack, "t_tests_types_projects", values, "id_test_type_project")


def new_test(stack: Stack, id_test_type: int, id_session: int, **owner: int) -> Row:
    test_uuid = str(uuid.uuid4())
    values = {
        "id_test_type": id_test_type,
        "id_session": id_session,
        "test_uuid": test_uuid,
        "test_name": f"Test {test_uuid[:8]}",
        "test_datetime": "2026-01-02T03:04:05+00:00",
        "test_status": 0,
        **owner,
    }
    return Row(id=int(insert(stack, "t_tests", values, "id_test")[0]), uuid=test_uuid, name=values["test_name"])


def build_test_types_world(stack: Stack, ca: Path) -> TypesOfTestsWorld:
    site_a, site_b = new_site(stack), new_site(stack)
    a1, a2, b1 = new_project(stack, site_a.id), new_project(stack, site_a.id), new_project(stack, site_b.id)
    add_server_roles(stack, id_site=site_a.id)
    for project in (a1, a2):
        add_server_roles(stack, id_project=project.id)
    service, other = new_service(stack), new_service(stack)
    for svc in (service, other):
        new_role(stack, svc.id, "admin")
    link_service_site(stack, service.id, site_a.id)
    link_service_project(stack, service.id, a1.id)
    link_service_site(stack, other.id, site_b.id)
    link_service_project(stack, other.id, b1.id)
    type_a, type_b = new_test_type(stack, service.id, web=True), new_test_type(stack, other.id)
    offer_type(stack, type_a.id, site_a.id, a1.id)
    offer_type(stack, type_b.id, site_b.id, b1.id)
    session_type = new_session_type(stack, None)
    participant_a, participant_b = new_participant(stack, a1.id), new_participant(stack, b1.id)
    with FrontDoorSession(stack.base_url, ca) as front:
        admin = login(front, "admin", "admin")
        return TypesOfTestsWorld(
            site_a=site_a,
            site_b=site_b,
            project_a1=a1,
            project_a2=a2,
            project_b1=b1,
            service=service,
            other_service=other,
            type_a=type_a,
            type_b=type_b,
            participant_a=participant_a,
            participant_b=participant_b,
            session_a=new_session(stack, session_type.id, participant_a.id),
            session_b=new_session(stack, session_type.id, participant_b.id),
            site_admin=make_account(front, admin, admin_sites=(site_a.id,)),
            project_admin=make_account(front, admin, project_roles={a1.id: "admin"}),
            project_user=make_account(front, admin, project_roles={a1.id: "user"}),
            outsider=make_account(front, admin),
        )


@pytest.fixture(scope="module")
def tt_world(api_stack: Stack, api_stack_ca: Path) -> TypesOfTestsWorld:
    return build_test_types_world(api_stack, api_stack_ca)


@pytest.fixture
def raw_redis(api_stack: Stack) -> Iterator[redis.Redis]:
    client = api_stack.redis(decode_responses=False)
    yield client
    client.close()


def get(front: FrontDoorSession, path: str, account: Account, **params: Any) -> Any:
    return checked(front.get(path, params=params, headers=account.headers))


def ids(rows: list[dict[str, Any]], field: str = "id_test_type") -> set[int]:
    return {row[field] for row in rows}


def new_type_body(id_service: int, **fields: Any) -> dict[str, Any]:
    return {
        "test_type": {
            "id_test_type": 0,
            "id_service": id_service,
            "test_type_name": f"Type {uuid.uuid4().hex[:8]}",
            "test_type_has_web_format": True,
            **fields,
        }
    }


# --- /testtypes GET --------------------------------------------------------------------------------------------
def test_needs_authentication(front: FrontDoorSession) -> None:
    for path in (TYPES, PROJECTS, SITES):
        assert front.get(path, params={"id_test_type": 1}).status_code == 401, path
        assert front.post(path, json={}).status_code == 401, path
        assert front.delete(path, params={"id": 1}).status_code == 401, path


def test_types_in_scope(front: FrontDoorSession, tt_world: TypesOfTestsWorld) -> None:
    w = tt_world
    for account in (w.site_admin, w.project_admin, w.project_user):
        assert ids(get(front, TYPES, account)) == {w.type_a.id}, account.username
    assert get(front, TYPES, w.outsider) == []
    [type_a] = get(front, TYPES, w.project_user, id_test_type=w.type_a.id)
    assert type_a["test_type_uuid"] == w.type_a.uuid and type_a["test_type_service_key"] == w.service.name
    assert type_a["test_type_service_uuid"] == w.service.uuid and type_a["id_service"] == w.service.id
    [minimal] = get(front, TYPES, w.project_user, id_test_type=w.type_a.id, list="true")
    assert "test_type_service_key" not in minimal and minimal["test_type_name"] == w.type_a.name
    # One type: only its service must be accessible; otherwise 404 by id, [] by key or uuid.
    response = front.get(TYPES, params={"id_test_type": w.type_b.id}, headers=w.project_user.headers)
    assert response.status_code == 404 and response.json() == "Test type not found"
    assert get(front, TYPES, w.project_user, test_type_key=w.type_b.name) == []
    assert get(front, TYPES, w.project_user, test_type_uuid=w.type_a.uuid)[0]["id_test_type"] == w.type_a.id
    assert get(front, TYPES, w.project_user, test_type_key=w.type_a.name)[0]["id_test_type"] == w.type_a.id
    assert (
        front.get(TYPES, params={"test_type_uuid": str(uuid.uuid4())}, headers=w.site_admin.headers).status_code == 404
    )
    # A project or site: 403 when not the caller's.
    assert ids(get(front, TYPES, w.project_user, id_project=w.project_a1.id)) == {w.type_a.id}
    assert ids(get(front, TYPES, w.site_admin, id_site=w.site_a.id)) == {w.type_a.id}
    assert front.get(TYPES, params={"id_project": w.project_b1.id}, headers=w.project_user.headers).status_code == 403
    assert front.get(TYPES, params={"id_site": w.site_b.id}, headers=w.site_admin.headers).status_code == 403
    assert front.get(TYPES, params={"bogus": 1}, headers=w.site_admin.headers).status_code == 400


def test_types_with_urls_and_tokens(
    front: FrontDoorSession, tt_world: TypesOfTestsWorld, raw_redis: redis.Redis
) -> None:
    w = tt_world
    key = raw_redis.get("ServiceTokenAPIKey").decode()
    [with_urls] = get(front, TYPES, w.project_admin, id_test_type=w.type_a.id, with_urls="true")
    assert with_urls["test_type_web_url"].endswith(f"/{w.service.name.lower()}/viewer")
    assert with_urls["test_type_json_url"].endswith("/api/testtypes/form")
    assert with_urls["test_type_web_editor_url"] is None
    claims = jwt.decode(with_urls["access_token"], options={"verify_signature": False})
    assert claims["test_type_uuids"] == w.type_a.uuid and claims["can_edit"] is True
    assert claims["requester_uuid"] == w.project_admin.uuid and claims["exp"] - claims["iat"] == 1800
    jwt.decode(with_urls["access_token"], key, algorithms=["HS256"])  # signed with the service token key
    [user_view] = get(front, TYPES, w.project_user, id_test_type=w.type_a.id, with_only_token="true", with_urls="1")
    assert set(user_view) >= {"test_type_uuid", "access_token"} and "test_type_name" not in user_view
    assert jwt.decode(user_view["access_token"], options={"verify_signature": False})["can_edit"] is False


# --- /testtypes POST / DELETE ------------------------------------------------------------------------------------
def test_create_update_delete_a_type(
    front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld, raw_redis: redis.Redis
) -> None:
    w = tt_world
    body = new_type_body(w.service.id, test_type_projects=[{"id_project": w.project_a1.id}], flavour="mint")
    with Subscription(raw_redis, EVENTS + "test_type") as events:
        [created] = checked(front.post(TYPES, json=body, headers=w.project_admin.headers))
        assert events.wait_for(body["test_type"]["test_type_name"].encode()) is not None
    id_type = created["id_test_type"]
    assert created["test_type_name"] == body["test_type"]["test_type_name"] and "flavour" not in created
    assert uuid.UUID(created["test_type_uuid"])
    links = f"SELECT id_project FROM t_tests_types_projects WHERE id_test_type = {id_type} AND deleted_at IS NULL"
    assert api_stack.psql(links) == [[str(w.project_a1.id)]]

    rename = {"test_type": {"id_test_type": id_type, "test_type_name": "Renamed " + uuid.uuid4().hex[:6]}}
    [renamed] = checked(front.post(TYPES, json=rename, headers=w.project_user.headers))  # service admin role is enough
    assert renamed["test_type_name"] == rename["test_type"]["test_type_name"]
    assert front.post(TYPES, json=rename, headers=w.outsider.headers).status_code == 403
    unknown = {"test_type": {"id_test_type": id_type, "flavour": "mint"}}
    response = front.post(TYPES, json=unknown, headers=w.project_admin.headers)
    assert response.status_code == 400 and "flavour" in response.json()

    # Sites: a site admin offers it in site A; the other site is refused.
    offer = {"test_type": {"id_test_type": id_type, "test_type_sites": [{"id_site": w.site_a.id}]}}
    checked(front.post(TYPES, json=offer, headers=w.site_admin.headers))
    sites = f"SELECT id_site FROM t_tests_types_sites WHERE id_test_type = {id_type} AND deleted_at IS NULL"
    assert api_stack.psql(sites) == [[str(w.site_a.id)]]
    elsewhere = {"test_type": {"id_test_type": id_type, "test_type_sites": [{"id_site": w.site_b.id}]}}
    response = front.post(TYPES, json=elsewhere, headers=w.site_admin.headers)
    assert response.status_code == 403 and "site admin" in response.json()

    assert front.delete(TYPES, params={"id": id_type}, headers=w.outsider.headers).status_code == 403
    with Subscription(raw_redis, EVENTS + "test_type") as events:
        assert front.delete(TYPES, params={"id": id_type}, headers=w.project_admin.headers).status_code == 200
        assert events.wait_for(f'"id_test_type": {id_type}'.encode()) is not None
    assert front.get(TYPES, params={"id_test_type": id_type}, headers=w.project_admin.headers).status_code == 404
    assert front.delete(TYPES, params={"id": id_type}, headers=w.project_admin.headers).status_code == 400


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"test_type_projects": None, "id_test_type": 0}, 400, "Missing project"),
        ({"id_test_type": "new"}, 400, "id_test_type"),
        ({"test_type_projects": [{"id_project": -1}]}, 403, "No project admin access"),
        ({"test_type_projects": [{"id_project": "A1"}]}, 400, "Invalid id_project"),
        ({"test_type_sites": "everywhere", "test_type_projects": []}, 400, "test_type_sites"),
        ({"test_type_name": None, "test_type_projects": []}, 400, "Cannot create test type"),
    ],
)
def test_bad_type_bodies(
    front: FrontDoorSession, tt_world: TypesOfTestsWorld, fields: dict[str, Any], status: int, message: str
) -> None:
    body = new_type_body(tt_world.service.id, **fields)
    if fields.get("test_type_projects", []) is None:
        del body["test_type"]["test_type_projects"]
    response = front.post(TYPES, json=body, headers=tt_world.project_admin.headers)
    assert response.status_code == status, response.text
    assert message in response.json()


def test_type_refusals(front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld) -> None:
    w = tt_world
    projects = [{"id_project": w.project_a1.id}]
    # Service O is not accessible to the project admin of A1.
    body = new_type_body(w.other_service.id, test_type_projects=projects)
    assert front.post(TYPES, json=body, headers=w.project_admin.headers).status_code == 403
    # A project the caller does not administer.
    response = front.post(
        TYPES,
        json=new_type_body(w.service.id, test_type_projects=[{"id_project": w.project_a2.id}]),
        headers=w.project_admin.headers,
    )
    assert response.status_code == 403 and "project admin" in response.json()
    # A service the caller sees but that has no "admin" role is not administered in upstream's sense.
    plain = new_service(api_stack)
    link_service_project(api_stack, plain.id, w.project_a1.id)
    assert plain.id in {
        row["id_service"] for row in checked(front.get("/api/user/services", headers=w.project_admin.headers))
    }
    body = new_type_body(plain.id, test_type_projects=projects)
    assert front.post(TYPES, json=body, headers=w.project_admin.headers).status_code == 403
    # Upstream's 403 for a type of a service the caller does not administer also covers unknown ids.
    missing = {"test_type": {"id_test_type": 99999999, "test_type_name": "x"}}
    assert front.post(TYPES, json=missing, headers=w.project_admin.headers).status_code == 403
    assert front.post(TYPES, json={"nothing": {}}, headers=w.project_admin.headers).json() == "Missing test_type"
    assert front.delete(TYPES, params={"id": 99999999}, headers=w.project_admin.headers).status_code == 400


def test_type_with_tests_cannot_be_deleted(
    front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld
) -> None:
    w = tt_world
    type_row = new_test_type(api_stack, w.service.id)
    offer_type(api_stack, type_row.id, w.site_a.id, w.project_a1.id)
    new_test(api_stack, type_row.id, w.session_a.id, id_participant=w.participant_a.id)
    response = front.delete(TYPES, params={"id": type_row.id}, headers=w.project_admin.headers)
    assert response.status_code == 400 and "delete all tests" in response.json()


# --- /testtypes/projects and /testtypes/sites ----------------------------------------------------------------------
def test_project_links(front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld) -> None:
    w = tt_world
    assert front.get(PROJECTS, headers=w.site_admin.headers).json() == "Missing arguments"
    assert front.get(PROJECTS, params={"list": "false"}, headers=w.site_admin.headers).status_code == 400
    [link] = [
        row
        for row in get(front, PROJECTS, w.project_user, id_project=w.project_a1.id, with_sites="true")
        if row["id_test_type"] == w.type_a.id
    ]
    assert link["id_test_type"] == w.type_a.id and link["test_type_name"] == w.type_a.name
    assert link["project_name"] == w.project_a1.name and link["site_name"] == w.site_a.name
    minimal = get(front, PROJECTS, w.project_user, id_project=w.project_a1.id, list="false")
    assert minimal and all("project_name" not in row for row in minimal)  # `list` given, even false, as upstream
    assert get(front, PROJECTS, w.project_user, id_project=w.project_b1.id) == []
    by_type = get(front, PROJECTS, w.site_admin, id_test_type=w.type_a.id, with_projects="true")
    assert [(row["id_project"], row["id_test_type"]) for row in by_type if row["id_project"] == w.project_a2.id] == [
        (w.project_a2.id, None)
    ]

    # The project admin of A1 may not link A2; the site admin may (type offered in site A).
    body = {"project": {"id_project": w.project_a2.id, "testtypes": [{"id_test_type": w.type_a.id}]}}
    assert front.post(PROJECTS, json=body, headers=w.project_admin.headers).status_code == 403
    [added] = checked(front.post(PROJECTS, json=body, headers=w.site_admin.headers))
    assert added["id_project"] == w.project_a2.id and added["id_test_type_project"] > 0
    [again] = checked(front.post(PROJECTS, json={"test_type_project": added}, headers=w.site_admin.headers))
    assert again["id_test_type_project"] == added["id_test_type_project"]
    not_offered = {"test_type_project": {"id_test_type": w.type_b.id, "id_project": w.project_a2.id}}
    response = front.post(PROJECTS, json=not_offered, headers=w.site_admin.headers)
    assert response.status_code == 403 and "not associated to the site" in response.json()
    assert front.post(PROJECTS, json={"x": 1}, headers=w.site_admin.headers).json() == "Unknown format"
    bad = {"test_type_project": {"id_test_type": w.type_a.id}}
    assert front.post(PROJECTS, json=bad, headers=w.site_admin.headers).json() == "Badly formatted request"
    # Added links are checked one by one: a refused link answers before a later malformed one.
    mixed = {"test_type_project": [{"id_test_type": w.type_b.id, "id_project": w.project_b1.id}, {"id_project": 1}]}
    assert front.post(PROJECTS, json=mixed, headers=w.site_admin.headers).status_code == 403
    no_list = {"project": {"id_project": w.project_a2.id}}
    assert front.post(PROJECTS, json=no_list, headers=w.site_admin.headers).json() == "Missing test types"
    no_id = {"project": {"testtypes": []}}
    assert front.post(PROJECTS, json=no_id, headers=w.site_admin.headers).json() == "Missing project ID"
    # The keys first, then the list's shape, then the id's value.
    bad_both = {"test_type": {"id_test_type": None, "projects": "x"}}
    assert front.post(PROJECTS, json=bad_both, headers=w.site_admin.headers).json() == (
        "Invalid projects: expected a list of objects"
    )

    link_id = {"id": added["id_test_type_project"]}
    assert front.delete(PROJECTS, params=link_id, headers=w.project_admin.headers).status_code == 403
    assert front.delete(PROJECTS, params=link_id, headers=w.site_admin.headers).status_code == 200
    assert front.delete(PROJECTS, params=link_id, headers=w.site_admin.headers).json() == "Not found"
    # The "test_type" form: the project admin is not admin of every project of TA? A1 only: allowed.
    replace = {"test_type": {"id_test_type": w.type_a.id, "projects": [{"id_project": w.project_a1.id}]}}
    assert checked(front.post(PROJECTS, json=replace, headers=w.project_admin.headers)) == []


def test_site_links(front: FrontDoorSession, api_stack: Stack, tt_world: TypesOfTestsWorld) -> None:
    w = tt_world
    assert front.get(SITES, headers=w.site_admin.headers).status_code == 400
    [link] = [row for row in get(front, SITES, w.site_admin, id_site=w.site_a.id) if row["id_test_type"] == w.type_a.id]
    assert link["id_test_type"] == w.type_a.id and link["site_name"] == w.site_a.name
    assert link["test_type_name"] == w.type_a.name
    assert get(front, SITES, w.site_admin, id_site=w.site_b.id) == []
    fresh = new_test_type(api_stack, w.service.id)
    replace_site = {"site": {"id_site": w.site_a.id, "testtypes": [{"id_test_type": fresh.id}]}}
    assert front.post(SITES, json=replace_site, headers=w.project_admin.headers).status_code == 403
    body = {"test_type_site": {"id_test_type": fresh.id, "id_site": w.site_a.id}}
    [added] = checked(front.post(SITES, json=body, headers=w.site_admin.headers))
    assert added["id_test_type"] == fresh.id and added["id_test_type_site"] > 0
    assert {w.type_a.id, fresh.id} <= ids(get(front, SITES, w.site_admin, id_site=w.site_a.id))
    # Replacing the type's sites by none removes the site admin's link.
    unoffer = {"test_type": {"id_test_type": fresh.id, "sites": []}}
    assert checked(front.post(SITES, json=unoffer, headers=w.site_admin.headers)) == []
    assert fresh.id not in ids(get(front, SITES, w.site_admin, id_site=w.site_a.id))
    [added] = checked(front.post(SITES, json=body, headers=w.site_admin.headers))
    elsewhere = {"test_type_site": {"id_test_type": fresh.id, "id_site": w.site_b.id}}
    assert front.post(SITES, json=elsewhere, headers=w.site_admin.headers).status_code == 403
    assert front.post(SITES, json={"x": 1}, headers=w.site_admin.headers).json() == ""
    assert front.post(SITES, json={"site": {}}, headers=w.site_admin.headers).json() == "Missing site ID"
    null_id = {"site": {"id_site": None, "testtypes": []}}
    assert front.post(SITES, json=null_id, headers=w.site_admin.headers).json() == "Missing id_site"
    assert front.post(SITES, json={"test_type": {"sites": []}}, headers=w.site_admin.headers).json() == (
        "Missing id_test_type"
    )

    link_id = {"id": added["id_test_type_site"]}
    assert front.delete(SITES, params=link_id, headers=w.project_admin.headers).status_code == 403
    assert front.delete(SITES, params=link_id, headers=w.site_admin.headers).status_code == 200
    assert front.delete(SITES, params=link_id, headers=w.site_admin.headers).json() == "Bad parameter"
    assert fresh.id not in ids(get(front, SITES, w.site_admin, id_site=w.site_a.id))


def test_superadmin_sees_every_type(
    front: FrontDoorSession, stack_admin_token: str, tt_world: TypesOfTestsWorld
) -> None:
    w = tt_world
    rows = checked(front.get(TYPES, headers=bearer(stack_admin_token)))
    assert {w.type_a.id, w.type_b.id} <= ids(rows)
