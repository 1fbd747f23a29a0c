"""Services with their roles and project links, as `TeraService.to_json()` needs them, in one query.

GET /api/user/services answers the full JSON of every service a user can see. Loaded through the ORM, that was
~22 model instances, 4 queries and a lazy load per role for each answer: the largest share of the endpoint's
CPU, and each query a round trip. Here one query (prepared: teraserver.prepared) returns each service's columns
with its live roles and project links aggregated by PostgreSQL (json_agg), and the rows become transient
instances (never added to the session) whose relationship attributes sit in their instance dict, where mapped
attributes read loaded values from. The JSON still comes from the models' own to_json(), so its fields match
the package's by construction; tests/integration/test_service_json.py compares it with the ORM's on the real
database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraSite import TeraSite
from sqlalchemy import ColumnElement, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from teraserver.instances import Model, transient
from teraserver.prepared import PreparedStatement

_SERVICES = TeraService.__table__
_ROLES = TeraServiceRole.__table__
_LINKS = TeraServiceProject.__table__
_PROJECTS = TeraProject.__table__
_SITES = TeraSite.__table__


def _json_object(columns: Iterable[ColumnElement[Any]]) -> ColumnElement[Any]:
    """json_build_object('name', column, ...): the row as a dict keyed by column name once decoded.

    Every value of these rows is a number, a string or NULL (deleted_at of a live row), so JSON keeps it as is.
    """
    return func.json_build_object(*[part for column in columns for part in (literal_column(f"'{column.key}'"), column)])


# The service's live roles, each with the names to_json() reads through service_role_project and
# service_role_site. The ORM's lazy load of those hides a soft-deleted project or site (the package's
# soft-delete hook), and so do these joins.
_ROLES_JSON = func.json_agg(
    aggregate_order_by(
        _json_object([*_ROLES.columns, _PROJECTS.c.project_name, _SITES.c.site_name]), _ROLES.c.id_service_role
    )
)
_LIVE_ROLES = (
    select(_ROLES.c.id_service, _ROLES_JSON.label("roles"))
    .select_from(_ROLES)
    .outerjoin(_PROJECTS, (_PROJECTS.c.id_project == _ROLES.c.id_project) & _PROJECTS.c.deleted_at.is_(None))
    .outerjoin(_SITES, (_SITES.c.id_site == _ROLES.c.id_site) & _SITES.c.deleted_at.is_(None))
    .where(_ROLES.c.deleted_at.is_(None))
)
_LINKS_JSON = func.json_agg(aggregate_order_by(_json_object(_LINKS.columns), _LINKS.c.id_service_project))
_LIVE_LINKS = select(_LINKS.c.id_service, _LINKS_JSON.label("project_links")).where(_LINKS.c.deleted_at.is_(None))

# A few services by id: each one's roles and links aggregated in subqueries correlated to it.
_ROLES_OF_SERVICE = _LIVE_ROLES.with_only_columns(_ROLES_JSON).where(_ROLES.c.id_service == _SERVICES.c.id_service)
_LINKS_OF_SERVICE = _LIVE_LINKS.with_only_columns(_LINKS_JSON).where(_LINKS.c.id_service == _SERVICES.c.id_service)
_SERVICES_BY_ID = PreparedStatement(
    "teraserver_services_with_roles_and_links_by_id",
    select(
        *_SERVICES.columns,
        _ROLES_OF_SERVICE.scalar_subquery().label("roles"),
        _LINKS_OF_SERVICE.scalar_subquery().label("project_links"),
    ).where(_SERVICES.c.id_service == any_(bindparam("ids"))),
)
# Every live service (a superadmin's list): all roles and all links aggregated once, grouped by service, then
# joined. The correlated form ran both subqueries once per service: twice the execution time with 40 services.
_ROLES_BY_SERVICE = _LIVE_ROLES.group_by(_ROLES.c.id_service).subquery("roles_by_service")
_LINKS_BY_SERVICE = _LIVE_LINKS.group_by(_LINKS.c.id_service).subquery("links_by_service")
# Both statements are prepared (teraserver.prepared): planning this query cost PostgreSQL as much CPU as running it.
_ALL_LIVE_SERVICES = PreparedStatement(
    "teraserver_live_services_with_roles_and_links",
    select(*_SERVICES.columns, _ROLES_BY_SERVICE.c.roles, _LINKS_BY_SERVICE.c.project_links)
    .select_from(
        _SERVICES.outerjoin(_ROLES_BY_SERVICE, _ROLES_BY_SERVICE.c.id_service == _SERVICES.c.id_service).outerjoin(
            _LINKS_BY_SERVICE, _LINKS_BY_SERVICE.c.id_service == _SERVICES.c.id_service
        )
    )
    .where(_SERVICES.c.deleted_at.is_(None))
    .order_by(_SERVICES.c.id_service),
)

_SERVICE_COLUMNS = tuple(column.key for column in _SERVICES.columns)
_ROLE_COLUMNS = tuple(column.key for column in _ROLES.columns)


def with_roles_and_projects(services: Sequence[TeraService]) -> list[TeraService]:
    """Transient copies of `services`, in the same order, with their live roles and project links."""
    if not services:
        return []
    ids = [service.id_service for service in services]
    rows = _SERVICES_BY_ID.execute(TeraService.db().session.connection(), ids=ids)
    by_id = {row["id_service"]: _service(row) for row in rows}
    return [by_id[service.id_service] for service in services if service.id_service in by_id]


def all_live_services_with_roles_and_projects() -> list[TeraService]:
    """Every service that is not soft-deleted (a superadmin's list), by id, with live roles and project links."""
    rows = _ALL_LIVE_SERVICES.execute(TeraService.db().session.connection())
    return [_service(row) for row in rows]


def _service(row: Mapping[str, Any]) -> TeraService:
    service = transient(TeraService, {name: row[name] for name in _SERVICE_COLUMNS})
    vars(service).update(
        service_roles=[_role(values, service) for values in row["roles"] or ()],
        service_projects=[transient(TeraServiceProject, values) for values in row["project_links"] or ()],
    )
    return service


def _role(values: Mapping[str, Any], service: TeraService) -> TeraServiceRole:
    role = transient(TeraServiceRole, {name: values[name] for name in _ROLE_COLUMNS})
    related: dict[str, Any] = {"service_role_service": service}
    # What the lazy load would give: the project or site when it is live, else None. to_json() reads them
    # only when the role names one.
    if values["id_project"] is not None:
        related["service_role_project"] = _named(TeraProject, "project_name", values["project_name"])
    if values["id_site"] is not None:
        related["service_role_site"] = _named(TeraSite, "site_name", values["site_name"])
    vars(role).update(related)
    return role


def _named(model: type[Model], attribute: str, name: str | None) -> Model | None:
    return None if name is None else transient(model, {attribute: name})
