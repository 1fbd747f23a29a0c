"""`teraserver.service_json` gives the same JSON as the package's ORM, on the real database.

GET /api/user/services builds its services, roles and project links from one Core query into transient models
(see that module). The probe below runs inside the session stack's TeraServer container: in a transaction that
it rolls back, it adds what the default data lacks (a site-specific and a project-specific role, a soft-deleted
role, a live and a soft-deleted project link, a soft-deleted project), then compares `to_json()` of every
service loaded the package's way (ORM query, lazy-loaded relationships, the soft-delete hook) with ours.
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import teraserver_probe

from devstack.testing.stack import Stack

PROBE = """
import datetime
from opentera.db.Base import BaseModel
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraSite import TeraSite
from teraserver.app import create_app
from teraserver.service_json import all_live_services_with_roles_and_projects, with_roles_and_projects
from teraserver.settings import load_settings

app = create_app(load_settings())
now = datetime.datetime.now(datetime.timezone.utc)

def added(instance, **values):
    for name, value in values.items():
        setattr(instance, name, value)
    session.add(instance)
    session.flush()
    return instance

with app.app_context():
    session = BaseModel.db().session
    service = TeraService.get_service_by_key("FileTransferService")
    site = added(TeraSite(), site_name="Probe site")
    project = added(TeraProject(), project_name="Probe project", id_site=site.id_site)
    gone = added(TeraProject(), project_name="Deleted project", id_site=site.id_site, deleted_at=now)
    added(TeraServiceRole(), id_service=service.id_service, id_site=site.id_site, service_role_name="site role")
    added(TeraServiceRole(), id_service=service.id_service, id_project=project.id_project,
          service_role_name="project role")
    added(TeraServiceRole(), id_service=service.id_service, service_role_name="deleted role", deleted_at=now)
    added(TeraServiceProject(), id_service=service.id_service, id_project=project.id_project)
    added(TeraServiceProject(), id_service=service.id_service, id_project=gone.id_project, deleted_at=now)
    session.expire_all()

    orm_services = TeraService.query.order_by(TeraService.id_service).all()
    seen = {
        "orm": [s.to_json() for s in orm_services],
        "all_live": [s.to_json() for s in all_live_services_with_roles_and_projects()],
        "given_order": [s.to_json() for s in with_roles_and_projects(orm_services[::-1])],
        "none": with_roles_and_projects([]),
    }
    session.rollback()
"""


def canonical(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Roles and links sorted by id: the package's relationships have no ORDER BY, so PostgreSQL's row order
    (which an UPDATE changes) is all the ORM promises; we answer them by id."""
    return [
        {
            **service,
            "service_roles": sorted(service["service_roles"], key=lambda role: role["id_service_role"]),
            "service_projects": sorted(service["service_projects"], key=lambda link: link["id_service_project"]),
        }
        for service in services
    ]


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_every_live_service_has_the_json_the_orm_gives(seen: dict[str, Any]) -> None:
    orm = canonical(seen["orm"])
    assert canonical(seen["all_live"]) == orm

    probed = next(service for service in orm if service["service_key"] == "FileTransferService")
    roles = {role["service_role_name"]: role for role in probed["service_roles"]}
    assert roles["site role"]["site_name"] == "Probe site"
    assert roles["project role"]["project_name"] == "Probe project"
    assert "deleted role" not in roles
    assert len(probed["service_projects"]) == 1, "the soft-deleted link must not be listed"


def test_given_services_keep_their_order(seen: dict[str, Any]) -> None:
    assert canonical(seen["given_order"]) == canonical(seen["orm"])[::-1]
    assert seen["none"] == []
