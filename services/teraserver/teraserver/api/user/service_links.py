"""Shared logic of /api/user/services/sites and /api/user/services/projects (service <-> site/project links).

GET lists the links of one site/project or of one service; with the `with_*` flag it adds, as upstream, an
entry for each candidate not linked yet: no link id, and the queried side left null (the entry names only the
candidate). A POST body takes one of upstream's three link forms (api/links.py); in the add form `service_uuid`
may stand for `id_service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceRole import TeraServiceRole

from teraserver.api.common import ClientError
from teraserver.api.links import LinkForms


@dataclass(frozen=True)
class Listed:
    """One listed entry: a saved link, or (id_link None) a candidate not linked yet, its other side None."""

    id_link: int | None
    id_service: int | None
    id_target: int | None  # id_site / id_project


def with_candidates(links: list[Listed], candidates: list[int], *, candidate_is_service: bool) -> list[Listed]:
    """`links`, then an unlinked entry for each candidate id not among them."""
    if candidate_is_service:
        present = {link.id_service for link in links}
        return links + [Listed(None, c, None) for c in dict.fromkeys(candidates) if c not in present]
    present = {link.id_target for link in links}
    return links + [Listed(None, None, c) for c in dict.fromkeys(candidates) if c not in present]


def service_fields(id_service: int | None) -> dict[str, Any]:
    """service_name, service_key and service_system of a listed entry (null for an entry without service)."""
    service = TeraService.get_service_by_id(id_service) if id_service is not None else None
    if service is None:
        return {"service_name": None, "service_key": None, "service_system": None}
    return {
        "service_name": service.service_name,
        "service_key": service.service_key,
        "service_system": service.service_system,
    }


def roles_json(id_service: int | None) -> list[dict[str, Any]]:
    if id_service is None:
        return []
    return [role.to_json(ignore_fields=["id_service"]) for role in TeraServiceRole.get_service_roles(id_service)]


def resolve_service_uuid(link: dict[str, Any]) -> None:
    """`service_uuid` may stand for `id_service`; an unknown uuid is a 400 (upstream: 500)."""
    if "service_uuid" in link:
        service = TeraService.get_service_by_uuid(link.pop("service_uuid"))
        if service is None:
            raise ClientError("Invalid service_uuid")
        link["id_service"] = service.id_service


def requested_links(forms: LinkForms) -> tuple[list[dict[str, Any]], list[tuple[int, int]], str]:
    """(links to add, (id_service, id_target) links to delete, body form) from the POST body (api/links.py):
    for a replacing form, the missing links and the stale ones, sorted; for the add form, every posted link."""
    asked = forms.parse(prepare=resolve_service_uuid)
    if asked.replaced is None:
        return asked.wanted, [], asked.form
    to_add = [{"id_service": id_service, forms.target_id: target} for id_service, target in asked.new]
    return to_add, sorted(set(asked.stale)), asked.form


def check_exists(id_service: int, target_model: Any, target_id_field: str, id_target: int) -> None:
    if TeraService.get_service_by_id(id_service) is None:
        raise ClientError(f"Invalid id_service: {id_service}")
    if target_model.query.filter(getattr(target_model, target_id_field) == id_target).first() is None:
        raise ClientError(f"Invalid {target_id_field}: {id_target}")
