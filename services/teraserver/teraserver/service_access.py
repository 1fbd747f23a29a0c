"""What a service may see (contract 3.2), after upstream's DBManagerTeraServiceAccess.

Everything derives from DB associations of the calling service:
* sites: `t_services_sites` links; projects: `t_services_projects` links;
* participants, participant groups and devices (through `t_devices_projects`) of those projects;
* users of those projects: members of user groups holding an OpenTeraServer role on the project, site admins of
  the project's site, and superadmins (the contract's rule);
* sessions: created by the service, or whose session type has the service as primary or secondary service, or
  belonging to an accessible project, or created by / involving an accessible participant, user or device;
* session types: primary or secondary service = this service; test types: `id_service` = this service;
* user groups: groups holding a `t_services_access` row on one of this service's roles;
* test invitations: those of accessible test types.

Each method answers with one SQL query (ids as subqueries) rather than walking relationships in Python, and
results are memoised for the request since a handler often asks the same question twice.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

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
from opentera.db.models.TeraSessionDevices import TeraSessionDevices
from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeServices import TeraSessionTypeServices
from opentera.db.models.TeraSessionUsers import TeraSessionUsers
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

    def test_types_query(self) -> Any:
        return TeraTestType.query.filter(TeraTestType.id_service == self.id_service)

    @cached_property
    def test_types_ids(self) -> set[int]:
        return {row[0] for row in self.test_types_query().with_entities(TeraTestType.id_test_type).all()}

    def test_invitations_query(self) -> Any:
        return TeraTestInvitation.query.filter(TeraTestInvitation.id_test_type.in_(self.test_types_ids))

    # -- sessions ------------------------------------------------------------------------------------------
    def sessions_query(self) -> Any:
        participants = list(self.participants_ids)
        users = list(self.users_ids)
        devices = list(self.devices_ids)
        with_participant = select(TeraSessionParticipants.id_session).where(
            TeraSessionParticipants.id_participant.in_(participants)
        )
        with_user = select(TeraSessionUsers.id_session).where(TeraSessionUsers.id_user.in_(users))
        with_device = select(TeraSessionDevices.id_session).where(TeraSessionDevices.id_device.in_(devices))
        return TeraSession.query.filter(
            or_(
                TeraSession.id_creator_service == self.id_service,
                TeraSession.id_session_type.in_(list(self.session_types_ids)),
                TeraSession.id_creator_participant.in_(participants),
                TeraSession.id_creator_user.in_(users),
                TeraSession.id_creator_device.in_(devices),
                TeraSession.id_session.in_(with_participant),
                TeraSession.id_session.in_(with_user),
                TeraSession.id_session.in_(with_device),
            )
        )

    def can_access_session(self, session: TeraSession) -> bool:
        if session.id_creator_service == self.id_service or session.id_session_type in self.session_types_ids:
            return True
        if session.get_associated_project_id() in self.projects_ids:
            return True
        return self.sessions_query().filter(TeraSession.id_session == session.id_session).count() > 0

    def session(self, id_session: int) -> TeraSession | None:
        """The session if it exists and is accessible (upstream's query_session, widened as sessions_query)."""
        found = TeraSession.get_session_by_id(id_session)
        return found if found is not None and self.can_access_session(found) else None

    # -- per-user roles (users/access) -----------------------------------------------------------------------
    @staticmethod
    def site_role(user: TeraUser, id_site: int) -> str | None:
        for site, role in user.get_sites_roles().items():
            if site.id_site == id_site:
                return role["site_role"]
        return None

    @staticmethod
    def project_role(user: TeraUser, id_project: int) -> str | None:
        for project, role in user.get_projects_roles().items():
            if project.id_project == id_project:
                return role["project_role"]
        return None
