"""/api/user/services/configs: per-user, per-participant and per-device configuration of a service.

Runs on `api_stack` (rows other tests must not see): site A with project A1, a service S with an editable
config linked to both, a participant and a device in A1; a site admin of A, a member of A1, an outsider.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from service_world import (
    Row,
    insert,
    link_service_project,
    link_service_site,
    new_device,
    new_participant,
    new_project,
    new_service,
    new_site,
)
from test_user_api_service_access import Account, add_server_roles, bearer, checked, make_account

from devstack.testing.frontdoor import FrontDoorSession, login
from devstack.testing.stack import Stack

PATH = "/api/user/services/configs"


@dataclass(frozen=True)
class ConfigWorld:
    service: Row
    participant: Row
    device: Row
    site_admin: Account
    member: Account
    outsider: Account


@pytest.fixture(scope="module")
def config_world(api_stack: Stack, api_stack_ca: Path) -> ConfigWorld:
    site = new_site(api_stack)
    project = new_project(api_stack, site.id)
    service = new_service(api_stack)
    api_stack.psql(f"UPDATE t_services SET service_editable_config = true WHERE id_service = {service.id}")
    link_service_site(api_stack, service.id, site.id)
    link_service_project(api_stack, service.id, project.id)
    add_server_roles(api_stack, id_site=site.id)
    add_server_roles(api_stack, id_project=project.id)
    with FrontDoorSession(api_stack.base_url, api_stack_ca) as front:
        admin = login(front, "admin", "admin")
        # Users reach a device through its site (t_devices_sites), as upstream.
        device = new_device(api_stack, project.id)
        insert(api_stack, "t_devices_sites", {"id_device": device.id, "id_site": site.id}, "id_device_site")
        return ConfigWorld(
            service=service,
            participant=new_participant(api_stack, project.id),
            device=device,
            site_admin=make_account(front, admin, admin_sites=(site.id,)),
            member=make_account(front, admin, project_roles={project.id: "user"}),
            outsider=make_account(front, admin),
        )


def post_config(front: FrontDoorSession, headers: dict[str, str], **config: Any) -> requests.Response:
    return front.post(PATH, json={"service_config": {"id_service_config": 0, **config}}, headers=headers)


def test_needs_authentication(front: FrontDoorSession) -> None:
    assert front.get(PATH).status_code == 401
    assert front.post(PATH, json={"service_config": {}}).status_code == 401
    assert front.delete(PATH, params={"id": 1}).status_code == 401


@pytest.mark.parametrize(
    "params",
    [{"bogus": 1}, {"id_user": 1, "id_device": 1}, {"service_key": "NoSuchServiceKey"}, {"id_service": "x"}],
)
def test_bad_queries_are_400(front: FrontDoorSession, stack_admin_token: str, params: dict[str, Any]) -> None:
    assert front.get(PATH, params=params, headers=bearer(stack_admin_token)).status_code == 400


def test_bad_bodies_are_400_and_change_nothing(
    front: FrontDoorSession, api_stack: Stack, stack_admin_token: str, config_world: ConfigWorld
) -> None:
    w = config_world
    admin = bearer(stack_admin_token)
    count = api_stack.psql("SELECT count(*) FROM t_services_configs")[0][0]
    cases: list[tuple[Any, str]] = [
        ({"other": {}}, "Missing service_config"),
        ({"service_config": {"id_service": w.service.id}}, "Missing id_service_config"),
        (
            {
                "service_config": {
                    "id_service_config": 0,
                    "id_service": w.service.id,
                    "id_participant": w.participant.id,
                    "service_config_config": "{not json",
                }
            },
            "service_config_config",
        ),
        ({"service_config": {"id_service_config": 0, "id_participant": w.participant.id}}, "Missing id_service"),
        ({"service_config": {"id_service_config": 0, "id_service": w.service.id}}, "Missing at least one id field"),
        (
            {
                "service_config": {
                    "id_service_config": 0,
                    "id_service": w.service.id,
                    "id_user": 1,
                    "id_device": w.device.id,
                }
            },
            "Can't combine",
        ),
        (
            {
                "service_config": {
                    "id_service_config": 987654,  # an update: unknown fields refused (a new config ignores them)
                    "id_service": w.service.id,
                    "id_device": w.device.id,
                    "colour": "red",
                }
            },
            "colour",
        ),
        ({"service_config": {"id_service_config": 0, "service_key": "NoSuchKey", "id_user": 1}}, "service_key"),
    ]
    for body, message in cases:
        response = front.post(PATH, json=body, headers=admin)
        assert response.status_code == 400, (body, response.text)
        assert message in response.json(), (body, response.text)
    assert api_stack.psql("SELECT count(*) FROM t_services_configs")[0][0] == count


def test_site_admin_manages_a_participant_config(
    front: FrontDoorSession, api_stack: Stack, config_world: ConfigWorld
) -> None:
    w = config_world
    headers = w.site_admin.headers
    [config] = checked(
        post_config(
            front,
            headers,
            service_key=w.service.name,
            id_participant=w.participant.id,
            service_config_config='{"volume": 3, "muted": false}',
        )
    )
    assert config["id_service"] == w.service.id and config["id_participant"] == w.participant.id
    assert "id_user" not in config and "id_device" not in config
    assert config["service_config_config"] == {"volume": 3, "muted": False}
    assert config["service_config_name"] == w.service.name
    assert config["service_config_specific_id"] is None and config["service_config_last_update_time"]
    stored = api_stack.psql(
        f"SELECT service_config_config FROM t_services_configs WHERE id_service_config = {config['id_service_config']}"
    )
    assert stored == [['{"volume": 3, "muted": false}']]

    # A specific config for one client overrides part of the global one.
    update = {
        "id_service_config": config["id_service_config"],
        "id_specific": "pc-1",
        "service_config_config": {"muted": True},
    }
    [specific] = checked(front.post(PATH, json={"service_config": update}, headers=headers))
    assert specific["service_config_config"] == {"volume": 3, "muted": True}
    assert specific["service_config_specific_id"] == "pc-1"
    query = {"id_service": w.service.id, "id_participant": w.participant.id}
    [plain] = checked(front.get(PATH, params=query, headers=headers))
    assert plain["service_config_config"] == {"volume": 3, "muted": False}
    [listed] = checked(front.get(PATH, params={**query, "id_specific": "pc-1", "list": "true"}, headers=headers))
    assert listed["service_config_config"]["muted"] is True and listed["service_config_specifics"] == ["pc-1"]

    assert checked(front.get(PATH, params=query, headers=w.outsider.headers)) == []
    delete = {"id": config["id_service_config"]}
    assert front.delete(PATH, params=delete, headers=w.outsider.headers).status_code == 403
    assert front.delete(PATH, params=delete, headers=headers).status_code == 200
    assert checked(front.get(PATH, params=query, headers=headers)) == []
    assert front.delete(PATH, params=delete, headers=headers).status_code == 400


def test_a_user_keeps_their_own_config(front: FrontDoorSession, config_world: ConfigWorld) -> None:
    w = config_world
    member = w.member
    [config] = checked(
        post_config(front, member.headers, id_service=w.service.id, id_user=member.id, service_config_config={"a": 1})
    )
    assert config["id_user"] == member.id
    # Without any id: the caller's own configs of services with an editable config.
    mine = checked(front.get(PATH, headers=member.headers))
    assert [c["id_service_config"] for c in mine] == [config["id_service_config"]]
    # A member is no admin: the participant's and the device's configs are not theirs to write.
    assert (
        post_config(
            front, member.headers, id_service=w.service.id, id_participant=w.participant.id, service_config_config="{}"
        ).status_code
        == 403
    )
    assert (
        post_config(
            front, member.headers, id_service=w.service.id, id_device=w.device.id, service_config_config="{}"
        ).status_code
        == 403
    )
    # Someone else's config is not the outsider's to change.
    change = {"id_service_config": config["id_service_config"], "service_config_config": {"a": 2}}
    assert front.post(PATH, json={"service_config": change}, headers=w.outsider.headers).status_code == 403


def test_with_empty_lists_editable_services_without_config(front: FrontDoorSession, config_world: ConfigWorld) -> None:
    w = config_world
    configs = checked(front.get(PATH, params={"with_empty": "true"}, headers=w.site_admin.headers))
    [empty] = [c for c in configs if c["id_service"] == w.service.id]
    assert empty["id_service_config"] is None and empty["service_config_config"] == {}
    assert empty["service_config_name"] == w.service.name


def test_direct_read_on_teraserver_port(api_stack: Stack, config_world: ConfigWorld) -> None:
    base = f"http://127.0.0.1:{api_stack.host_port('teraserver', 4040)}"
    assert requests.get(base + PATH, timeout=15).status_code == 401
    response = requests.get(base + PATH, headers=config_world.member.headers, timeout=15)
    assert response.status_code == 200 and isinstance(response.json(), list)
