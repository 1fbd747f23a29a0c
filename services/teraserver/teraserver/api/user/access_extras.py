"""Access rules used by the test-type, test, invitation, access-list and stats resources of /api/user.

Our own implementation of more of upstream's DBManagerTeraUserAccess rules (teraserver.user_access holds the
others; these live here because that module is shared). In our words:

* Services "administered" in upstream's admin_only sense: accessible services that have a role named "admin"
  (whatever project or site that role is bound to). Test types are created, changed and deleted against that
  list (a test type of a service outside it is refused).
* Test types (lists): a superadmin sees all of them; others see the types offered (t_tests_types_sites) in one
  of their sites (admin_only: sites they administer) whose service is an accessible service.
* One test type (id, key, uuid): its service is accessible; the site links do not matter.
* Test types of a project: links of that project to accessible test types; with the unlinked ones, the other
  types of the project's site whose service is accessible.
* One test: its session passes the one-session rule (creator, member, or project accessible) and its type's
  service is accessible.
* Test invitations: of an accessible test type and an accessible project, and inviting an accessible user,
  participant or device or bound to an accessible session.
"""

from __future__ import annotations

import logging
from typing import Any

from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraTest import TeraTest
from opentera.db.models.TeraTestInvitation import TeraTestInvitation
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraTestTypeSite import TeraTestTypeSite
from sqlalchemy import and_, or_

from teraserver.user_access import UserAccess

log = logging.getLogger("teraserver.api.user")


def services_with_admin_role_ids(access: UserAccess) -> set[int]:
    """Upstream's accessible services with admin_only: the accessible ones having a role named "admin"."""
    visible = access.accessible_services_ids()
    rows = (
        TeraServiceRole.query.filter(TeraServiceRole.service_role_name == "admin")
        .filter(TeraServiceRole.id_service.in_(list(visible)))
        .with_entities(TeraServiceRole.id_service)
        .distinct()
        .all()
    )
    return {row[0] for row in rows}


def accessible_test_types(access: UserAccess, admin_only: bool = False) -> list[TeraTestType]:
    if access.superadmin:
        return TeraTestType.query.order_by(TeraTestType.id_test_type).all()
    return (
        TeraTestType.query.join(TeraTestTypeSite, TeraTestTypeSite.id_test_type == TeraTestType.id_test_type)
        .filter(TeraTestTypeSite.id_site.in_(access.accessible_sites_ids(admin_only)))
        .filter(TeraTestType.id_service.in_(list(access.accessible_services_ids())))
        .distinct()
        .order_by(TeraTestType.id_test_type)
        .all()
    )


def accessible_test_types_ids(access: UserAccess, admin_only: bool = False) -> list[int]:
    return [test_type.id_test_type for test_type in accessible_test_types(access, admin_only)]


def visible_test_type(access: UserAccess, id_test_type: int) -> TeraTestType | None:
    """One test type by id: only its service must be accessible."""
    test_type = TeraTestType.get_test_type_by_id(id_test_type)
    if test_type is None or test_type.id_service not in access.accessible_services_ids():
        return None
    return test_type


def visible_session(access: UserAccess, id_session: int) -> TeraSession | None:
    session = TeraSession.get_session_by_id(id_session)
    return session if session is not None and access.can_access_session(session) else None


def visible_test(access: UserAccess, *, id_test: int | None = None, test_uuid: str | None = None) -> TeraTest | None:
    if id_test:
        test = TeraTest.get_test_by_id(id_test)
    elif test_uuid:
        test = TeraTest.get_test_by_uuid(test_uuid)
    else:
        return None
    if test is None or visible_session(access, test.id_session) is None:
        return None
    if test.test_test_type.id_service not in access.accessible_services_ids():
        return None
    return test


def accessible_invitations_query(access: UserAccess) -> Any:
    invited = TeraTestInvitation
    return invited.query.filter(
        invited.id_test_type.in_(accessible_test_types_ids(access)),
        invited.id_project.in_(access.accessible_projects_ids()),
    ).filter(
        or_(
            and_(invited.id_user.isnot(None), invited.id_user.in_(access.accessible_users_ids())),
            and_(invited.id_participant.isnot(None), invited.id_participant.in_(access.accessible_participants_ids())),
            and_(invited.id_device.isnot(None), invited.id_device.in_(access.accessible_devices_ids())),
            and_(invited.id_session.isnot(None), invited.id_session.in_(list(access.accessible_sessions_ids()))),
        )
    )


def accessible_invitations_ids(access: UserAccess) -> set[int]:
    query = accessible_invitations_query(access).with_entities(TeraTestInvitation.id_test_invitation)
    return {row[0] for row in query.all()}


def openteraserver_id() -> int:
    return TeraService.get_openteraserver_service().id_service
