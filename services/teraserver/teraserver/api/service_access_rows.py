"""Shared logic of /api/service/serviceaccess and /api/user/services/access: rows of t_services_access.

A posted item is {id_service_access (0 = new), one of id_user_group / id_participant_group / id_device,
id_service_role}; an existing row posted without id_service_role (or with "") is deleted, as upstream does.
What differs between a service and a user is who may grant what: that is the caller's `AccessRules`; the
checks, their messages and the writes are the same for both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole

from teraserver.api.common import ClientError, database_write, forbidden, require_int

HOLDERS = ("id_user_group", "id_participant_group", "id_device")
ROW_ID = "id_service_access"


@dataclass(frozen=True)
class AccessRules:
    """What one caller may do: grant to these holders, with these roles, and change these existing rows."""

    holders: dict[str, Collection[int]]  # holder field -> ids the caller may grant access to
    role_allowed: Callable[[TeraServiceRole], bool]
    row_allowed: Callable[[TeraServiceAccess], bool]


def removes_access(item: dict[str, Any]) -> bool:
    return item.get("id_service_role") in (None, "")


def existing_row(id_service_access: int) -> TeraServiceAccess:
    row = TeraServiceAccess.get_service_access_by_id(id_service_access)
    if row is None:
        raise ClientError("Not found")
    return row


def check_item(item: dict[str, Any], rules: AccessRules) -> None:
    """400 for a malformed item, 403 for one the caller may not post; nothing is written yet."""
    id_row = require_int(item, ROW_ID)
    holders = [name for name in HOLDERS if name in item]
    if len(holders) > 1:
        raise ClientError("Can't combine id_user_group, id_participant_group and id_device in request")
    for name in holders:
        if require_int(item, name) not in rules.holders[name]:
            raise forbidden()
    if not removes_access(item):
        role = TeraServiceRole.get_service_role_by_id(require_int(item, "id_service_role"))
        if role is None:
            raise ClientError("Bad id_service_role")
        if not rules.role_allowed(role):
            raise forbidden()
    if id_row > 0:
        if not rules.row_allowed(existing_row(id_row)):
            raise forbidden()
    else:
        if removes_access(item):
            raise ClientError("Missing id_service_role")
        if not holders:
            raise ClientError("Missing at least one id field")


def save_items(items: list[dict[str, Any]], rules: AccessRules) -> list[dict[str, Any]]:
    """Check every item first (a bad one changes nothing), then create, update or delete each row.

    Returns the posted items, new ones with their id_service_access filled in (upstream's answer).
    """
    for item in items:
        check_item(item, rules)
    with database_write("service access"):
        for item in items:
            id_row = item[ROW_ID]
            if id_row > 0:
                if removes_access(item):
                    TeraServiceAccess.delete(id_todel=id_row)
                else:
                    TeraServiceAccess.update(id_row, {k: v for k, v in item.items() if k != ROW_ID})
                continue
            row = TeraServiceAccess()
            row.from_json({k: v for k, v in item.items() if k != ROW_ID})
            # Soft-insert models may answer with an earlier (soft-deleted) row brought back instead.
            row = TeraServiceAccess.insert(row) or row
            item[ROW_ID] = row.id_service_access
    return items


def delete_row(id_service_access: int, row_allowed: Callable[[TeraServiceAccess], bool]) -> None:
    row = existing_row(id_service_access)
    if not row_allowed(row):
        raise forbidden()
    with database_write("service access deletion"):
        TeraServiceAccess.delete(id_todel=row.id_service_access)
