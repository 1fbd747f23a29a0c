"""The write methods upstream has on /api/user/sites (POST, DELETE), /usergroups and /users (DELETE), with its
access rules: a superadmin creates and deletes sites, a site admin updates its own; a user group is deleted by a
superadmin or an admin of a site the group holds a role on; a user is deleted by a superadmin, never by
themselves, and a site admin only takes them out of the groups they administer.
"""

from __future__ import annotations

import uuid
from typing import Any

from service_world import (
    insert,
    new_role,
    new_session_type,
    new_site,
    new_user,
    opentera_server_id,
    unique,
)
from user_world import UserWorld, auth, new_account

from devstack.testing.frontdoor import FrontDoorSession
from devstack.testing.stack import Stack


def session_row(id_session_type: int, **values: Any) -> dict[str, Any]:
    return {
        "session_uuid": str(uuid.uuid4()),
        "id_session_type": id_session_type,
        "session_name": unique("Session"),
        "session_start_datetime": "2026-01-02T03:04:05+00:00",
        "session_duration": 0,
        "session_status": 2,
        **values,
    }


def site_admin_of(stack: Stack, front: FrontDoorSession, admin_token: str, id_site: int) -> Any:
    """A user whose group holds the admin role on the site, and the group's id."""
    account = new_account(stack, front, admin_token, None, 0)
    id_role = new_role(stack, opentera_server_id(stack), "admin", id_site=id_site)
    id_group = int(insert(stack, "t_users_groups", {"user_group_name": unique("SiteAdmins")}, "id_user_group")[0])
    insert(stack, "t_services_access", {"id_user_group": id_group, "id_service_role": id_role}, "id_service_access")
    insert(stack, "t_users_users_groups", {"id_user": account.id, "id_user_group": id_group}, "id_user_user_group")
    return account, id_group


def test_sites_are_created_by_superadmins_and_updated_by_their_admins(
    devstack: Stack, https: FrontDoorSession, admin_token: str, user_world: UserWorld
) -> None:
    name = unique("Site")
    created = https.post("/api/user/sites", json={"site": {"id_site": 0, "site_name": name}}, headers=auth(admin_token))
    assert created.status_code == 200, created.text
    [site] = created.json()
    assert site["site_name"] == name and site["id_site"] > 0

    project_admin = user_world.project_admin.headers
    new = {"site": {"id_site": 0, "site_name": unique("Site")}}
    assert https.post("/api/user/sites", json=new, headers=project_admin).status_code == 403
    assert https.post("/api/user/sites", json={"site": {"site_name": "x"}}, headers=project_admin).status_code == 400

    site_admin, _ = site_admin_of(devstack, https, admin_token, site["id_site"])
    renamed = {"site": {"id_site": site["id_site"], "site_name": name + " renamed"}}
    answer = https.post("/api/user/sites", json=renamed, headers=site_admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["site_name"] == name + " renamed"
    other = {"site": {"id_site": user_world.site_a.id, "site_name": "taken over"}}
    assert https.post("/api/user/sites", json=other, headers=site_admin.headers).status_code == 403
    # Unknown fields: ignored when creating, refused when updating (as upstream, but 400 instead of its 500).
    extra = {"site": {"id_site": 0, "site_name": unique("Site"), "no_such_field": 1}}
    assert https.post("/api/user/sites", json=extra, headers=auth(admin_token)).status_code == 200
    renamed["site"]["no_such_field"] = 1
    refused = https.post("/api/user/sites", json=renamed, headers=site_admin.headers)
    assert (refused.status_code, refused.json()) == (400, "Unknown site fields: no_such_field")


def test_sites_are_deleted_by_superadmins_only(
    devstack: Stack, https: FrontDoorSession, admin_token: str, user_world: UserWorld
) -> None:
    site = new_site(devstack)
    site_admin, _ = site_admin_of(devstack, https, admin_token, site.id)
    assert https.delete("/api/user/sites", params={"id": site.id}, headers=site_admin.headers).status_code == 403
    assert https.delete("/api/user/sites", params={"id": site.id}, headers=auth(admin_token)).status_code == 200
    assert devstack.psql(f"SELECT count(*) FROM t_sites WHERE id_site = {site.id} AND deleted_at IS NULL") == [["0"]]
    assert https.delete("/api/user/sites", params={"id": 2**30}, headers=auth(admin_token)).status_code == 400
    assert https.delete("/api/user/sites", headers=auth(admin_token)).status_code == 400


def test_user_groups_are_deleted_by_an_admin_of_one_of_their_sites(
    devstack: Stack, https: FrontDoorSession, admin_token: str, user_world: UserWorld
) -> None:
    site = new_site(devstack)
    site_admin, id_group = site_admin_of(devstack, https, admin_token, site.id)
    roleless = int(insert(devstack, "t_users_groups", {"user_group_name": unique("Loose")}, "id_user_group")[0])
    # No role anywhere: only a superadmin may delete it; another site's admin may not delete this one.
    assert https.delete("/api/user/usergroups", params={"id": roleless}, headers=site_admin.headers).status_code == 403
    other_admin, other_group = site_admin_of(devstack, https, admin_token, new_site(devstack).id)
    assert https.delete("/api/user/usergroups", params={"id": id_group}, headers=other_admin.headers).status_code == 403
    assert https.delete("/api/user/usergroups", params={"id": roleless}, headers=auth(admin_token)).status_code == 200
    # Its own group, with its own user in it: refused with upstream's message, never the database's own text.
    answer = https.delete("/api/user/usergroups", params={"id": other_group}, headers=other_admin.headers)
    expected = "Can't delete user group: please delete all users part of that user group before deleting."
    assert (answer.status_code, answer.json()) == (400, expected)


def test_users_are_deleted_by_superadmins_and_never_by_themselves(
    devstack: Stack, https: FrontDoorSession, admin_token: str, user_world: UserWorld
) -> None:
    member = user_world.member
    refused = https.delete("/api/user/users", params={"id": member.id}, headers=member.headers)
    assert (refused.status_code, refused.json()) == (403, "Sorry, you can't delete yourself!")
    # A user who administers no group by site may delete nobody.
    victim = new_user(devstack)
    assert https.delete("/api/user/users", params={"id": victim.id}, headers=member.headers).status_code == 403
    assert https.delete("/api/user/users", params={"id": victim.id}, headers=auth(admin_token)).status_code == 200
    assert devstack.psql(f"SELECT count(*) FROM t_users WHERE id_user = {victim.id} AND deleted_at IS NULL") == [["0"]]
    assert https.delete("/api/user/users", params={"id": 2**30}, headers=auth(admin_token)).status_code == 400
    # A user who created a session stays, with the reason.
    creator = new_user(devstack)
    id_type = new_session_type(devstack, None).id
    insert(devstack, "t_sessions", session_row(id_type, id_creator_user=creator.id), "id_session")
    answer = https.delete("/api/user/users", params={"id": creator.id}, headers=auth(admin_token))
    expected = "Can't delete user: please remove all sessions created by this user before deleting."
    assert (answer.status_code, answer.json()) == (400, expected)


def test_a_site_admin_takes_a_user_out_of_their_groups_only(
    devstack: Stack, https: FrontDoorSession, admin_token: str, user_world: UserWorld
) -> None:
    site = new_site(devstack)
    site_admin, admin_group = site_admin_of(devstack, https, admin_token, site.id)
    id_role = new_role(devstack, opentera_server_id(devstack), "user", id_site=site.id)
    mine = int(insert(devstack, "t_users_groups", {"user_group_name": unique("Mine")}, "id_user_group")[0])
    insert(devstack, "t_services_access", {"id_user_group": mine, "id_service_role": id_role}, "id_service_access")
    elsewhere = int(insert(devstack, "t_users_groups", {"user_group_name": unique("Else")}, "id_user_group")[0])
    user = new_user(devstack, mine, elsewhere)
    answer = https.delete("/api/user/users", params={"id": user.id}, headers=site_admin.headers)
    assert answer.status_code == 200, answer.text
    groups = devstack.psql(f"SELECT id_user_group FROM t_users_users_groups WHERE id_user = {user.id}")
    assert groups == [[str(elsewhere)]]  # kept: not the site admin's group
    assert devstack.psql(f"SELECT count(*) FROM t_users WHERE id_user = {user.id} AND deleted_at IS NULL") == [["1"]]
    # All of its groups are the admin's now: deleted.
    other = new_user(devstack, mine)
    assert https.delete("/api/user/users", params={"id": other.id}, headers=site_admin.headers).status_code == 200
    assert devstack.psql(f"SELECT count(*) FROM t_users WHERE id_user = {other.id} AND deleted_at IS NULL") == [["0"]]
    assert admin_group  # the admin's own group is untouched
