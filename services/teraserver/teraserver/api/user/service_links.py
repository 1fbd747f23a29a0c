"""Shared logic of /api/user/services/sites and /api/user/services/projects (service <-> site/project links).

A POST body takes one of three forms: {"service": {id_service, <targets>: [...]}} replaces the
service's links, {"<target>": {id_<target>, services: [...]}} replaces the target's links, and
{"service_<target>": obj|list} adds links (`id_service` or `service_uuid`, plus `id_<target>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceRole import TeraServiceRole

from teraserver.api.common import ClientError, object_or_list, require_int


@dataclass(frozen=True)
class LinkKind:
    target: str  # "site" or "project"
    model: Any  # TeraServiceSite / TeraServiceProject

    @property
    def id_field(self) -> str:
        return f"id_{self.target}"

    @property
    def link_id_field(self) -> str:
        return f"id_service_{self.target}"


def roles_json(id_service: int) -> list[dict[str, Any]]:
    return [role.to_json(ignore_fields=["id_service"]) for role in TeraServiceRole.get_service_roles(id_service)]


def resolve_service_uuid(link: dict[str, Any]) -> None:
    """`service_uuid` may stand for `id_service`; an unknown uuid is a 400 (upstream: 500)."""
    if "service_uuid" in link:
        service = TeraService.get_service_by_uuid(link.pop("service_uuid"))
        if service is None:
            raise ClientError("Invalid service_uuid")
        link["id_service"] = service.id_service


def _ids(items: Any, field: str, name: str) -> list[int]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ClientError(f"Invalid {name}: expected a list of objects")
    return [require_int(item, field) for item in items]


def requested_links(kind: LinkKind) -> tuple[list[dict[str, Any]], list[tuple[int, int]], str | None]:
    """(links to add, (id_service, id_target) links to delete, body form) from the POST body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ClientError("Invalid JSON body: expected an object")
    plural = kind.target + "s"
    if "service" in body:
        service = body["service"]
        if not isinstance(service, dict):
            raise ClientError("Invalid service: expected an object")
        id_service = require_int(service, "id_service")
        if plural not in service:
            raise ClientError(f"Missing {plural}")
        wanted = set(_ids(service[plural], kind.id_field, plural))
        current = {getattr(link, kind.id_field) for link in kind.model.query.filter_by(id_service=id_service).all()}
        to_delete = [(id_service, target) for target in sorted(current - wanted)]
        to_add = [{"id_service": id_service, kind.id_field: target} for target in sorted(wanted - current)]
        return to_add, to_delete, "service"
    if kind.target in body:
        target = body[kind.target]
        if not isinstance(target, dict):
            raise ClientError(f"Invalid {kind.target}: expected an object")
        id_target = require_int(target, kind.id_field)
        if "services" not in target:
            raise ClientError("Missing services")
        wanted = set(_ids(target["services"], "id_service", "services"))
        current = {link.id_service for link in kind.model.query.filter_by(**{kind.id_field: id_target}).all()}
        to_delete = [(service, id_target) for service in sorted(current - wanted)]
        to_add = [{"id_service": service, kind.id_field: id_target} for service in sorted(wanted - current)]
        return to_add, to_delete, kind.target
    key = f"service_{kind.target}"
    if key in body:
        links = [dict(link) for link in object_or_list(body[key], key)]
        for link in links:
            resolve_service_uuid(link)
            require_int(link, "id_service")
            require_int(link, kind.id_field)
        return links, [], key
    raise ClientError(f"Missing service, {kind.target} or service_{kind.target}")


def check_exists(id_service: int, target_model: Any, target_id_field: str, id_target: int) -> None:
    if TeraService.get_service_by_id(id_service) is None:
        raise ClientError(f"Invalid id_service: {id_service}")
    if target_model.query.filter(getattr(target_model, target_id_field) == id_target).first() is None:
        raise ClientError(f"Invalid {target_id_field}: {id_target}")
