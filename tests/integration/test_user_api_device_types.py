"""/api/user/devicetypes and /api/user/devicesubtypes: everyone reads, superadmins write.

Runs on `api_stack` (rows other tests must not see): a device type with two subtypes and a device of the first
subtype; a site admin (of a new site) and an outsider, who may read but not write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from service_world import insert, new_device_type, new_site
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

TYPES = "/api/user/devicetypes"
SUBTYPES = "/api/user/devicesubtypes"
DRIVER_WORDS = ("psycopg2", "duplicate key value", "violates", "DETAIL", "SQL")


@dataclass(frozen=True)
class TypesWorld:
    id_type: int
    type_key: str
    id_subtype: int  # used by a device
    id_free_subtype: int  # used by nothing
    site_admin: Account
    outsider: Account


def new_subtype(stack: Stack, id_type: int) -> int:
    values = {"id_device_type": id_type, "device_subtype_name": f"sub-{uuid.uuid4().hex[:8]}"}
    return int(insert(stack, "t_devices_subtypes", values, "id_device_subtype")[0])


@pytest.fixture(scope="module")
def types_world(api_stack: Stack, api_stack_ca: Path) -> TypesWorld:
    id_type = new_device_type(api_stack)
    key = api_stack.psql(f"SELECT device_type_key FROM t_devices_types WHERE id_device_type = {id_type}")[0][0]
    id_subtype = new_subtype(api_stack, id_type)
    values = {
        "device_uuid": str(uuid.uuid4()),
        "device_name": f"dev-{uuid.uuid4().hex[:8]}",
        "id_device_type": id_type,
        "id_device_subtype": id_subtype,
        "device_enabled": True,
        "device_onlineable": False,
    }
    insert(api_stack, "t_devices", values, "id_device")
    site = new_site(api_stack)
    add_server_roles(api_stack, id_site=site.id)
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        return TypesWorld(
            id_type=id_type,
            type_key=key,
            id_subtype=id_subtype,
            id_free_subtype=new_subtype(api_stack, id_type),
            site_admin=make_account(front, admin, admin_sites=(site.id,)),
            outsider=make_account(front, admin),
        )


def refused(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert message in response.json(), response.text
    assert not any(word in response.text for word in DRIVER_WORDS), response.text


def type_body(**fields: Any) -> dict[str, Any]:
    key = f"key-{uuid.uuid4().hex[:8]}"
    return {"device_type": {"id_device_type": 0, "device_type_name": key, "device_type_key": key, **fields}}


@pytest.mark.parametrize("path", [TYPES, SUBTYPES])
def test_needs_authentication(front: FrontDoorSession, path: str) -> None:
    assert front.get(path).status_code == 401
    assert front.post(path, json={}).status_code == 401
    assert front.delete(path, params={"id": 1}).status_code == 401


def test_everyone_reads_device_types(front: FrontDoorSession, types_world: TypesWorld) -> None:
    w = types_world
    everything = checked(front.get(TYPES, headers=w.outsider.headers))
    mine = [t for t in everything if t["id_device_type"] == w.id_type]
    assert mine == [{"id_device_type": w.id_type, "device_type_key": w.type_key, "device_type_name": w.type_key}]
    assert checked(front.get(TYPES, params={"id_device_type": w.id_type}, headers=w.outsider.headers)) == mine
    assert checked(front.get(TYPES, params={"device_type_key": w.type_key}, headers=w.outsider.headers)) == mine
    assert checked(front.get(TYPES, params={"id_device_type": w.id_type, "list": "true"}, headers=w.outsider.headers))
    # The id wins over the key; 0 selects nothing; an unknown id or key is 403.
    both = {"id_device_type": w.id_type, "device_type_key": "nope"}
    assert checked(front.get(TYPES, params=both, headers=w.outsider.headers)) == mine
    assert checked(front.get(TYPES, params={"id_device_type": 0}, headers=w.outsider.headers)) == []
    refused(front.get(TYPES, params={"id_device_type": 987654}, headers=w.outsider.headers), 403, "Unexisting ID")
    refused(front.get(TYPES, params={"device_type_key": "nope-x"}, headers=w.outsider.headers), 403, "Unexisting ID")
    assert front.get(TYPES, params={"bogus": 1}, headers=w.outsider.headers).status_code == 400


def test_only_superadmins_write_device_types(
    front: FrontDoorSession, api_stack: Stack, types_world: TypesWorld, stack_admin_token: str
) -> None:
    w = types_world
    admin = bearer(stack_admin_token)
    # Body checks come first, then the superadmin rule.
    refused(front.post(TYPES, json={"device_type_name": "x"}, headers=w.outsider.headers), 400, "Missing device type")
    refused(front.post(TYPES, json={"device_type": {}}, headers=w.outsider.headers), 400, "Missing id_device_type")
    refused(front.post(TYPES, json=type_body(), headers=w.site_admin.headers), 403, "Forbidden")
    refused(front.post(TYPES, json=type_body(id_device_type=None), headers=admin), 400, "Missing id_device_type")

    # Creating ignores unknown fields.
    body = type_body(wheels=4)
    [created] = checked(front.post(TYPES, json=body, headers=admin))
    assert created == {
        "id_device_type": created["id_device_type"],
        "device_type_name": body["device_type"]["device_type_name"],
        "device_type_key": body["device_type"]["device_type_key"],
    }
    id_new = created["id_device_type"]
    # A key already taken, a missing required field, a wrong value: 400 naming it, never the driver's text.
    again = type_body(device_type_key=body["device_type"]["device_type_key"])
    refused(front.post(TYPES, json=again, headers=admin), 400, "device_type_key already used")
    refused(front.post(TYPES, json={"device_type": {"id_device_type": 0}}, headers=admin), 400, "Missing device_type")
    refused(front.post(TYPES, json=type_body(device_type_name=5), headers=admin), 400, "Invalid device_type_name")
    refused(front.post(TYPES, json=type_body(device_type_name="a\x00b"), headers=admin), 400, "a NUL character")

    # Updating: unknown fields refused, unknown id refused, the site admin refused, a superadmin accepted.
    update = {"device_type": {"id_device_type": id_new, "device_type_name": "renamed", "wheels": 4}}
    refused(front.post(TYPES, json=update, headers=admin), 400, "Unknown device_type fields: wheels")
    del update["device_type"]["wheels"]
    refused(front.post(TYPES, json=update, headers=w.site_admin.headers), 403, "Forbidden")
    missing = {"device_type": {"id_device_type": 987654, "device_type_name": "x"}}
    refused(front.post(TYPES, json=missing, headers=admin), 400, "Invalid device type")
    taken = {"device_type": {"id_device_type": id_new, "device_type_key": w.type_key}}
    refused(front.post(TYPES, json=taken, headers=admin), 400, "device_type_key already used")
    [updated] = checked(front.post(TYPES, json=update, headers=admin))
    assert updated["device_type_name"] == "renamed"
    assert api_stack.psql(f"SELECT device_type_name FROM t_devices_types WHERE id_device_type = {id_new}") == [
        ["renamed"]
    ]


def test_deleting_device_types(
    front: FrontDoorSession, api_stack: Stack, types_world: TypesWorld, stack_admin_token: str
) -> None:
    w = types_world
    admin = bearer(stack_admin_token)
    [by_id] = checked(front.post(TYPES, json=type_body(), headers=admin))
    [by_key] = checked(front.post(TYPES, json=type_body(), headers=admin))
    refused(front.delete(TYPES, headers=admin), 400, "Missing arguments")
    both = {"id": by_id["id_device_type"], "device_type_key": by_id["device_type_key"]}
    refused(front.delete(TYPES, params=both, headers=admin), 400, "Tried to delete with 2 parameters")
    # Not found comes before the superadmin rule.
    refused(front.delete(TYPES, params={"id": 987654}, headers=w.site_admin.headers), 400, "Device type not found")
    refused(front.delete(TYPES, params={"id": by_id["id_device_type"]}, headers=w.site_admin.headers), 403, "Forbidden")
    refused(front.delete(TYPES, params={"id": w.id_type}, headers=admin), 400, "please delete all associated devices")
    response = front.delete(TYPES, params={"id": by_id["id_device_type"]}, headers=admin)
    assert checked(response) == "Device type successfully deleted"
    response = front.delete(TYPES, params={"device_type_key": by_key["device_type_key"]}, headers=admin)
    assert checked(response) == "Device type successfully deleted"
    gone = api_stack.psql(
        f"SELECT count(*) FROM t_devices_types WHERE id_device_type IN ({by_id['id_device_type']}, "
        f"{by_key['id_device_type']})"
    )
    assert gone == [["0"]]


def test_everyone_reads_device_subtypes(front: FrontDoorSession, types_world: TypesWorld) -> None:
    w = types_world
    headers = w.outsider.headers
    everything = checked(front.get(SUBTYPES, headers=headers))
    mine = [s for s in everything if s["id_device_type"] == w.id_type]
    assert [s["id_device_subtype"] for s in mine] == [w.id_subtype, w.id_free_subtype]
    assert mine[0]["device_subtype_parent"] == w.type_key
    assert set(mine[0]) == {"id_device_subtype", "id_device_type", "device_subtype_name", "device_subtype_parent"}
    assert checked(front.get(SUBTYPES, params={"id_device_type": w.id_type}, headers=headers)) == mine
    assert checked(front.get(SUBTYPES, params={"id_device_subtype": w.id_subtype}, headers=headers)) == mine[:1]
    both = {"id_device_subtype": w.id_subtype, "id_device_type": w.id_type}
    refused(front.get(SUBTYPES, params=both, headers=headers), 400, "Too Many IDs")
    refused(front.get(SUBTYPES, params={"id_device_subtype": 0}, headers=headers), 403, "No access to device subtype")
    refused(front.get(SUBTYPES, params={"id_device_type": 987654}, headers=headers), 403, "No access to device type")


def test_only_superadmins_write_device_subtypes(
    front: FrontDoorSession, api_stack: Stack, types_world: TypesWorld, stack_admin_token: str
) -> None:
    w = types_world
    admin = bearer(stack_admin_token)
    body = {"device_subtype": {"id_device_subtype": 0, "id_device_type": w.id_type, "device_subtype_name": "n"}}
    refused(front.post(SUBTYPES, json={"x": 1}, headers=w.outsider.headers), 400, "Missing device_subtype")
    refused(front.post(SUBTYPES, json={"device_subtype": {}}, headers=w.outsider.headers), 400, "Missing id_device")
    refused(front.post(SUBTYPES, json=body, headers=w.site_admin.headers), 403, "Forbidden")
    bad_type = {"device_subtype": {**body["device_subtype"], "id_device_type": 987654}}
    refused(front.post(SUBTYPES, json=bad_type, headers=admin), 400, "Invalid id_device_type")

    with_unknown = {"device_subtype": {**body["device_subtype"], "x": 1}}
    [created] = checked(front.post(SUBTYPES, json=with_unknown, headers=admin))
    assert created["device_subtype_name"] == "n" and created["device_subtype_parent"] == w.type_key
    id_new = created["id_device_subtype"]
    # An update keeps the subtype's type, whatever is posted.
    other_type = new_device_type(api_stack)
    update = {"device_subtype": {"id_device_subtype": id_new, "id_device_type": other_type, "device_subtype_name": "m"}}
    refused(front.post(SUBTYPES, json=update, headers=w.site_admin.headers), 403, "Forbidden")
    [updated] = checked(front.post(SUBTYPES, json=update, headers=admin))
    assert updated["device_subtype_name"] == "m" and updated["id_device_type"] == w.id_type
    unknown = {"device_subtype": {"id_device_subtype": id_new, "x": 1}}
    refused(front.post(SUBTYPES, json=unknown, headers=admin), 400, "Unknown device_subtype fields: x")
    missing = {"device_subtype": {"id_device_subtype": 987654, "device_subtype_name": "m"}}
    refused(front.post(SUBTYPES, json=missing, headers=admin), 400, "Invalid device subtype")

    # Deleting: the superadmin rule comes first, then not found; a subtype still used is refused.
    refused(front.delete(SUBTYPES, params={"id": 987654}, headers=w.site_admin.headers), 403, "Forbidden")
    refused(front.delete(SUBTYPES, params={"id": 987654}, headers=admin), 400, "Device subtype not found")
    refused(front.delete(SUBTYPES, params={"id": w.id_subtype}, headers=admin), 400, "please delete all devices")
    assert front.delete(SUBTYPES, headers=admin).status_code == 400
    deleted = checked(front.delete(SUBTYPES, params={"id": id_new}, headers=admin))
    assert deleted == "Device subtype successfully deleted"
    assert api_stack.psql(f"SELECT count(*) FROM t_devices_subtypes WHERE id_device_subtype = {id_new}") == [["0"]]
