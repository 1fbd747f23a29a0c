"""What a service may see: our own implementation of the rules of upstream's service access
manager (DBManagerTeraServiceAccess), which the /api/service resources apply.

Everything derives from DB associations of the calling service:
* sites: `t_services_sites` links; projects: `t_services_projects` links;
* participants, participant groups and devices (through `t_devices_projects`) of those projects;
* users: for each accessible project, the members of user groups holding an OpenTeraServer role on it, the
  members of groups holding the OpenTeraServer "admin" role on its site, and every superadmin. A service linked
  to no project therefore sees no user at all (not even the superadmins);
* user groups: groups holding a `t_services_access` row on one of this service's roles;
* session types: primary service (`id_service`) or secondary service (`t_sessions_types_services`) = this
  service, listed by name; test types: `id_service` = this service, listed by name; test invitations: those of
  accessible test types;
* sessions, two rules, as upstream (which resource uses which is in the resources and the README):
  - readable sessions (`sessions_ids`, `readable_session`): created by this service, or of an accessible
    session type. Nothing else: a session of an accessible project or participant is not readable through
    this rule;
  - managed sessions (`managed_session`, upstream's query_session): created by this service, or whose project
    (the project of its first participant, else of its creating participant) is an accessible project;
* a user's role on a project or site (`project_role`, `site_role`): None unless the user is accessible and the
  project (or site) is accessible; then the user's role there (admin, user, or None).

Each method answers with one SQL query (ids as subqueries) rather than walking relationships in Python, and
results are memoised for the request since a handler often asks the same question twice.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from flask import g
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceProject import TeraDeviceProject
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeServices import TeraSessionTypeServices
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraTestInvitation import TeraTestInvitation
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserGroup import TeraUserGroup
from opentera.db.models.TeraUserUserGroup import TeraUserUserGroup
from sqlalchemy import or_, select

from teraserver.redis_state import OPENTERA_SERVER_KEY


class ServiceAccess:
    def __init__(self, id_service: int) -> None:
        self.id_service = id_service

    # -- sites and projects -------------------------------------------------------------------------------
    @cached_property
    def sites_ids(self) -> list[int]:
        rows = (
            TeraServiceSite.query.join(TeraSite, TeraSite.id_site == TeraServiceSite.id_site)
            .filter(TeraServiceSite.id_service == self.id_service)
            .with_entities(TeraServiceSite.id_site)
            .all()
        )
        return sorted({row[0] for row in rows})

    def sites(self) -> list[TeraSite]:
        return TeraSite.query.filter(TeraSite.id_site.in_(self.sites_ids)).order_by(TeraSite.site_name).all()

    @cached_property
    def projects_ids(self) -> list[int]:
        rows = (
            TeraServiceProject.query.join(TeraProject, TeraProject.id_project == TeraServiceProject.id_project)
            .filter(TeraServiceProject.id_service == self.id_service)
            .with_entities(TeraServiceProject.id_project)
            .all()
        )
        return sorted({row[0] for row in rows})

    def projects(self) -> list[TeraProject]:
        return (
            TeraProject.query.filter(TeraProject.id_project.in_(self.projects_ids))
            .order_by(TeraProject.project_name)
            .all()
        )

    # -- participants, groups, devices ---------------------------------------------------------------------
    def participants_query(self) -> Any:
        return TeraParticipant.query.filter(TeraParticipant.id_project.in_(self.projects_ids))

    @cached_property
    def participants_ids(self) -> set[int]:
        return {row[0] for row in self.participants_query().with_entities(TeraParticipant.id_participant).all()}

    def participant_groups_query(self) -> Any:
        return TeraParticipantGroup.query.filter(TeraParticipantGroup.id_project.in_(self.projects_ids))

    @cached_property
    def participant_groups_ids(self) -> set[int]:
        rows = self.participant_groups_query().with_entities(TeraParticipantGroup.id_participant_group).all()
        return {row[0] for row in rows}

    def devices_query(self) -> Any:
        in_projects = select(TeraDeviceProject.id_device).where(
            TeraDeviceProject.id_project.in_(self.projects_ids), TeraDeviceProject.deleted_at.is_(None)
        )
        return TeraDevice.query.filter(TeraDevice.id_device.in_(in_projects))

    @cached_property
    def devices_ids(self) -> set[int]:
        return {row[0] for row in self.devices_query().with_entities(TeraDevice.id_device).all()}

    # -- users and user groups -----------------------------------------------------------------------------
    def users_query(self) -> Any:
        server_roles = select(TeraService.id_service).where(TeraService.service_key == OPENTERA_SERVER_KEY)
        project_sites = select(TeraProject.id_site).where(TeraProject.id_project.in_(self.projects_ids))
        # Groups with any OpenTeraServer role on an accessible project, or the admin role on one of their sites.
        granting_roles = select(TeraServiceRole.id_service_role).where(
            TeraServiceRole.deleted_at.is_(None),
            TeraServiceRole.id_service.in_(server_roles),
            or_(
                TeraServiceRole.id_project.in_(self.projects_ids),
                (TeraServiceRole.id_site.in_(project_sites)) & (TeraServiceRole.service_role_name == "admin"),
            ),
        )
        groups = select(TeraServiceAccess.id_user_group).where(
            TeraServiceAccess.deleted_at.is_(None),
            TeraServiceAccess.id_user_group.is_not(None),
            TeraServiceAccess.id_service_role.in_(granting_roles),
        )
        members = select(TeraUserUserGroup.id_user).where(
            TeraUserUserGroup.deleted_at.is_(None), TeraUserUserGroup.id_user_group.in_(groups)
        )
        if not self.projects_ids:
            # A service linked to no project sees nobody, not even the superadmins (upstream: per-project list).
            return TeraUser.query.filter(TeraUser.id_user.is_(None))
        return TeraUser.query.filter(or_(TeraUser.id_user.in_(members), TeraUser.user_superadmin.is_(True)))

    @cached_property
    def users_ids(self) -> set[int]:
        return {row[0] for row in self.users_query().with_entities(TeraUser.id_user).all()}

    def users(self) -> list[TeraUser]:
        return self.users_query().order_by(TeraUser.user_firstname).all()

    def user_groups_query(self) -> Any:
        own_roles = select(TeraServiceRole.id_service_role).where(TeraServiceRole.id_service == self.id_service)
        groups = select(TeraServiceAccess.id_user_group).where(
            TeraServiceAccess.deleted_at.is_(None),
            TeraServiceAccess.id_user_group.is_not(None),
            TeraServiceAccess.id_service_role.in_(own_roles),
        )
        return TeraUserGroup.query.filter(TeraUserGroup.id_user_group.in_(groups))

    @cached_property
    def user_groups_ids(self) -> set[int]:
        return {row[0] for row in self.user_groups_query().with_entities(TeraUserGroup.id_user_group).all()}

    # -- session types, test types, invitations --------------------------------------------------------------
    def session_types_query(self) -> Any:
        secondary = select(TeraSessionTypeServices.id_session_type).where(
            TeraSessionTypeServices.id_service == self.id_service, TeraSessionTypeServices.deleted_at.is_(None)
        )
        return TeraSessionType.query.filter(
            or_(TeraSessionType.id_service == self.id_service, TeraSessionType.id_session_type.in_(secondary))
        )

    @cached_property
    def session_types_ids(self) -> set[int]:
        return {row[0] for row in self.session_types_query().with_entities(TeraSessionType.id_session_type).all()}

    def session_types(self) -> list[TeraSessionType]:
        return self.session_types_query().order_by(TeraSessionType.session_type_name).all()

    def test_types_query(self) -> Any:
        return TeraTestType.query.filter(TeraTestType.id_service == self.id_service)

    @cached_property
    def test_types_ids(self) -> set[int]:
        return {row[0] for row in self.test_types_query().with_entities(TeraTestType.id_test_type).all()}

    def test_types(self) -> list[TeraTestType]:
        return self.test_types_query().order_by(TeraTestType.test_type_name).all()

    def test_invitations_query(self) -> Any:
        return TeraTestInvitation.query.filter(TeraTestInvitation.id_test_type.in_(self.test_types_ids))

    # -- sessions ------------------------------------------------------------------------------------------
    def sessions_query(self) -> Any:
        """Readable sessions: created by this service, or of a session type this service is primary or
        secondary service of."""
        return TeraSession.query.filter(
            or_(
                TeraSession.id_creator_service == self.id_service,
                TeraSession.id_session_type.in_(list(self.session_types_ids)),
            )
        )

    @cached_property
    def sessions_ids(self) -> set[int]:
        return {row[0] for row in self.sessions_query().with_entities(TeraSession.id_session).all()}

    def readable_session(self, id_session: int | None) -> TeraSession | None:
        """The session if it exists and is readable (see `sessions_query`)."""
        if id_session is None or id_session not in self.sessions_ids:
            return None
        return TeraSession.get_session_by_id(id_session)

    def managed_session(self, id_session: int | None) -> TeraSession | None:
        """The session if this service created it or it belongs to an accessible project (upstream's
        query_session: the project is the first participant's, else the creating participant's)."""
        if id_session is None:
            return None
        session = TeraSession.get_session_by_id(id_session)
        if session is None:
            return None
        if session.id_creator_service == self.id_service:
            return session
        if session.get_associated_project_id() in self.projects_ids:
            return session
        return None

    # -- per-user roles (users/access) -----------------------------------------------------------------------
    def accessible_user_by_uuid(self, user_uuid: str) -> TeraUser | None:
        user = TeraUser.get_user_by_uuid(user_uuid)
        return user if user is not None and user.id_user in self.users_ids else None

    def site_role(self, user_uuid: str, id_site: int) -> str | None:
        """The user's role on the site; None if the user or the site is not accessible, or no role."""
        user = self.accessible_user_by_uuid(user_uuid)
        if user is None or id_site not in self.sites_ids:
            return None
        for site, role in user.get_sites_roles().items():
            if site.id_site == id_site:
                return role["site_role"]
        return None

    def project_role(self, user_uuid: str, id_project: int) -> str | None:
        """The user's role on the project; None if the user or the project is not accessible, or no role."""
        user = self.accessible_user_by_uuid(user_uuid)
        if user is None or id_project not in self.projects_ids:
            return None
        for project, role in user.get_projects_roles().items():
            if project.id_project == id_project:
                return role["project_role"]
        return None


def service_access() -> ServiceAccess:
    """The calling service's access scope (after service authentication), built once per request."""
    from teraserver.service_auth import current_service_id

    if "service_access" not in g:
        g.service_access = ServiceAccess(current_service_id())
    return g.service_access
