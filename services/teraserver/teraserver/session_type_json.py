"""Session types in JSON as upstream's TeraServer 1.3.0 answers them, whichever resource serializes them.

The `opentera` package we run (1.3.1) made TeraSessionType.to_json() say more than the 1.3.0 server we follow:
the owner service's `service_has_assets` / `service_has_tests` flags, a `session_type_secondary_services` list in
the full form, and the owner service's key and uuid in the minimal form too. Clients written against 1.3.0 get
exactly its fields from every resource that shows session types (user and service `sessiontypes`, device and
participant logins, `session_type` inside sessions):

* full form: the type's own columns, plus `session_type_service_key` and `session_type_service_uuid` when it
  belongs to a service;
* minimal form (`list=true`, `session_types_info`, events): the columns less `session_type_online` and
  `session_type_config`, nothing about the service.

`install()` puts this serializer on the model (once, at database set-up, as database.install_fast_to_json does
for every model), so no call site needs to know.
"""

from __future__ import annotations

from typing import Any

from opentera.db.Base import BaseMixin
from opentera.db.models.TeraSessionType import TeraSessionType

# Attributes of the model that are not fields of the answer (relationships and the category enum).
_NOT_FIELDS = (
    "SessionCategoryEnum",
    "session_type_devices_types",
    "session_type_projects",
    "session_type_sites",
    "session_type_service",
    "session_type_sessions",
    "session_type_session_type_projects",
    "session_type_session_type_sites",
    "session_type_secondary_services",
)
_FULL_ONLY = ("session_type_online", "session_type_config", "session_type_profile")


def session_type_json(
    session_type: TeraSessionType, ignore_fields: list[str] | None = None, minimal: bool = False
) -> dict[str, Any]:
    ignored = [*(ignore_fields or ()), *_NOT_FIELDS, *(_FULL_ONLY if minimal else ())]
    result = BaseMixin.to_json(session_type, ignore_fields=ignored)
    if not minimal:
        service = session_type.session_type_service
        if service is not None:
            result["session_type_service_key"] = service.service_key
            result["session_type_service_uuid"] = service.service_uuid
    return result


def install() -> None:
    """Serialize TeraSessionType with `session_type_json` (idempotent)."""
    TeraSessionType.to_json = session_type_json  # type: ignore[method-assign]
