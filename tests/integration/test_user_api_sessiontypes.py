"""/api/user/sessiontypes and its /sites, /projects, /services links, as a service's setup script uses them.

Runs on `api_stack` (rows other tests must not see): site A with projects A1, A2 and service S linked to
site A and A1; site B with project B1 and service O; session type TA used in site A / A1, TB in site B / B1;
a site admin of A, a project admin of A1, an outsider.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from service_world import (
    Row,
    insert,
    link_service_project,
    link_service_site,
    new_project,
    new_service,
    new_session_type,
    new_site,
)
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account
from test_user_api_services import Subscription

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

TYPES = "/api/user/sessiontypes"
SITES = "/api/user/sessiontypes/sites"
PROJECTS = "/api/user/sessiontypes/projects"
SERVICES = "/api/user/sessiontypes/services"
EVENTS = "module.TeraServer.DatabaseModule.events."
PROTOCOL = 4  # TeraSessionType.SessionCategoryEnum.PROTOCOL; SERVICE is 1


@dataclass(frozen=True)
class TypesWorld:
    site_a: Row
    site_b: Row
    project_a1: Row
    project_a2: Row
    project_b1: Row
    service: Row
    other_service: Row
    type_a: Row
    type_b: Row
    site_admin: Account
    project_admin: Account
    outsider: Account


def link_type(stack: Stack, id_session_type: int, id_site: int, id_project: int) -> None:
    insert(
        stack,
        "t_sessions_types_sites",
        {"id_session_type": id_session_type, "id_site": id_site},
        "id_session_type_site",
    )
    insert(
        stack,
        "t_sessions_types_projects",
        {"id_session_type": id_session_type, "id_project": id_project},
        "id_session_type_project",
    )


@pytest.fixture(scope="module")
def types_world(api_stack: Stack, api_stack_ca: Path) -> TypesWorld:
    site_a, site_b = new_site(api_stack), new_site(api_stack)
    a1, a2, b1 = new_project(api_stack, site_a.id), new_project(api_stack, site_a.id), new_project(api_stack, site_b.id)
    add_server_roles(api_stack, id_site=site_a.id)
    add_server_roles(api_stack, id_project=a1.id)
    service, other = new_service(api_stack), new_service(api_stack)
    link_service_site(api_stack, service.id, site_a.id)
    link_service_project(api_stack, service.id, a1.id)
    link_service_site(api_stack, other.id, site_b.id)
    type_a, type_b = new_session_type(api_stack, service.id), new_session_type(api_stack, other.id)
    link_type(api_stack, type_a.id, site_a.id, a1.id)
    link_type(api_stack, type_b.id, site_b.id, b1.id)
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return TypesWorld(
            site_a=site_a,
            site_b=site_b,
            project_a1=a1,
            project_a2=a2,
            project_b1=b1,
            service=service,
            other_service=other,
            type_a=type_a,
            type_b=type_b,
            site_admin=make_account(front, admin, admin_sites=(site_a.id,)),
            project_admin=make_account(front, admin, project_roles={a1.id: "admin"}),
            outsider=make_account(front, admin),
        )


@pytest.fixture
def raw_redis(api_stack: Stack) -> Iterator[redis.Redis]:
    client = api_stack.redis(decode_responses=False)
    yield client
    client.close()


def subscribe(client: redis.Redis, object_type: str) -> Subscription:
    return Subscription(client, EVENTS + object_type)


def get(front: FrontDoorSession, path: str, account: Account, **params: Any) -> list[dict[str, Any]]:
    return checked(front.get(path, params=params, headers=account.headers))


def ids(rows: list[dict[str, Any]], field: str = "id_session_type") -> set[int]:
    return {row[field] for row in rows}


def new_type(**fields: Any) -> dict[str, Any]:
    return {
        "session_type": {
            "id_session_type": 0,
            "session_type_name": f"Type {uuid.uuid4().hex[:8]}",
            "session_type_online": False,
            "session_type_color": "#112233",
            "session_type_category": PROTOCOL,
            **fields,
        }
    }


def test_needs_authentication(front: FrontDoorSession) -> None:
    for path in (TYPES, SITES, PROJECTS, SERVICES):
        assert front.get(path, params={"id_session_type": 1}).status_code == 401, path
        assert front.post(path, json={}).status_code == 401, path
        assert front.delete(path, params={"id": 1}).status_code == 401, path


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (TYPES, {"bogus": 1}),
        (TYPES, {"id_project": "x"}),
        (SITES, {}),
        (SITES, {"id_site": 1, "with_projects": "true"}),
        (PROJECTS, {}),
        (PROJECTS, {"id_project": 1, "nope": 1}),
        (SERVICES, {}),
        (SERVICES, {"id_service": 1}),
    ],
)
def test_bad_queries_are_400(front: FrontDoorSession, stack_admin_token: str, path: str, params: Any) -> None:
    assert front.get(path, params=params, headers=bearer(stack_admin_token)).status_code == 400


@pytest.mark.parametrize(
    ("path", "flag"),
    [(SITES, "with_sites"), (SITES, "list"), (PROJECTS, "with_session_type"), (SERVICES, "with_services")],
)
def test_a_flag_alone_is_an_empty_list(front: FrontDoorSession, stack_admin_token: str, path: str, flag: str) -> None:
    # As upstream: any argument set passes the "missing arguments" check, and no id lists nothing.
    assert checked(front.get(path, params={flag: "true"}, headers=bearer(stack_admin_token))) == []
    refused = front.get(path, params={flag: "false"}, headers=bearer(stack_admin_token))
    assert (refused.status_code, refused.json()) == (400, "Missing arguments")


def test_session_types_in_scope(front: FrontDoorSession, types_world: TypesWorld) -> None:
    w = types_world
    mine = get(front, TYPES, w.site_admin)
    assert w.type_a.id in ids(mine) and w.type_b.id not in ids(mine)
    [type_a] = [row for row in mine if row["id_session_type"] == w.type_a.id]
    assert type_a["session_type_name"] == w.type_a.name and type_a["id_service"] == w.service.id
    assert type_a["session_type_service_key"] == w.service.name and type_a["session_type_category"] == 1
    assert {"session_type_online", "session_type_color", "session_type_config"} <= set(type_a)
    # Upstream 1.3.0's fields: no secondary services nor service capabilities (the package's 1.3.1 adds them).
    assert not {"session_type_secondary_services", "session_type_service_has_assets"} & set(type_a)
    assert ids(get(front, TYPES, w.project_admin, id_project=w.project_a1.id)) == {w.type_a.id}
    assert ids(get(front, TYPES, w.site_admin, id_site=w.site_a.id)) == {w.type_a.id}
    [minimal] = get(front, TYPES, w.site_admin, id_session_type=w.type_a.id, list="true")
    assert "session_type_config" not in minimal and "session_type_service_key" not in minimal
    assert get(front, TYPES, w.site_admin, id_session_type=w.type_b.id) == []
    assert front.get(TYPES, params={"id_site": w.site_b.id}, headers=w.site_admin.headers).status_code == 403
    assert get(front, TYPES, w.outsider) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id_session_type": "new"}, "Invalid id_session_type"),
        ({"session_type_category": 9, "session_type_sites": []}, "session_type_category"),
        ({"session_type_category": 1, "session_type_sites": []}, "Missing id_service"),
        ({"session_type_sites": "everywhere"}, "session_type_sites"),
        ({}, "session_type_sites"),  # a site admin must say where the new type is offered
    ],
)
def test_bad_session_type_bodies_are_400(
    front: FrontDoorSession, types_world: TypesWorld, fields: dict[str, Any], message: str
) -> None:
    response = front.post(TYPES, json=new_type(**fields), headers=types_world.site_admin.headers)
    assert response.status_code == 400, response.text
    assert message in response.json()


def test_unknown_fields_are_ignored_on_creation_and_refused_on_update(
    front: FrontDoorSession, types_world: TypesWorld
) -> None:
    w = types_world
    body = new_type(flavour="mint", session_type_sites=[{"id_site": w.site_a.id}])
    [created] = checked(front.post(TYPES, json=body, headers=w.site_admin.headers))
    assert "flavour" not in created
    update = {"session_type": {"id_session_type": created["id_session_type"], "flavour": "mint"}}
    refused = front.post(TYPES, json=update, headers=w.site_admin.headers)
    assert (refused.status_code, refused.json()) == (400, "Unknown session_type fields: flavour")


def test_site_admin_creates_updates_and_deletes_a_type(
    front: FrontDoorSession, api_stack: Stack, types_world: TypesWorld, raw_redis: redis.Redis
) -> None:
    w = types_world
    events = subscribe(raw_redis, "session_type")
    try:
        body = new_type(
            session_type_sites=[{"id_site": w.site_a.id}], session_type_projects=[{"id_project": w.project_a1.id}]
        )
        [created] = checked(front.post(TYPES, json=body, headers=w.site_admin.headers))
        name = body["session_type"]["session_type_name"]
        assert created["session_type_name"] == name and created["session_type_category"] == PROTOCOL
        event = events.wait_for(name.encode())
        assert event is not None and b"type.googleapis.com/opentera.protobuf.DatabaseEvent" in event
    finally:
        events.close()
    id_type = created["id_session_type"]
    assert api_stack.psql(f"SELECT id_site FROM t_sessions_types_sites WHERE id_session_type = {id_type}") == [
        [str(w.site_a.id)]
    ]
    assert api_stack.psql(f"SELECT id_project FROM t_sessions_types_projects WHERE id_session_type = {id_type}") == [
        [str(w.project_a1.id)]
    ]
    assert (
        front.post(
            TYPES, json=new_type(session_type_sites=[{"id_site": w.site_b.id}]), headers=w.site_admin.headers
        ).status_code
        == 403
    )
    # A project in a site the type is not offered in is refused.
    outside = {"id_session_type": id_type, "session_type_projects": [{"id_project": w.project_b1.id}]}
    superadmin = bearer(login(front, "admin", "admin"))
    assert front.post(TYPES, json={"session_type": outside}, headers=superadmin).status_code == 400

    rename = {"session_type": {"id_session_type": id_type, "session_type_name": name + " v2"}}
    assert front.post(TYPES, json=rename, headers=w.outsider.headers).status_code == 403
    # As upstream: updating a type needs it among the types of a site one administers (a project admin: 403).
    assert front.post(TYPES, json=rename, headers=w.project_admin.headers).status_code == 403
    [renamed] = checked(front.post(TYPES, json=rename, headers=w.site_admin.headers))
    assert renamed["session_type_name"] == name + " v2"

    assert front.delete(TYPES, params={"id": id_type}, headers=w.outsider.headers).status_code == 403
    assert front.delete(TYPES, params={"id": id_type}, headers=w.site_admin.headers).status_code == 200
    assert get(front, TYPES, w.site_admin, id_session_type=id_type) == []
    assert front.delete(TYPES, params={"id": id_type}, headers=w.site_admin.headers).status_code == 400


def test_service_type_needs_an_accessible_service(front: FrontDoorSession, types_world: TypesWorld) -> None:
    w = types_world
    sites = [{"id_site": w.site_a.id}]
    ok = new_type(session_type_category=1, id_service=w.service.id, session_type_sites=sites)
    [created] = checked(front.post(TYPES, json=ok, headers=w.site_admin.headers))
    assert created["session_type_service_uuid"] == w.service.uuid
    other = new_type(session_type_category=1, id_service=w.other_service.id, session_type_sites=sites)
    assert front.post(TYPES, json=other, headers=w.site_admin.headers).status_code == 403


def test_type_site_links(
    front: FrontDoorSession, stack_admin_token: str, types_world: TypesWorld, raw_redis: redis.Redis
) -> None:
    w = types_world
    links = get(front, SITES, w.site_admin, id_site=w.site_a.id)
    [link] = [row for row in links if row["id_session_type"] == w.type_a.id]
    assert link["id_session_type"] == w.type_a.id and link["id_site"] == w.site_a.id
    assert link["session_type_name"] == w.type_a.name and link["site_name"] == w.site_a.name
    [minimal] = get(front, SITES, w.site_admin, id_session_type=w.type_a.id, list="true")
    assert "site_name" not in minimal and minimal["id_session_type_site"] == link["id_session_type_site"]
    assert get(front, SITES, w.site_admin, id_site=w.site_b.id) == []

    # A type created by the superadmin, offered in site A by the site admin.
    [fresh] = checked(front.post(TYPES, json=new_type(), headers=bearer(stack_admin_token)))
    events = subscribe(raw_redis, "session_type_site")
    try:
        body = {"session_type_site": {"id_session_type": fresh["id_session_type"], "id_site": w.site_a.id}}
        [added] = checked(front.post(SITES, json=body, headers=w.site_admin.headers))
        assert added["id_session_type_site"] > 0
        assert events.wait_for(f'"id_session_type_site": {added["id_session_type_site"]}'.encode()) is not None
    finally:
        events.close()
    elsewhere = {"session_type_site": {"id_session_type": fresh["id_session_type"], "id_site": w.site_b.id}}
    assert front.post(SITES, json=elsewhere, headers=w.site_admin.headers).status_code == 403
    bad = {"session_type_site": {"id_session_type": 987654, "id_site": w.site_a.id}}
    assert front.post(SITES, json=bad, headers=w.site_admin.headers).status_code == 400
    assert front.post(SITES, json={"site": {"id_site": w.site_a.id}}, headers=w.site_admin.headers).status_code == 400

    link_id = {"id": added["id_session_type_site"]}
    assert front.delete(SITES, params=link_id, headers=w.outsider.headers).status_code == 403
    assert front.delete(SITES, params=link_id, headers=w.site_admin.headers).status_code == 200
    assert front.delete(SITES, params=link_id, headers=w.site_admin.headers).status_code == 400


def test_type_project_links(front: FrontDoorSession, types_world: TypesWorld) -> None:
    w = types_world
    body = {"project": {"id_project": w.project_a2.id, "sessiontypes": [{"id_session_type": w.type_a.id}]}}
    assert front.post(PROJECTS, json=body, headers=w.project_admin.headers).status_code == 403  # admin of A1 only
    [added] = checked(front.post(PROJECTS, json=body, headers=w.site_admin.headers))
    assert added["id_project"] == w.project_a2.id and added["id_session_type_project"] > 0
    [link] = get(front, PROJECTS, w.site_admin, id_project=w.project_a2.id, with_sites="true")
    assert link["session_type_name"] == w.type_a.name and link["project_name"] == w.project_a2.name
    assert link["id_site"] == w.site_a.id and link["site_name"] == w.site_a.name
    both = get(front, PROJECTS, w.site_admin, id_session_type=w.type_a.id)
    assert ids(both, "id_project") == {w.project_a1.id, w.project_a2.id}

    not_in_site = {"session_type_project": {"id_session_type": w.type_b.id, "id_project": w.project_a2.id}}
    assert front.post(PROJECTS, json=not_in_site, headers=w.site_admin.headers).status_code == 403

    link_id = {"id": added["id_session_type_project"]}
    assert front.delete(PROJECTS, params=link_id, headers=w.outsider.headers).status_code == 403
    assert front.delete(PROJECTS, params=link_id, headers=w.site_admin.headers).status_code == 200
    assert get(front, PROJECTS, w.site_admin, id_project=w.project_a2.id) == []


def test_type_secondary_services(front: FrontDoorSession, types_world: TypesWorld) -> None:
    w = types_world
    assert get(front, SERVICES, w.site_admin, id_session_type=w.type_a.id) == []
    body = {"session_type_service": {"id_session_type": w.type_a.id, "id_service": w.service.id}}
    assert front.post(SERVICES, json=body, headers=w.outsider.headers).status_code == 403
    [added] = checked(front.post(SERVICES, json=body, headers=w.site_admin.headers))
    [link] = get(front, SERVICES, w.site_admin, id_session_type=w.type_a.id)
    assert link["id_session_type_service"] == added["id_session_type_service"]
    assert link["service_name"] == w.service.name and link["session_type_name"] == w.type_a.name
    # Upstream's link rows carry only their ids and the two names (no service key/uuid).
    assert link["id_service"] == w.service.id and "session_type_service_service_uuid" not in link
    [type_a] = get(front, TYPES, w.site_admin, id_session_type=w.type_a.id)
    assert "session_type_secondary_services" not in type_a  # listed by /sessiontypes/services only, as upstream

    other = {"session_type_service": {"id_session_type": w.type_a.id, "id_service": w.other_service.id}}
    assert front.post(SERVICES, json=other, headers=w.site_admin.headers).status_code == 403
    link_id = {"id": added["id_session_type_service"]}
    assert front.delete(SERVICES, params=link_id, headers=w.outsider.headers).status_code == 403
    assert front.delete(SERVICES, params=link_id, headers=w.site_admin.headers).status_code == 200
    assert get(front, SERVICES, w.site_admin, id_session_type=w.type_a.id) == []


def test_direct_read_on_teraserver_port(api_stack: Stack, types_world: TypesWorld) -> None:
    base = f"http://127.0.0.1:{api_stack.host_port('teraserver', 4040)}"
    assert requests.get(base + TYPES, timeout=15).status_code == 401
    response = requests.get(
        base + TYPES,
        params={"id_project": types_world.project_a1.id},
        headers=types_world.project_admin.headers,
        timeout=15,
    )
    assert response.status_code == 200 and ids(response.json()) == {types_world.type_a.id}
