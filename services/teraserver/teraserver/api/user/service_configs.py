"""/api/user/services/configs: per-user, per-participant or per-device configuration of a service.

Contract 3.5. A config is JSON text (`service_config_config`, only checked to be valid JSON), optionally
overridden per client by "specific" configs (`id_specific`). Without any id, GET answers the current user's
configs of services with an editable config. Writes need admin access to the owner (a user always may change
their own) and access to the service.
"""

from __future__ import annotations

import json
from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceConfig import TeraServiceConfig

from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.rows import check_fields
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

OWNERS = ("id_user", "id_participant", "id_device")

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_service", type=int, location="args", help="Service whose configs are queried")
get_parser.add_argument("service_key", type=str, location="args", help="Instead of id_service (ignored with it)")
get_parser.add_argument("id_user", type=int, location="args", help="Configs of that user")
get_parser.add_argument("id_participant", type=int, location="args", help="Configs of that participant")
get_parser.add_argument("id_device", type=int, location="args", help="Configs of that device")
get_parser.add_argument("id_specific", type=str, location="args", help="Specific configuration to apply")
get_parser.add_argument("with_empty", type=inputs.boolean, location="args", help="Also empty configs")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Also the list of specific ids")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Service config ID to delete")


def service_id_for_key(service_key: Any) -> int:
    service = TeraService.get_service_by_key(service_key) if isinstance(service_key, str) else None
    if service is None:
        raise ClientError(f"Invalid service_key: {service_key!r}")
    return service.id_service


def check_single_owner(values: dict[str, Any]) -> None:
    if sum(1 for name in OWNERS if values.get(name)) > 1:
        raise ClientError("Can't combine id_user, id_participant and id_device in request")


def may_edit_owner(access: UserAccess, field: str, value: int) -> bool:
    allowed = {
        "id_user": access.accessible_users_ids,
        "id_participant": access.accessible_participants_ids,
        "id_device": access.accessible_devices_ids,
    }[field](admin_only=True)
    return value in allowed or (field == "id_user" and value == access.user.id_user)


def may_edit_config(access: UserAccess, config: TeraServiceConfig) -> bool:
    if config.id_service not in access.accessible_services_ids():
        return False
    return all(may_edit_owner(access, name, getattr(config, name)) for name in OWNERS if getattr(config, name))


def checked_config_text(value: Any) -> str:
    """The config as JSON text: an object is serialised, a string must parse (400 naming the field)."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as error:
            raise ClientError(f"Invalid service_config_config: not valid JSON ({error})") from error
        return value
    raise ClientError("Invalid service_config_config: a JSON object or JSON text is expected")


def posted_config(access: UserAccess) -> dict[str, Any]:
    """The posted config, normalised and checked (400 / 403) before anything is written."""
    data = json_object("service_config")
    if not isinstance(data, dict):
        raise ClientError("Invalid service_config: expected an object")
    data = dict(data)
    require_int(data, "id_service_config")
    if "service_key" in data:
        data["id_service"] = service_id_for_key(data.pop("service_key"))
    for name in OWNERS:
        if data.get(name) == 0:  # upstream treats 0 as "no owner"
            del data[name]
    check_single_owner(data)
    specific = {"id_specific": data["id_specific"]} if "id_specific" in data else {}
    fields = {k: v for k, v in data.items() if k != "id_specific"}
    creating = data["id_service_config"] == 0
    data = {**check_fields(TeraServiceConfig, fields, "service_config", creating=creating), **specific}
    if "service_config_config" in data:
        data["service_config_config"] = checked_config_text(data["service_config_config"])
    if "id_specific" in data and not isinstance(data["id_specific"], str):
        raise ClientError("Invalid id_specific: a string is expected")
    if "id_service" in data and require_int(data, "id_service") not in access.accessible_services_ids():
        raise forbidden()
    for name in OWNERS:
        if name in data and not may_edit_owner(access, name, require_int(data, name)):
            raise forbidden()
    return data


def save_config(access: UserAccess, data: dict[str, Any]) -> TeraServiceConfig:
    id_config = data["id_service_config"]
    if id_config > 0:
        existing = TeraServiceConfig.get_service_config_by_id(id_config)
        if existing is None:
            raise ClientError(f"Invalid id_service_config: {id_config}")
        if not may_edit_config(access, existing):
            raise forbidden()
        with database_write("service config"):
            TeraServiceConfig.update(id_config, dict(data))
        return TeraServiceConfig.get_service_config_by_id(id_config)
    if "id_service" not in data:
        raise ClientError("Missing id_service")
    if not any(name in data for name in OWNERS):
        raise ClientError("Missing at least one id field")
    values = {k: v for k, v in data.items() if k != "id_service_config"}
    with database_write("service config"):
        config = TeraServiceConfig()
        config.from_json(values)
        TeraServiceConfig.insert(config)
        if "id_specific" in data and "service_config_config" in data:
            config.set_config_for_specific_id(data["id_specific"], data["service_config_config"])
    return TeraServiceConfig.get_service_config_by_id(config.id_service_config)


class UserQueryServiceConfigs(UserResource):
    @ns.doc(
        description="Service configs: of a service (id_service or service_key), optionally of one owner "
        "(id_user, id_participant or id_device); without any id, the current user's configs.",
        responses={200: "Success - a list", 400: "Bad or combined parameters", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get service configs."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        id_service = args["id_service"]
        if args["service_key"] and not id_service:
            id_service = service_id_for_key(args["service_key"])
        check_single_owner(args)
        id_user = args["id_user"]
        if not any((id_service, id_user, args["id_participant"], args["id_device"])):
            id_user = g.current_user.id_user
        configs = access.service_configs(
            id_service=id_service,
            id_user=id_user,
            id_participant=args["id_participant"],
            id_device=args["id_device"],
            with_empty=bool(args["with_empty"]),
        )
        result = []
        for config in configs:
            item = config.to_json(specific_id=args["id_specific"])
            if args["list"]:
                item["service_config_specifics"] = config.get_specific_ids_list()
            result.append(item)
        return result

    @ns.doc(
        description='Create (id_service_config 0) or update a config: {"service_config": {id_service_config, '
        "id_service or service_key, one of id_user / id_participant / id_device, service_config_config, "
        "[id_specific]}}",
        responses={200: "Success - [config]", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update a service config."""
        access = UserAccess(g.current_user)
        data = posted_config(access)
        config = save_config(access, data)
        return [config.to_json(specific_id=data.get("id_specific"))]

    @ns.doc(
        description="Delete a service config (admin of its owner, or one's own).",
        responses={200: "Success", 400: "Not found", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a service config."""
        args = delete_parser.parse_args(strict=True)
        config = TeraServiceConfig.get_service_config_by_id(args["id"])
        if config is None:
            raise ClientError("Not found")
        if not may_edit_config(UserAccess(g.current_user), config):
            raise forbidden()
        with database_write("service config deletion"):
            TeraServiceConfig.delete(id_todel=args["id"])
        return "", 200
