"""The access rules of /api/service/* (service_access.py), one test per rule, with rows made for each case.

The world (service_world.World): service S is linked to site A and project A1, service O to site B
and project B1; participant_a is in A1, participant_b in B1. Each test adds the rows its rule needs.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from service_world import (
    Row,
    ServiceClient,
    World,
    insert,
    new_participant,
    new_project,
    new_project_user,
    new_role,
    new_service,
    new_session,
    new_session_type,
    new_user,
    new_user_group,
    opentera_server_id,
    unique,
)

from devstack.testing.stack import Stack
from devstack.testing.tokens import mint_service_token

# Fixtures (world, client, other_client, token_key) of the shared helper module.

DATABASE_WORDS = ("violates", "foreign key", "constraint", "DETAIL", "INSERT", "t_users", "psycopg")


# -- rows ---------------------------------------------------------------------------------------------------------
def link(stack: Stack, table: str, key: str, **values: int) -> int:
    return int(insert(stack, table, values, key)[0])


def secondary_service(stack: Stack, id_session_type: int, id_service: int) -> None:
    link(
        stack,
        "t_sessions_types_services",
        "id_session_type_service",
        id_session_type=id_session_type,
        id_service=id_service,
    )


def session_type_in_site(stack: Stack, id_session_type: int, id_site: int) -> int:
    return link(
        stack, "t_sessions_types_sites", "id_session_type_site", id_session_type=id_session_type, id_site=id_site
    )


def session_type_in_project(stack: Stack, id_session_type: int, id_project: int) -> int:
    return link(
        stack,
        "t_sessions_types_projects",
        "id_session_type_project",
        id_session_type=id_session_type,
        id_project=id_project,
    )


def new_test_type(stack: Stack, id_service: int, name: str | None = None) -> Row:
    name = name or unique("TestType")
    values = {
        "id_service": id_service,
        "test_type_uuid": str(uuid.uuid4()),
        "test_type_name": name,
        "test_type_key": name,
        "test_type_has_json_format": False,
        "test_type_has_web_format": False,
        "test_type_has_web_editor": False,
    }
    return Row(
        id=int(insert(stack, "t_tests_types", values, "id_test_type")[0]), uuid=values["test_type_uuid"], name=name
    )


def new_test(stack: Stack, id_test_type: int, id_session: int) -> Row:
    test_uuid = str(uuid.uuid4())
    values = {
        "id_test_type": id_test_type,
        "id_session": id_session,
        "test_uuid": test_uuid,
        "test_name": unique("Test"),
        "test_datetime": "2026-01-02T03:04:05+00:00",
        "test_status": 0,
    }
    return Row(id=int(insert(stack, "t_tests", values, "id_test")[0]), uuid=test_uuid, name=values["test_name"])


def new_asset(stack: Stack, id_session: int, owner_uuid: str) -> Row:
    asset_uuid = str(uuid.uuid4())
    values = {
        "id_session": id_session,
        "asset_name": unique("Asset"),
        "asset_uuid": asset_uuid,
        "asset_service_uuid": owner_uuid,
        "asset_type": "text/plain",
    }
    return Row(id=int(insert(stack, "t_assets", values, "id_asset")[0]), uuid=asset_uuid, name=values["asset_name"])


def session_in_a1_by_nobody(stack: Stack, world: World) -> Row:
    """A session of project A1 (through participant_a), not created by S, of a type S has nothing to do with."""
    return new_session(stack, new_session_type(stack, world.other_service.id).id, world.participant_a.id)


def ids(response: Any, key: str) -> list[int]:
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()]


# -- sessions: the readable rule (created by S, or of a type S is primary or secondary service of) --------------
def test_a_session_of_an_accessible_project_is_not_readable(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    session = session_in_a1_by_nobody(api_stack, world)
    assert client.get("/sessions", id_session=session.id).status_code == 403
    assert client.get("/sessions", uuid_session=session.uuid).status_code == 403
    assert client.get("/assets", id_session=session.id).status_code == 403
    assert client.get("/tests", id_session=session.id).status_code == 403
    event = {"session_event": {"id_session_event": 0, "id_session": session.id, "id_session_event_type": 1}}
    assert client.post("/sessions/events", event).status_code == 403


@pytest.mark.parametrize("how", ["creator", "primary", "secondary"])
def test_readable_sessions(
    client: ServiceClient, other_client: ServiceClient, api_stack: Stack, world: World, how: str
) -> None:
    if how == "creator":
        session = new_session(api_stack, new_session_type(api_stack, None).id, id_creator_service=world.service.id)
    elif how == "primary":
        session = new_session(api_stack, new_session_type(api_stack, world.service.id).id)
    else:
        session_type = new_session_type(api_stack, world.other_service.id)
        secondary_service(api_stack, session_type.id, world.service.id)
        session = new_session(api_stack, session_type.id)
    assert ids(client.get("/sessions", id_session=session.id), "id_session") == [session.id]
    assert ids(client.get("/sessions", uuid_session=session.uuid), "id_session") == [session.id]
    assert client.get("/assets", id_session=session.id).status_code == 200
    event = {"session_event": {"id_session_event": 0, "id_session": session.id, "id_session_event_type": 1}}
    assert client.post("/sessions/events", event).status_code == 200
    if how != "secondary":
        assert other_client.get("/sessions", id_session=session.id).status_code == 403


def test_assets_and_tests_follow_the_readable_rule(client: ServiceClient, api_stack: Stack, world: World) -> None:
    hidden = session_in_a1_by_nobody(api_stack, world)
    readable = new_session(api_stack, new_session_type(api_stack, world.service.id).id)
    hidden_asset = new_asset(api_stack, hidden.id, world.service.uuid)
    readable_asset = new_asset(api_stack, readable.id, world.service.uuid)
    # by id: an empty list (not a 403) when the asset's session is not readable
    assert client.get("/assets", id_asset=hidden_asset.id).json() == []
    assert ids(client.get("/assets", id_asset=readable_asset.id), "id_asset") == [readable_asset.id]
    owned = ids(client.get("/assets", service_uuid=world.service.uuid), "id_asset")
    assert readable_asset.id in owned and hidden_asset.id not in owned
    # Another service's assets (owned or created): upstream lists them all, in any session; we answer 200 too
    # but with those of readable sessions only.
    theirs_hidden = new_asset(api_stack, hidden.id, world.other_service.uuid)
    theirs_readable = new_asset(api_stack, readable.id, world.other_service.uuid)
    theirs = ids(client.get("/assets", service_uuid=world.other_service.uuid), "id_asset")
    assert theirs_readable.id in theirs and theirs_hidden.id not in theirs
    api_stack.psql(
        f"UPDATE t_assets SET id_service = {world.other_service.id} WHERE id_asset IN "
        f"({theirs_hidden.id}, {theirs_readable.id})"
    )
    created = ids(client.get("/assets", id_creator_service=world.other_service.id), "id_asset")
    assert theirs_readable.id in created and theirs_hidden.id not in created
    assert ids(client.get("/assets", id_creator_service=987654), "id_asset") == []
    assert client.delete("/assets", uuid=hidden_asset.uuid).status_code == 403
    new = {"asset": {"id_asset": 0, "id_session": hidden.id, "asset_name": "x", "asset_type": "text/plain"}}
    assert client.post("/assets", new).status_code == 403
    test_type = new_test_type(api_stack, world.service.id)
    hidden_test = new_test(api_stack, test_type.id, hidden.id)
    readable_test = new_test(api_stack, test_type.id, readable.id)
    # Tests of a service (their id_service): upstream lists them all, in any session; we those of readable sessions.
    api_stack.psql(
        f"UPDATE t_tests SET id_service = {world.service.id} WHERE id_test IN ({hidden_test.id}, {readable_test.id})"
    )
    own_tests = ids(client.get("/tests", service_uuid=world.service.uuid), "id_test")
    assert readable_test.id in own_tests and hidden_test.id not in own_tests
    their_hidden, their_readable = (
        new_test(api_stack, test_type.id, hidden.id),
        new_test(api_stack, test_type.id, readable.id),
    )
    api_stack.psql(
        f"UPDATE t_tests SET id_service = {world.other_service.id} "
        f"WHERE id_test IN ({their_hidden.id}, {their_readable.id})"
    )
    their_tests = ids(client.get("/tests", service_uuid=world.other_service.uuid), "id_test")
    assert their_readable.id in their_tests and their_hidden.id not in their_tests
    assert ids(client.get("/tests", service_uuid=str(uuid.uuid4())), "id_test") == []  # upstream: 500
    assert client.delete("/tests", uuid=hidden_test.uuid).status_code == 403
    posted = {"test": {"id_test": 0, "id_session": hidden.id, "id_test_type": test_type.id}}
    assert client.post("/tests", posted).status_code == 403


# -- sessions: the managed rule (created by S, or of an accessible project) --------------------------------------
def test_a_test_by_id_needs_a_managed_session(client: ServiceClient, api_stack: Stack, world: World) -> None:
    test_type = new_test_type(api_stack, world.service.id)
    in_a1 = new_test(api_stack, test_type.id, session_in_a1_by_nobody(api_stack, world).id)
    in_b1 = new_test(
        api_stack, test_type.id, new_session(api_stack, new_session_type(api_stack, None).id, world.participant_b.id).id
    )
    assert ids(client.get("/tests", id_test=in_a1.id), "id_test") == [in_a1.id]
    assert client.get("/tests", id_test=in_b1.id).json() == []


def test_session_manager_uses_the_managed_rule(client: ServiceClient, api_stack: Stack, world: World) -> None:
    # A type without a service: once access is granted, the answer is upstream's 501 (no service to ask).
    in_a1 = new_session(api_stack, new_session_type(api_stack, None).id, world.participant_a.id)
    in_b1 = new_session(api_stack, new_session_type(api_stack, None).id, world.participant_b.id)
    manage = {"session_manage": {"action": "stop", "id_session": in_a1.id}}
    assert client.post("/sessions/manager", manage).status_code == 501
    manage["session_manage"]["id_session"] = in_b1.id
    assert client.post("/sessions/manager", manage).status_code == 403


def test_updating_a_session_needs_a_readable_or_managed_one(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    in_b1 = new_session(api_stack, new_session_type(api_stack, None).id, world.participant_b.id)
    body = {"session": {"id_session": in_b1.id, "session_comments": "x"}}
    assert client.post("/sessions", body).status_code == 403
    in_a1 = session_in_a1_by_nobody(api_stack, world)
    body["session"]["id_session"] = in_a1.id
    assert client.post("/sessions", body).status_code == 200


# -- users/access ---------------------------------------------------------------------------------------------------
def test_users_access_answers_null_outside_the_services_reach(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    member = new_project_user(api_stack, world.project_a1.id, role="admin")
    outsider = new_project_user(api_stack, world.project_b1.id, role="admin")
    assert client.get("/users/access", uuid_user=member.uuid, id_project=world.project_a1.id).json() == {
        "project_role": "admin"
    }
    for user_uuid, id_project in (
        (outsider.uuid, world.project_b1.id),  # user not accessible
        (member.uuid, world.project_b1.id),  # project not accessible
        (str(uuid.uuid4()), world.project_a1.id),  # unknown user: 200 with null, as upstream
    ):
        response = client.get("/users/access", uuid_user=user_uuid, id_project=id_project)
        assert response.status_code == 200, response.text
        assert response.json() == {"project_role": None}
    assert client.get("/users/access", uuid_user=outsider.uuid, id_site=world.site_b.id).json() == {"site_role": None}
    # A role in a project of site A the service is not linked to gives a role on site A, but that user is not
    # one of the service's users: null.
    hidden_member = new_project_user(api_stack, new_project(api_stack, world.site_a.id).id, role="admin")
    assert client.get("/users/access", uuid_user=member.uuid, id_site=world.site_a.id).json() == {"site_role": "user"}
    assert client.get("/users/access", uuid_user=hidden_member.uuid, id_site=world.site_a.id).json() == {
        "site_role": None
    }
    assert client.get("/users/access", uuid_user=member.uuid).status_code == 400


# -- projects, session types, test types: sets --------------------------------------------------------------------
def test_projects_of_a_site_are_all_its_projects(client: ServiceClient, api_stack: Stack, world: World) -> None:
    unlinked = new_project(api_stack, world.site_a.id)
    listed = ids(client.get("/projects", id_site=world.site_a.id), "id_project")
    assert world.project_a1.id in listed and unlinked.id in listed
    assert client.get("/projects", id_site=world.site_b.id).status_code == 403
    assert client.get("/projects", id_project=unlinked.id).status_code == 403


def test_session_types_sets_and_order(client: ServiceClient, api_stack: Stack, world: World) -> None:
    foreign = new_session_type(api_stack, world.other_service.id)
    session_type_in_site(api_stack, foreign.id, world.site_a.id)
    session_type_in_project(api_stack, foreign.id, world.project_a1.id)
    assert foreign.id in ids(client.get("/sessiontypes", id_site=world.site_a.id), "id_session_type")
    assert foreign.id in ids(client.get("/sessiontypes", id_project=world.project_a1.id), "id_session_type")
    assert foreign.id in ids(client.get("/sessiontypes", id_participant=world.participant_a.id), "id_session_type")
    # out of reach: an empty list, not a 403
    for args in ({"id_site": world.site_b.id}, {"id_project": world.project_b1.id}, {"id_session_type": foreign.id}):
        assert client.get("/sessiontypes", **args).json() == []
    own = new_session_type(api_stack, world.service.id)
    secondary = new_session_type(api_stack, world.other_service.id)
    secondary_service(api_stack, secondary.id, world.service.id)
    listed = client.get("/sessiontypes").json()
    names = [item["session_type_name"] for item in listed]
    assert names == sorted(names)
    assert {own.id, secondary.id} <= {item["id_session_type"] for item in listed}
    assert foreign.id not in {item["id_session_type"] for item in listed}


def test_test_types_sets_and_order(client: ServiceClient, api_stack: Stack, world: World) -> None:
    foreign = new_test_type(api_stack, world.other_service.id)
    link(api_stack, "t_tests_types_sites", "id_test_type_site", id_test_type=foreign.id, id_site=world.site_a.id)
    link(
        api_stack,
        "t_tests_types_projects",
        "id_test_type_project",
        id_test_type=foreign.id,
        id_project=world.project_a1.id,
    )
    assert foreign.id in ids(client.get("/testtypes", id_site=world.site_a.id), "id_test_type")
    assert foreign.id in ids(client.get("/testtypes", id_project=world.project_a1.id), "id_test_type")
    assert client.get("/testtypes", id_project=world.project_b1.id).json() == []
    assert client.get("/testtypes", test_type_uuid=foreign.uuid).json() == []
    new_test_type(api_stack, world.service.id, name="zz" + unique("t"))
    new_test_type(api_stack, world.service.id, name="AA" + unique("t"))
    names = [item["test_type_name"] for item in client.get("/testtypes").json()]
    assert names == sorted(names) and len(names) >= 2


def test_type_project_links_of_an_accessible_project(client: ServiceClient, api_stack: Stack, world: World) -> None:
    foreign = new_session_type(api_stack, world.other_service.id)
    session_type_in_site(api_stack, foreign.id, world.site_a.id)
    id_link = session_type_in_project(api_stack, foreign.id, world.project_a1.id)
    listed = ids(client.get("/sessiontypes/projects", id_project=world.project_a1.id), "id_session_type_project")
    assert id_link in listed
    assert client.get("/sessiontypes/projects", id_project=world.project_b1.id).json() == []


def test_replacing_a_types_projects_needs_access_to_all_its_projects(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    own = new_session_type(api_stack, world.service.id)
    session_type_in_site(api_stack, own.id, world.site_b.id)
    session_type_in_project(api_stack, own.id, world.project_b1.id)
    body = {"session_type": {"id_session_type": own.id, "projects": [{"id_project": world.project_a1.id}]}}
    assert client.post("/sessiontypes/projects", body).status_code == 403


def test_updating_a_session_type_needs_an_accessible_one_and_only_links(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    foreign = new_session_type(api_stack, world.other_service.id)
    body = {"service_session_type": {"session_type": {"id_session_type": foreign.id}, "id_sites": [world.site_a.id]}}
    assert client.post("/sessiontypes", body).status_code == 403
    secondary_service(api_stack, foreign.id, world.service.id)
    body["service_session_type"]["session_type"]["session_type_name"] = "renamed"
    answer = client.post("/sessiontypes", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["session_type_name"] == foreign.name  # fields are not updated, as upstream
    assert foreign.id in ids(client.get("/sessiontypes", id_site=world.site_a.id), "id_session_type")


# -- user groups: a role given by id ----------------------------------------------------------------------------------
def test_usergroup_role_by_id_must_be_bound_to_an_accessible_project_and_site(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    global_role = new_role(api_stack, world.service.id, unique("global"))
    project_role_name = unique("proj")
    project_role = new_role(api_stack, world.service.id, project_role_name, id_project=world.project_a1.id)
    for id_role in (global_role, project_role):
        body = {
            "user_group": {
                "id_user_group": 0,
                "user_group_name": unique("G"),
                "user_group_services_access": [{"id_service_role": id_role}],
            }
        }
        assert client.post("/usergroups", body).status_code == 403
    by_name = {
        "user_group": {
            "id_user_group": 0,
            "user_group_name": unique("G"),
            "user_group_services_access": [{"service_role_name": project_role_name, "id_project": world.project_a1.id}],
        }
    }
    assert client.post("/usergroups", by_name).status_code == 200


# -- users, participants, devices: who is reachable ---------------------------------------------------------------
def test_users_of_a_service_without_projects_are_nobody(
    front: Any, token_key: str, api_stack: Stack, world: World
) -> None:
    lonely = ServiceClient(front, mint_service_token(token_key, new_service(api_stack).uuid))
    admin = new_user(api_stack, superadmin=True)
    assert lonely.get("/users", user_uuid=admin.uuid).status_code == 403


def test_superadmins_and_site_admins_are_users_of_the_service(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    admin = new_user(api_stack, superadmin=True)
    assert client.get("/users", user_uuid=admin.uuid).status_code == 200
    site_admin_role = new_role(api_stack, opentera_server_id(api_stack), "admin", id_site=world.site_a.id)
    site_admin = new_user(api_stack, new_user_group(api_stack, site_admin_role).id)
    assert client.get("/users", user_uuid=site_admin.uuid).status_code == 200
    site_user_role = new_role(api_stack, opentera_server_id(api_stack), "user", id_site=world.site_a.id)
    site_user = new_user(api_stack, new_user_group(api_stack, site_user_role).id)
    assert client.get("/users", user_uuid=site_user.uuid).status_code == 403


# -- bodies: defaults, unknown fields, database refusals ------------------------------------------------------------
def test_participant_creation_defaults_and_unknown_fields(client: ServiceClient, world: World) -> None:
    body = {
        "participant": {
            "id_participant": 0,
            "id_project": world.project_a1.id,
            "participant_name": unique("P"),
            "participant_email": "p@example.org",
            "participant_login_enabled": False,
            "no_such_field": 1,
        }
    }
    created = client.post("/participants", body)
    assert created.status_code == 200, created.text
    participant = created.json()
    assert participant["participant_login_enabled"] is True and participant["participant_enabled"] is True
    update = {"participant": {**body["participant"], "id_participant": participant["id_participant"]}}
    refused = client.post("/participants", update)
    assert refused.status_code == 400, refused.text


def test_participant_name_search_is_partial(client: ServiceClient, api_stack: Stack, world: World) -> None:
    participant = new_participant(api_stack, world.project_a1.id)
    part = participant.name[3:9]
    assert participant.id in ids(client.get("/participants", name=part), "id_participant")


@pytest.mark.parametrize(
    ("path", "key", "body"),
    [
        ("/projects", "project", {"id_project": 0, "project_name": "P", "no_such_field": 1}),
        ("/roles", "service_role", {"id_service_role": 0, "service_role_name": "r", "no_such_field": 1}),
    ],
)
def test_unknown_fields_are_ignored_on_create_and_refused_on_update(
    client: ServiceClient, world: World, path: str, key: str, body: dict[str, Any]
) -> None:
    body = dict(body)
    if key == "project":
        body["id_site"] = world.site_a.id
        body["project_name"] = unique("P")
    else:
        body["service_role_name"] = unique("r")
    created = client.post(path, {key: body})
    assert created.status_code == 200, created.text
    id_name = next(name for name in body if name.startswith("id_") and body[name] == 0)
    update = {**body, id_name: created.json()[id_name]}
    assert client.post(path, {key: update}).status_code == 400


def test_role_creation_answers_the_posted_object(client: ServiceClient) -> None:
    name = unique("role")
    created = client.post("/roles", {"service_role": {"id_service_role": 0, "service_role_name": name}})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["id_service_role"] > 0 and body["service_role_name"] == name and "service_role_name" in body


def test_a_refused_foreign_key_does_not_leak_the_database_text(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    session_type = new_session_type(api_stack, world.service.id)
    body = {"session": {"id_session": 0, "id_session_type": session_type.id, "id_creator_user": 987654321}}
    refused = client.post("/sessions", body)
    assert refused.status_code == 400, refused.text
    assert not any(word.lower() in refused.text.lower() for word in DATABASE_WORDS), refused.text


# -- query forms and answer shapes ---------------------------------------------------------------------------------
def test_services_the_last_selector_given_wins(client: ServiceClient, world: World) -> None:
    answer = client.get("/services", id_service=world.service.id, service_key=world.other_service.name)
    assert ids(answer, "id_service") == [world.other_service.id]  # upstream looks up id, uuid, key: key wins
    assert client.get("/services", id_service=0).status_code == 400  # 0 counts as absent, as upstream


def test_access_flags_without_a_uuid_give_an_empty_object(client: ServiceClient) -> None:
    assert client.get("/access", with_users="true").json() == {}
    assert client.get("/access").status_code == 400


def test_invitation_filters_add_up(client: ServiceClient, api_stack: Stack, world: World) -> None:
    test_type = new_test_type(api_stack, world.service.id)
    other_participant = new_participant(api_stack, world.project_a1.id)
    made = []
    for id_participant in (world.participant_a.id, other_participant.id):
        invitation = {
            "id_test_invitation": 0,
            "id_test_type": test_type.id,
            "id_project": world.project_a1.id,
            "id_participant": id_participant,
            "test_invitation_expiration_date": "2030-01-01T00:00:00+00:00",
        }
        created = client.post("/tests/invitations", {"tests_invitations": [invitation]})
        assert created.status_code == 200, created.text
        made.append(created.json()[0]["id_test_invitation"])
    both = client.get("/tests/invitations", id_test_invitation=made[0], id_participant=other_participant.id)
    assert ids(both, "id_test_invitation") == made  # a union, in upstream's filter order
    # An update takes the count fields and ignores the others.
    update = {"id_test_invitation": made[0], "test_invitation_count": 2, "id_project": world.project_b1.id}
    updated = client.post("/tests/invitations", {"tests_invitations": [update]})
    assert updated.status_code == 200, updated.text
    assert updated.json()[0]["test_invitation_count"] == 2 and updated.json()[0]["id_project"] == world.project_a1.id
    only_other = {"id_test_invitation": made[0], "id_project": world.project_a1.id}
    assert client.post("/tests/invitations", {"tests_invitations": [only_other]}).status_code == 400


def test_new_test_defaults_and_tests_of_a_participant(client: ServiceClient, api_stack: Stack, world: World) -> None:
    test_type = new_test_type(api_stack, world.service.id)
    session = new_session(api_stack, new_session_type(api_stack, world.service.id).id, world.participant_a.id)
    body = {"test": {"id_test": 0, "id_session": session.id, "id_test_type": test_type.id, "no_such_field": 1}}
    created = client.post("/tests", body)
    assert created.status_code == 200, created.text
    [test] = created.json()
    assert test["test_name"] == f"{test_type.name} #1" and test["test_datetime"]
    # Tests of an accessible participant: all of them, whatever their session.
    hidden = new_test(api_stack, test_type.id, session_in_a1_by_nobody(api_stack, world).id)
    api_stack.psql(f"UPDATE t_tests SET id_participant = {world.participant_a.id} WHERE id_test = {hidden.id}")
    assert hidden.id in ids(client.get("/tests", id_participant=world.participant_a.id), "id_test")


def test_session_types_refuse_unknown_fields_even_on_create(client: ServiceClient) -> None:
    session_type = {
        "id_session_type": 0,
        "session_type_name": unique("T"),
        "session_type_online": True,
        "session_type_color": "#000000",
        "session_type_category": 1,
    }
    assert client.post("/sessiontypes", {"service_session_type": {"session_type": session_type}}).status_code == 200
    session_type["no_such_field"] = 1
    assert client.post("/sessiontypes", {"service_session_type": {"session_type": session_type}}).status_code == 400


def test_usergroup_access_items_naming_another_service_or_a_null_place_are_refused(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    name = unique("role")
    new_role(api_stack, world.service.id, name)

    def body(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_group": {"id_user_group": 0, "user_group_name": unique("G"), "user_group_services_access": [item]}
        }

    assert (
        client.post("/usergroups", body({"service_role_name": name, "id_service": world.other_service.id})).status_code
        == 403
    )
    assert client.post("/usergroups", body({"service_role_name": name, "id_project": None})).status_code == 403
    assert (
        client.post("/usergroups", body({"service_role_name": name, "id_service": world.service.id})).status_code == 200
    )


def test_participant_of_a_disabled_project_gets_upstreams_message(
    client: ServiceClient, api_stack: Stack, world: World
) -> None:
    project = new_project(api_stack, world.site_a.id)
    insert(
        api_stack,
        "t_services_projects",
        {"id_service": world.service.id, "id_project": project.id},
        "id_service_project",
    )
    api_stack.psql(f"UPDATE t_projects SET project_enabled = false WHERE id_project = {project.id}")
    body = {
        "participant": {
            "id_participant": 0,
            "id_project": project.id,
            "participant_name": unique("P"),
            "participant_email": "p@example.org",
        }
    }
    refused = client.post("/participants", body)
    assert refused.status_code == 400
    assert refused.json() == "Can't insert participant: participant's project is disabled or invalid."
