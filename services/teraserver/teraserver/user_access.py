"""What a user may see and change: our implementation of the rules of upstream's DBManagerTeraUserAccess.

The rules, in our words (a superadmin sees everything; "roles" are the service roles of the user's groups
bound to a site or to a project, as the package's get_projects_roles / get_sites_roles read them; only
OpenTeraServer roles count when listing a project's users):

* Projects: those the user holds a role in. An admin role on a site is an admin role on every project of that
  site; a "user" role on a site gives no project.
* Sites: those the user holds a role on, plus the site of every project the user holds a role in (as "user").
* Users: the users holding a role directly on one of the user's projects (a site admin role does not count
  here), plus oneself. Superadmins are not listed unless they hold such a role.
* Users of one project (users?id_project): among the users above plus those admin of the project's site,
  enabled ones whose own projects include it (superadmins have every project).
* User groups: groups with a role on one of the user's projects (or, by sites, on one of the user's sites).
* Participants and participant groups: those of the user's projects.
* Devices: those attached (t_devices_sites) to one of the user's sites.
* Session types: those attached (t_sessions_types_sites) to one of the user's sites.
* Services: linked to one of the user's projects, or to a site the user is admin of.
* Sessions (lists): created by a visible user, device, participant or service, or having the user, a visible
  participant or a visible device among their members.
* One session (by id or uuid): created by the user, having the user as a member, or whose project (its first
  participant's, else its creator participant's) is one of the user's projects.
* One asset (by id or uuid): its session passes the rule above and its owner service is visible.
* Assets of a service (service_uuid): in a visible session, owned by that service, and created by a visible
  service or by none.
* Service access rows, service configs, device and session-type links follow the rows they belong to.
* A user administers a service linked to a project or a site the user is admin of (upstream's admin_only
  filter instead keeps any accessible service that has a role named "admin").
"""

from __future__ import annotations

from typing import Any

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceProject import TeraDeviceProject
from opentera.db.models.TeraDeviceSite import TeraDeviceSite
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceConfig import TeraServiceConfig
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionDevices import TeraSessionDevices
from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeProject import TeraSessionTypeProject
from opentera.db.models.TeraSessionTypeServices import TeraSessionTypeServices
from opentera.db.models.TeraSessionTypeSite import TeraSessionTypeSite
from opentera.db.models.TeraSessionUsers import TeraSessionUsers
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserGroup import TeraUserGroup
from sqlalchemy import and_, or_

from teraserver import context, queries
from teraserver.queries import all_live_services, live
from teraserver.queries import services as services_query

ADMIN = "admin"


def users_in_project(
    project: TeraProject, include_superadmins: bool = False, include_site_access: bool = False
) -> list[TeraUser]:
    """Users whose groups hold an OpenTeraServer role bound to the project; with include_site_access, also those
    whose groups are admin of the project's site (upstream's TeraProject.get_users_in_project, which needs
    upstream's server-side Globals module, so the same rule is written here)."""
    server = TeraService.get_openteraserver_service()
    bound = TeraServiceRole.id_project == project.id_project
    if include_site_access:
        site_admin = and_(TeraServiceRole.id_site == project.id_site, TeraServiceRole.service_role_name == ADMIN)
        bound = or_(bound, site_admin)
    roles = TeraServiceRole.query.filter(TeraServiceRole.id_service == server.id_service, bound).all()
    found: dict[int, TeraUser] = {}
    for role in roles:
        for group in role.service_role_user_groups:
            for user in group.user_group_users:
                found.setdefault(user.id_user, user)
    if include_superadmins:
        for user in TeraUser.get_superadmins():
            found.setdefault(user.id_user, user)
    return list(found.values())


class UserAccess:
    def __init__(self, user: TeraUser) -> None:
        self.user = user
        self._sites_roles: dict[Any, dict[str, Any]] | None = None
        self._projects_roles: dict[Any, dict[str, Any]] | None = None

    @property
    def superadmin(self) -> bool:
        return bool(self.user.user_superadmin)

    # --- sites and projects ---------------------------------------------------------------------------
    def sites_roles(self) -> dict[Any, dict[str, Any]]:
        if self._sites_roles is None:
            self._sites_roles = self.user.get_sites_roles()
        return self._sites_roles

    def projects_roles(self) -> dict[Any, dict[str, Any]]:
        if self._projects_roles is None:
            self._projects_roles = self.user.get_projects_roles()
        return self._projects_roles

    def accessible_sites(self, admin_only: bool = False) -> list[TeraSite]:
        if self.superadmin:
            return TeraSite.query.order_by(TeraSite.site_name.asc()).all()
        roles = self.sites_roles()
        sites = [site for site, role in roles.items() if not admin_only or role["site_role"] == ADMIN]
        return sorted(sites, key=lambda site: site.site_name)

    def accessible_sites_ids(self, admin_only: bool = False) -> list[int]:
        return [site.id_site for site in self.accessible_sites(admin_only)]

    def admin_sites_ids(self) -> list[int]:
        return self.accessible_sites_ids(admin_only=True)

    def site_role(self, id_site: int) -> str | None:
        if self.superadmin:
            return ADMIN
        return next((role["site_role"] for site, role in self.sites_roles().items() if site.id_site == id_site), None)

    def accessible_projects(self, admin_only: bool = False) -> list[TeraProject]:
        if self.superadmin:
            return TeraProject.query.order_by(TeraProject.project_name.asc()).all()
        roles = self.projects_roles()
        projects = [p for p, role in roles.items() if not admin_only or role["project_role"] == ADMIN]
        return sorted(projects, key=lambda project: project.project_name)

    def accessible_projects_ids(self, admin_only: bool = False) -> list[int]:
        return [project.id_project for project in self.accessible_projects(admin_only)]

    def project_role(self, id_project: int) -> str | None:
        if self.superadmin:
            return ADMIN
        roles = self.projects_roles().items()
        return next((role["project_role"] for project, role in roles if project.id_project == id_project), None)

    # --- users and groups -----------------------------------------------------------------------------
    def accessible_users(self, admin_only: bool = False, include_site_access: bool = False) -> list[TeraUser]:
        if self.superadmin:
            users = TeraUser.query.all()
        else:
            found: dict[int, TeraUser] = {}
            for project in self.accessible_projects(admin_only):
                for user in users_in_project(project, include_site_access=include_site_access):
                    found.setdefault(user.id_user, user)
            found.setdefault(self.user.id_user, self.user)  # one always sees oneself
            users = list(found.values())
        return sorted(users, key=lambda user: (user.user_firstname or "", user.id_user))

    def accessible_users_ids(self, admin_only: bool = False) -> list[int]:
        return [user.id_user for user in self.accessible_users(admin_only)]

    def users_for_project(self, id_project: int, enabled_only: bool = True) -> list[TeraUser]:
        """users?id_project: visible users (site admins of the project's site included) whose own projects
        include that one, superadmins included when visible (they have every project)."""
        users = []
        for user in self.accessible_users(include_site_access=True):
            if enabled_only and not user.user_enabled:
                continue
            if user.user_superadmin or any(p.id_project == id_project for p in user.get_projects_roles()):
                users.append(user)
        return users

    def users_of_usergroup(self, id_user_group: int) -> list[TeraUser]:
        """Visible users among the members of a group, by first name."""
        group = TeraUserGroup.get_user_group_by_id(id_user_group)
        if group is None:
            return []
        visible = set(self.accessible_users_ids())
        users = [user for user in group.user_group_users if user.id_user in visible]
        return sorted(users, key=lambda user: (user.user_firstname or "", user.id_user))

    def usergroups_of_user(self, id_user: int) -> list[TeraUserGroup]:
        """Visible groups among a user's groups, by name."""
        user = TeraUser.get_user_by_id(id_user)
        if user is None:
            return []
        visible = set(self.accessible_usergroups_ids())
        groups = [group for group in user.user_user_groups if group.id_user_group in visible]
        return sorted(groups, key=lambda group: group.user_group_name or "")

    def accessible_usergroups(self, admin_only: bool = False, by_sites: bool = False) -> list[TeraUserGroup]:
        groups = TeraUserGroup.query.order_by(TeraUserGroup.user_group_name.asc()).all()
        if self.superadmin:
            return groups
        if by_sites:
            mine = {s.id_site for s in self.accessible_sites(admin_only)}
            return [g for g in groups if mine & {site.id_site for site in g.get_sites_roles()}]
        mine = {p.id_project for p in self.accessible_projects(admin_only)}
        return [g for g in groups if mine & {project.id_project for project in g.get_projects_roles()}]

    def accessible_usergroups_ids(self, admin_only: bool = False, by_sites: bool = False) -> list[int]:
        return [group.id_user_group for group in self.accessible_usergroups(admin_only, by_sites)]

    # --- participants, devices, sessions --------------------------------------------------------------
    def _participants_query(self, admin_only: bool) -> Any:
        query = TeraParticipant.query
        if not self.superadmin:
            query = query.filter(TeraParticipant.id_project.in_(self.accessible_projects_ids(admin_only)))
        return query

    def accessible_participants(self, admin_only: bool = False) -> list[TeraParticipant]:
        if context.fast_paths():
            return queries.live_participants(None if self.superadmin else self.accessible_projects_ids(admin_only))
        return self._participants_query(admin_only).order_by(TeraParticipant.id_participant).all()

    def accessible_participants_of_project(self, id_project: int) -> list[TeraParticipant]:
        """`accessible_participants()` of that one project: read alone, not among every visible participant."""
        if not context.fast_paths():
            return [p for p in self.accessible_participants() if p.id_project == id_project]
        if not self.superadmin and id_project not in self.accessible_projects_ids():
            return []
        return queries.live_participants([id_project])

    def accessible_participants_ids(self, admin_only: bool = False) -> list[int]:
        if context.fast_paths():
            return queries.live_participant_ids(None if self.superadmin else self.accessible_projects_ids(admin_only))
        # The ids alone: loading whole participants also loaded their `selectin` projects, for nothing.
        query = self._participants_query(admin_only).with_entities(TeraParticipant.id_participant)
        return [row[0] for row in query.order_by(TeraParticipant.id_participant).all()]

    def accessible_participants_projects(self, admin_only: bool = False) -> list[int]:
        """The project id of each visible participant (one entry per participant)."""
        query = self._participants_query(admin_only).with_entities(TeraParticipant.id_project)
        return [row[0] for row in query.all()]

    def accessible_participant_groups(self, admin_only: bool = False) -> list[TeraParticipantGroup]:
        query = TeraParticipantGroup.query
        if not self.superadmin:
            query = query.filter(TeraParticipantGroup.id_project.in_(self.accessible_projects_ids(admin_only)))
        return query.all()

    def accessible_participant_groups_ids(self, admin_only: bool = False) -> list[int]:
        return [g.id_participant_group for g in self.accessible_participant_groups(admin_only)]

    def accessible_devices(self, admin_only: bool = False) -> list[TeraDevice]:
        if self.superadmin:
            return TeraDevice.query.order_by(TeraDevice.id_device).all()
        sites = self.accessible_sites_ids(admin_only)
        return (
            TeraDevice.query.join(TeraDeviceSite, TeraDeviceSite.id_device == TeraDevice.id_device)
            .filter(TeraDeviceSite.id_site.in_(sites))
            .distinct()
            .order_by(TeraDevice.id_device)
            .all()
        )

    def accessible_devices_ids(self, admin_only: bool = False) -> list[int]:
        return [device.id_device for device in self.accessible_devices(admin_only)]

    def accessible_session_types(self, admin_only: bool = False) -> list[TeraSessionType]:
        if self.superadmin:
            return TeraSessionType.query.order_by(TeraSessionType.id_session_type).all()
        sites = self.accessible_sites_ids(admin_only)
        types = (
            TeraSessionType.query.join(
                TeraSessionTypeSite, TeraSessionTypeSite.id_session_type == TeraSessionType.id_session_type
            )
            .filter(TeraSessionTypeSite.id_site.in_(sites))
            .distinct()
            .all()
        )
        return sorted(types, key=lambda st: (st.session_type_name or "", st.id_session_type))

    def accessible_session_types_ids(self, admin_only: bool = False) -> list[int]:
        return [st.id_session_type for st in self.accessible_session_types(admin_only)]

    def can_access_session(self, session: TeraSession) -> bool:
        """One session: created by the user, the user among its users, or its project one of the user's."""
        if self.superadmin or session.id_creator_user == self.user.id_user:
            return True
        if session.has_user(self.user.id_user):
            return True
        return session.get_associated_project_id() in self.accessible_projects_ids()

    def accessible_sessions_ids(self) -> set[int]:
        """Sessions (lists): created by a visible user, device, participant or service, or with the user, a
        visible participant or a visible device among their members."""
        if self.superadmin:
            return {row[0] for row in TeraSession.query.with_entities(TeraSession.id_session).all()}
        participants = self.accessible_participants_ids()
        users = self.accessible_users_ids()
        devices = self.accessible_devices_ids()
        services = list(self.accessible_services_ids())
        created = TeraSession.query.filter(
            or_(
                TeraSession.id_creator_user.in_(users),
                TeraSession.id_creator_device.in_(devices),
                TeraSession.id_creator_participant.in_(participants),
                TeraSession.id_creator_service.in_(services),
            )
        ).with_entities(TeraSession.id_session)
        found = {row[0] for row in created.all()}
        for link, column, values in (
            (TeraSessionUsers, TeraSessionUsers.id_user, [self.user.id_user]),
            (TeraSessionParticipants, TeraSessionParticipants.id_participant, participants),
            (TeraSessionDevices, TeraSessionDevices.id_device, devices),
        ):
            found |= {row[0] for row in link.query.filter(column.in_(values)).with_entities(link.id_session).all()}
        return found

    def asset_visible(self, asset: TeraAsset | None) -> bool:
        """One asset: its session passes can_access_session and its owner service is visible."""
        if asset is None:
            return False
        session = TeraSession.get_session_by_id(asset.id_session) if asset.id_session is not None else None
        if session is None or not self.can_access_session(session):
            return False
        uuids = {service.service_uuid for service in self.accessible_services()}
        return asset.asset_service_uuid in uuids

    def assets_of_service(self, service_uuid: str) -> list[TeraAsset]:
        """Assets owned by a service, in visible sessions, created by a visible service or by none."""
        sessions = list(self.accessible_sessions_ids())
        services = list(self.accessible_services_ids())
        return (
            TeraAsset.query.filter(TeraAsset.id_session.in_(sessions))
            .filter(TeraAsset.asset_service_uuid == service_uuid)
            .filter(or_(TeraAsset.id_service.in_(services), TeraAsset.id_service.is_(None)))
            .order_by(TeraAsset.id_asset)
            .all()
        )

    # --- services -------------------------------------------------------------------------------------
    def accessible_services(self) -> list[TeraService]:
        if self.superadmin:
            return all_live_services()
        query = (
            services_query()
            .outerjoin(
                TeraServiceProject,
                TeraServiceProject.deleted_at.is_(None) & (TeraServiceProject.id_service == TeraService.id_service),
            )
            .outerjoin(
                TeraServiceSite,
                TeraServiceSite.deleted_at.is_(None) & (TeraServiceSite.id_service == TeraService.id_service),
            )
            .filter(
                or_(
                    TeraServiceProject.id_project.in_(self.accessible_projects_ids()),
                    TeraServiceSite.id_site.in_(self.admin_sites_ids()),
                )
            )
            .distinct()
        )
        return query.order_by(TeraService.id_service).all()

    def accessible_services_ids(self) -> set[int]:
        if self.superadmin:
            return {row[0] for row in live(TeraService).with_entities(TeraService.id_service).all()}
        return {service.id_service for service in self.accessible_services()}

    def services_for_project(self, id_project: int) -> list[TeraService]:
        ids = self.accessible_services_ids()
        services = (
            services_query()
            .join(TeraServiceProject, TeraServiceProject.id_service == TeraService.id_service)
            .filter(TeraServiceProject.id_project == id_project, TeraServiceProject.deleted_at.is_(None))
            .filter(TeraService.id_service.in_(ids))
            .all()
        )
        return sorted(services, key=lambda s: s.service_name)

    def services_for_site(self, id_site: int) -> list[TeraService]:
        ids = self.accessible_services_ids()
        services = (
            services_query()
            .join(TeraServiceSite, TeraServiceSite.id_service == TeraService.id_service)
            .filter(TeraServiceSite.id_site == id_site, TeraServiceSite.deleted_at.is_(None))
            .filter(TeraService.id_service.in_(ids))
            .all()
        )
        return sorted(services, key=lambda s: s.service_name)

    def admin_services_ids(self) -> set[int]:
        """Services the user may grant roles of: linked to a project or a site the user is admin of (all for a
        superadmin), system services (OpenTeraServer...) excluded as upstream: their roles are managed elsewhere."""
        if self.superadmin:
            linked = self.accessible_services_ids()
        else:
            projects = self.accessible_projects_ids(admin_only=True)
            sites = self.admin_sites_ids()
            by_project = live(TeraServiceProject).filter(TeraServiceProject.id_project.in_(projects)).all()
            by_site = live(TeraServiceSite).filter(TeraServiceSite.id_site.in_(sites)).all()
            linked = {link.id_service for link in by_project} | {link.id_service for link in by_site}
        system = live(TeraService).filter(TeraService.service_system.is_(True)).with_entities(TeraService.id_service)
        return linked - {row[0] for row in system.all()}

    # --- service access rows and configs --------------------------------------------------------------
    def service_access_rows(
        self,
        *,
        id_user_group: int | None = None,
        id_participant_group: int | None = None,
        id_device: int | None = None,
        id_service: int | None = None,
    ) -> list[TeraServiceAccess]:
        """t_services_access rows of one holder (or of one service), on roles of services the user sees."""
        query = TeraServiceAccess.query.join(
            TeraServiceRole, TeraServiceRole.id_service_role == TeraServiceAccess.id_service_role
        )
        if id_user_group is not None:
            query = query.filter(TeraServiceAccess.id_user_group == id_user_group)
        if id_participant_group is not None:
            query = query.filter(TeraServiceAccess.id_participant_group == id_participant_group)
        if id_device is not None:
            query = query.filter(TeraServiceAccess.id_device == id_device)
        if id_service is not None:
            query = query.filter(TeraServiceRole.id_service == id_service)
        else:
            query = query.filter(TeraServiceRole.id_service.in_(self.accessible_services_ids()))
        rows = query.order_by(TeraServiceAccess.id_service_access).all()
        return sorted(rows, key=lambda row: row.service_access_role.id_service)

    def service_configs(
        self,
        *,
        id_service: int | None,
        id_user: int | None,
        id_participant: int | None,
        id_device: int | None,
        with_empty: bool,
    ) -> list[TeraServiceConfig]:
        """Configs of one owner (user, participant or device), of one service or of every service with an
        editable config; with_empty adds unsaved empty configs for accessible editable services without one."""
        if id_service is not None and id_service not in self.accessible_services_ids():
            return []
        owner: tuple[str, int] | None = None
        for field, value, allowed in (
            ("id_user", id_user, self.accessible_users_ids),
            ("id_participant", id_participant, self.accessible_participants_ids),
            ("id_device", id_device, self.accessible_devices_ids),
        ):
            if value is not None:
                if value not in allowed():
                    return []
                owner = (field, value)
        query = TeraServiceConfig.query
        if owner is not None:
            query = query.filter(getattr(TeraServiceConfig, owner[0]) == owner[1])
        if id_service is not None:
            query = query.filter(TeraServiceConfig.id_service == id_service)
        elif owner is not None:
            query = query.join(TeraService, TeraService.id_service == TeraServiceConfig.id_service).filter(
                TeraService.service_editable_config.is_(True)
            )
        configs = query.order_by(TeraServiceConfig.id_service_config).all()
        if with_empty:
            configured = {config.id_service for config in configs}
            for service in self.accessible_services():
                if service.service_editable_config and service.id_service not in configured:
                    empty = TeraServiceConfig()
                    empty.id_service = service.id_service
                    empty.service_config_service = service
                    empty.service_config_config = None
                    configs.append(empty)
        return configs

    # --- devices --------------------------------------------------------------------------------------
    def devices_in_project(self, id_project: int) -> list[TeraDevice]:
        if id_project not in self.accessible_projects_ids():
            return []
        return (
            TeraDevice.query.join(TeraDeviceProject, TeraDeviceProject.id_device == TeraDevice.id_device)
            .filter(TeraDeviceProject.id_project == id_project)
            .order_by(TeraDevice.device_name.asc(), TeraDevice.id_device)
            .all()
        )

    def devices_in_site(self, id_site: int) -> list[TeraDevice]:
        if id_site not in self.accessible_sites_ids():
            return []
        return (
            TeraDevice.query.join(TeraDeviceSite, TeraDeviceSite.id_device == TeraDevice.id_device)
            .filter(TeraDeviceSite.id_site == id_site)
            .order_by(TeraDevice.device_name.asc(), TeraDevice.id_device)
            .all()
        )

    def device_participants(self, device: TeraDevice) -> list[TeraParticipant]:
        participants = set(self.accessible_participants_ids())
        return [p for p in device.device_participants if p.id_participant in participants]

    def device_sites(self, device: TeraDevice) -> list[TeraSite]:
        """Sites the device is attached to (t_devices_sites), for a visible device; upstream lists every such
        site, we keep only the user's own sites."""
        if device.id_device not in self.accessible_devices_ids():
            return []
        mine = set(self.accessible_sites_ids())
        links = TeraDeviceSite.query.filter(TeraDeviceSite.id_device == device.id_device).all()
        return [link.device_site_site for link in links if link.id_site in mine]

    # --- session types --------------------------------------------------------------------------------
    def session_type_projects_of_project(self, id_project: int) -> list[TeraSessionTypeProject]:
        """Links of a project to accessible session types; a service-category type only when its service is
        accessible too (upstream's query_session_types_for_project)."""
        if id_project not in self.accessible_projects_ids():
            return []
        types = set(self.accessible_session_types_ids())
        services = self.accessible_services_ids()
        links = TeraSessionTypeProject.query.filter(TeraSessionTypeProject.id_project == id_project).all()
        return [
            link
            for link in links
            if link.id_session_type in types and _service_visible(link.session_type_project_session_type, services)
        ]

    def session_type_sites_of_site(self, id_site: int) -> list[TeraSessionTypeSite]:
        if id_site not in self.accessible_sites_ids():
            return []
        types = set(self.accessible_session_types_ids())
        links = TeraSessionTypeSite.query.filter(TeraSessionTypeSite.id_site == id_site).all()
        return [link for link in links if link.id_session_type in types]

    def session_type_sites_of_type(self, id_session_type: int) -> list[TeraSessionTypeSite]:
        sites = set(self.accessible_sites_ids())
        links = TeraSessionTypeSite.query.filter(TeraSessionTypeSite.id_session_type == id_session_type).all()
        return [link for link in links if link.id_site in sites]

    def session_type_projects_of_type(self, id_session_type: int) -> list[TeraSessionTypeProject]:
        projects = set(self.accessible_projects_ids())
        links = TeraSessionTypeProject.query.filter(TeraSessionTypeProject.id_session_type == id_session_type).all()
        return [link for link in links if link.id_project in projects]

    def session_type_services_of_type(self, id_session_type: int) -> list[TeraSessionTypeServices]:
        services = self.accessible_services_ids()
        links = TeraSessionTypeServices.query.filter(TeraSessionTypeServices.id_session_type == id_session_type).all()
        return [link for link in links if link.id_service in services]


def _service_visible(session_type: TeraSessionType, services: set[int]) -> bool:
    if session_type.session_type_category != TeraSessionType.SessionCategoryEnum.SERVICE.value:
        return True
    return session_type.id_service in services
