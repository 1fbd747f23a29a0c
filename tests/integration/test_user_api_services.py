"""/api/user/services and /api/user/services/roles against the running stack, and the `service.<key>` contract.

DB events are checked on the raw bytes a Redis subscriber receives: the host test environment has no `opentera`
protobuf modules, so rather than vendoring them we assert that the TeraEvent carries a DatabaseEvent (its type
URL) whose JSON object_value is the service's, which is what a service built on the package decodes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis
import requests

from devstack.testing.subscription import Subscription

DB_EVENT_TOPIC = "module.TeraServer.DatabaseModule.events.service"


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"OpenTera {token}"}


def new_service_body(key: str, **fields: object) -> dict[str, object]:
    service: dict[str, object] = {
        "id_service": 0,
        "service_key": key,
        "service_name": f"Test {key}",
        "service_hostname": "testservice",
        "service_port": 5000,
        "service_endpoint": "/",
        "service_clientendpoint": f"/{key.lower()}",
    }
    service.update(fields)
    return {"service": service}


def post_service(https: requests.Session, token: str, body: dict[str, object]) -> requests.Response:
    return https.post("/api/user/services", json=body, headers=auth_header(token))


@pytest.fixture
def service_key() -> str:
    return f"Svc{uuid.uuid4().hex[:10]}"


@pytest.fixture
def non_superadmin_token(https: requests.Session, admin_token: str) -> str:
    """A freshly created, enabled, non-superadmin user's token."""
    username = f"user{uuid.uuid4().hex[:8]}"
    password = "Very$ecret-Passw0rd"
    response = https.post(
        "/api/user/users",
        json={
            "user": {
                "id_user": 0,
                "user_username": username,
                "user_firstname": "Plain",
                "user_lastname": "User",
                "user_password": password,
                "user_enabled": True,
            }
        },
        headers=auth_header(admin_token),
    )
    assert response.status_code == 200, response.text
    login = https.get("/api/user/login", auth=(username, password))
    assert login.status_code == 200, login.text
    return login.json()["user_token"]


@pytest.fixture
def service_events(raw_redis: redis.Redis) -> Iterator[Subscription]:
    subscription = Subscription(raw_redis, DB_EVENT_TOPIC)
    yield subscription
    subscription.close()


def test_services_writes_need_authentication(https: requests.Session) -> None:
    assert post_service(https, "not-a-token", new_service_body("NoAuth")).status_code == 401
    assert https.delete("/api/user/services", params={"id": 1}).status_code == 401
    assert https.post("/api/user/services", json=new_service_body("NoAuth")).status_code == 401


def test_only_superadmins_create_or_delete_services(https: requests.Session, non_superadmin_token: str) -> None:
    response = post_service(https, non_superadmin_token, new_service_body("Forbidden"))
    assert response.status_code == 403
    assert response.json() == "Forbidden"
    assert (
        https.delete("/api/user/services", params={"id": 2}, headers=auth_header(non_superadmin_token)).status_code
        == 403
    )


@pytest.mark.parametrize(
    "body",
    [
        {"service": {"service_key": "NoId"}},
        {"service": {"id_service": "zero", "service_key": "BadId"}},
        {"service": {"id_service": 0}},
        {"service": {"id_service": 0, "service_key": "Unknown", "no_such_field": 1}},
        {"service": {"id_service": 0, "service_key": "MissingName"}},
        {"service": {"id_service": 0, "service_key": "BadRoles", "roles": "admin"}},
        {"not_a_service": {}},
        ["not", "an", "object"],
    ],
)
def test_bad_service_bodies_are_400(https: requests.Session, admin_token: str, body: object) -> None:
    response = https.post("/api/user/services", json=body, headers=auth_header(admin_token))
    assert response.status_code == 400, response.text


def test_bad_delete_parameters_are_400(https: requests.Session, admin_token: str) -> None:
    headers = auth_header(admin_token)
    assert https.delete("/api/user/services", headers=headers).status_code == 400
    assert https.delete("/api/user/services", params={"id": "abc"}, headers=headers).status_code == 400
    assert https.delete("/api/user/services", params={"id": 999999}, headers=headers).status_code == 400
    assert https.delete("/api/user/services", params={"id": 1, "x": 1}, headers=headers).status_code == 400


def test_system_and_server_services_are_protected(https: requests.Session, admin_token: str) -> None:
    headers = auth_header(admin_token)
    services = https.get("/api/user/services", headers=headers).json()
    system = next(s for s in services if s["service_system"])
    assert https.delete("/api/user/services", params={"id": system["id_service"]}, headers=headers).status_code == 403
    # OpenTeraServer (id 1 in upstream's defaults) can't be updated
    response = post_service(https, admin_token, {"service": {"id_service": 1, "service_name": "Renamed"}})
    assert response.status_code == 403


def test_service_lifecycle_keeps_redis_entry_in_step(
    https: requests.Session, admin_token: str, redis_client: redis.Redis, service_key: str
) -> None:
    entry = f"service.{service_key}"
    created = post_service(https, admin_token, new_service_body(service_key, service_uuid="ignored-uuid"))
    assert created.status_code == 200, created.text
    [service] = created.json()
    assert service["service_enabled"] is False  # default
    uuid.UUID(service["service_uuid"])  # a fresh random uuid, not the one sent
    assert service["service_roles"] == [] and service["service_projects"] == []
    assert not redis_client.exists(entry), "a disabled service must not be published"

    id_service = service["id_service"]
    enabled = post_service(https, admin_token, {"service": {"id_service": id_service, "service_enabled": True}})
    assert enabled.status_code == 200, enabled.text
    assert json.loads(redis_client.get(entry)) == enabled.json()[0]

    updated = post_service(https, admin_token, {"service": {"id_service": id_service, "service_port": 5123}})
    assert json.loads(redis_client.get(entry))["service_port"] == 5123
    assert updated.json()[0]["service_uuid"] == service["service_uuid"]

    post_service(https, admin_token, {"service": {"id_service": id_service, "service_enabled": False}})
    assert not redis_client.exists(entry)

    post_service(https, admin_token, {"service": {"id_service": id_service, "service_enabled": True}})
    assert redis_client.exists(entry)
    deleted = https.delete("/api/user/services", params={"id": id_service}, headers=auth_header(admin_token))
    assert deleted.status_code == 200 and deleted.json() == ""
    assert not redis_client.exists(entry)
    listed = https.get("/api/user/services", params={"key": service_key}, headers=auth_header(admin_token))
    assert listed.json() == []


def test_redis_entry_follows_a_key_change(
    https: requests.Session, admin_token: str, redis_client: redis.Redis, service_key: str
) -> None:
    [service] = post_service(https, admin_token, new_service_body(service_key, service_enabled=True)).json()
    assert redis_client.exists(f"service.{service_key}")
    renamed = service_key + "B"
    response = post_service(
        https, admin_token, {"service": {"id_service": service["id_service"], "service_key": renamed}}
    )
    assert response.status_code == 200
    assert not redis_client.exists(f"service.{service_key}")
    assert json.loads(redis_client.get(f"service.{renamed}"))["service_key"] == renamed


def test_roles_are_created_and_listed(
    https: requests.Session, admin_token: str, redis_client: redis.Redis, service_key: str
) -> None:
    roles = [{"id_service_role": 0, "service_role_name": "admin"}, {"id_service_role": 0, "service_role_name": "user"}]
    response = post_service(https, admin_token, new_service_body(service_key, service_enabled=True, roles=roles))
    assert response.status_code == 200, response.text
    [service] = response.json()
    assert sorted(r["service_role_name"] for r in service["service_roles"]) == ["admin", "user"]
    # The Redis entry lists the roles too (upstream leaves it stale until the next service event).
    assert json.loads(redis_client.get(f"service.{service_key}"))["service_roles"] == service["service_roles"]

    headers = auth_header(admin_token)
    listed = https.get("/api/user/services/roles", params={"id_service": service["id_service"]}, headers=headers)
    assert listed.status_code == 200
    assert {r["service_role_name"] for r in listed.json()} == {"admin", "user"}
    assert all(set(r) >= {"id_service", "id_service_role", "service_role_name"} for r in listed.json())

    # Keeping only "admin" deletes "user"
    admin_role = next(r for r in service["service_roles"] if r["service_role_name"] == "admin")
    keep = [{"id_service_role": admin_role["id_service_role"], "service_role_name": "admin"}]
    response = post_service(https, admin_token, {"service": {"id_service": service["id_service"], "roles": keep}})
    assert [r["service_role_name"] for r in response.json()[0]["service_roles"]] == ["admin"]

    new_role = https.post(
        "/api/user/services/roles",
        json={
            "service_role": {"id_service_role": 0, "id_service": service["id_service"], "service_role_name": "viewer"}
        },
        headers=headers,
    )
    assert new_role.status_code == 200, new_role.text
    id_role = new_role.json()[0]["id_service_role"]
    assert https.delete("/api/user/services/roles", params={"id": id_role}, headers=headers).status_code == 200
    names = {
        r["service_role_name"]
        for r in https.get(
            "/api/user/services/roles", params={"id_service": service["id_service"]}, headers=headers
        ).json()
    }
    assert names == {"admin"}


def test_service_roles_rules(https: requests.Session, admin_token: str, non_superadmin_token: str) -> None:
    assert https.get("/api/user/services/roles", params={"id_service": 2}).status_code == 401
    body = {"service_role": {"id_service_role": 0, "id_service": 2, "service_role_name": "x"}}
    assert (
        https.post("/api/user/services/roles", json=body, headers=auth_header(non_superadmin_token)).status_code == 403
    )
    headers = auth_header(admin_token)
    # Without id_service: the roles of every accessible service, as upstream. OpenTeraServer's (1, the first service
    # created: its site and project roles) only for a superadmin, as upstream lists them; never with id_service.
    every = https.get("/api/user/services/roles", headers=headers)
    assert every.status_code == 200 and any(role["id_service"] == 1 for role in every.json())
    theirs = https.get("/api/user/services/roles", headers=auth_header(non_superadmin_token))
    assert theirs.status_code == 200 and all(role["id_service"] != 1 for role in theirs.json())
    assert https.get("/api/user/services/roles", params={"id_service": 1}, headers=headers).json() == []
    assert https.get("/api/user/services/roles", params={"id_service": "x"}, headers=headers).status_code == 400
    assert https.get("/api/user/services/roles", params={"id_service": 2, "bad": 1}, headers=headers).status_code == 400
    bad = {"service_role": {"id_service_role": 0, "id_service": 999999, "service_role_name": "x"}}
    assert https.post("/api/user/services/roles", json=bad, headers=headers).status_code == 400


def test_service_changes_publish_database_events(
    https: requests.Session, admin_token: str, service_events: Subscription, service_key: str
) -> None:
    [service] = post_service(https, admin_token, new_service_body(service_key)).json()
    needle = f'"service_key": "{service_key}"'.encode()
    created = service_events.wait_for(needle)
    assert created is not None, "no service event received"
    assert b"type.googleapis.com/opentera.protobuf.DatabaseEvent" in created
    assert DB_EVENT_TOPIC.encode() in created  # TeraEvent header.topic
    assert json.dumps(service).encode() in created  # object_value = the service's full JSON

    https.delete("/api/user/services", params={"id": service["id_service"]}, headers=auth_header(admin_token))
    deleted = service_events.wait_for(b'"deleted_at"')
    assert deleted is not None and needle in deleted  # a soft delete arrives as an update with deleted_at


def test_service_site_links_in_upstreams_three_forms(
    https: requests.Session, admin_token: str, service_key: str
) -> None:
    headers = auth_header(admin_token)
    service = post_service(https, admin_token, new_service_body(service_key)).json()
    id_service = (service[0] if isinstance(service, list) else service)["id_service"]
    sites = [
        https.post("/api/user/sites", json={"site": {"id_site": 0, "site_name": f"{service_key} {n}"}}, headers=headers)
        for n in ("A", "B")
    ]
    site_a, site_b = ((s.json()[0] if isinstance(s.json(), list) else s.json())["id_site"] for s in sites)

    def linked() -> set[int]:
        answer = https.get(f"/api/user/services/sites?id_service={id_service}", headers=headers)
        assert answer.status_code == 200, answer.text
        return {link["id_site"] for link in answer.json()}

    def post(body: object) -> requests.Response:
        return https.post("/api/user/services/sites", json=body, headers=headers)

    # Replace the service's links: both sites; then only B (A's link goes).
    both = post({"service": {"id_service": id_service, "sites": [{"id_site": site_a}, {"id_site": site_b}]}})
    assert both.status_code == 200, both.text
    assert sorted(link["id_site"] for link in both.json()) == sorted([site_a, site_b])
    assert {site_a, site_b} <= linked()
    only_b = post({"service": {"id_service": id_service, "sites": [{"id_site": site_b}]}})
    assert only_b.status_code == 200 and only_b.json() == []  # nothing new to add
    assert site_a not in linked() and site_b in linked()
    # Replace the site's links (A: this service); add by uuid.
    assert post({"site": {"id_site": site_a, "services": [{"id_service": id_service}]}}).status_code == 200
    assert site_a in linked()
    added = post(
        {
            "service_site": [
                {"service_uuid": service_key and id_service and _uuid(https, headers, id_service), "id_site": site_b}
            ]
        }
    )
    assert added.status_code == 200, added.text
    assert added.json()[0]["id_service"] == id_service

    for body, message in (
        ({"service": []}, "Invalid service: expected an object"),
        ({"service": {"id_service": id_service}}, "Missing sites"),
        ({"service": {"id_service": id_service, "sites": [1]}}, "Invalid sites: expected a list of objects"),
        ({"site": {"id_site": site_a}}, "Missing services"),
        ({"nothing": 1}, "Missing service, site or service_site"),
        ({"service_site": {"id_site": site_a, "service_uuid": "no-such-uuid"}}, "Invalid service_uuid"),
    ):
        refused = post(body)
        assert (refused.status_code, refused.json()) == (400, message), body


def test_service_link_listings_as_upstream(https: requests.Session, admin_token: str, service_key: str) -> None:
    headers = auth_header(admin_token)

    def get(path: str, **params: object) -> list[dict[str, object]]:
        answer = https.get(path, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    # As upstream, any argument set is enough: a flag alone answers an empty list; nothing (or only false) is a 400.
    for path, flag in (("/api/user/services/sites", "with_sites"), ("/api/user/services/projects", "with_services")):
        assert get(path, list="true") == [] and get(path, **{flag: "true"}) == []
        refused = https.get(path, params={"list": "false"}, headers=headers)
        assert (refused.status_code, refused.json()) == (400, "Missing arguments")

    service = post_service(https, admin_token, new_service_body(service_key)).json()
    id_service = (service[0] if isinstance(service, list) else service)["id_service"]
    site = {"site": {"id_site": 0, "site_name": f"{service_key} S"}}
    answer = https.post("/api/user/sites", json=site, headers=headers)
    id_site = (answer.json()[0] if isinstance(answer.json(), list) else answer.json())["id_site"]

    # Not linked yet: with_sites lists the site as a candidate, with neither link id nor service.
    candidates = get("/api/user/services/sites", id_service=id_service, with_sites="true")
    assert [c for c in candidates if c["id_site"] == id_site] == [
        {
            "id_service_site": None,
            "id_service": None,
            "id_site": id_site,
            "service_name": None,
            "service_key": None,
            "service_system": None,
            "site_name": f"{service_key} S",
        }
    ]

    link = {"service_site": {"id_service": id_service, "id_site": id_site}}
    assert https.post("/api/user/services/sites", json=link, headers=headers).status_code == 200
    [listed] = [c for c in get("/api/user/services/sites", id_site=id_site) if c["id_service"] == id_service]
    assert listed["service_key"] == service_key and "service_system" in listed and listed["id_service_site"]

    # A project of that site: the service is a candidate (no link id, no project) until linked.
    body = {"project": {"id_project": 0, "id_site": id_site, "project_name": f"{service_key} P"}}
    answer = https.post("/api/user/projects", json=body, headers=headers)
    id_project = (answer.json()[0] if isinstance(answer.json(), list) else answer.json())["id_project"]
    rows = get("/api/user/services/projects", id_project=id_project, with_services="true", with_roles="true")
    [candidate] = [row for row in rows if row["id_service"] == id_service]
    assert (candidate["id_service_project"], candidate["id_project"], candidate["project_name"]) == (None, None, None)
    assert candidate["service_key"] == service_key and isinstance(candidate["service_roles"], list)
    # `list` present, whatever its value, keeps the ids only (upstream tests its presence).
    minimal = get("/api/user/services/projects", id_project=id_project, with_services="true", list="false")
    assert all(set(row) == {"id_service_project", "id_service", "id_project"} for row in minimal)


def _uuid(https: requests.Session, headers: dict[str, str], id_service: int) -> str:
    answer = https.get(f"/api/user/services?id_service={id_service}", headers=headers)
    return answer.json()[0]["service_uuid"]
