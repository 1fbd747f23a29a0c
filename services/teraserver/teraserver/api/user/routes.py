"""The route table of /api/user: each URL, its resource class, and the model its GET answers with.

The one place a resource is registered (api/resources.py describes the convention)."""

from __future__ import annotations

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceParticipant import TeraDeviceParticipant
from opentera.db.models.TeraDeviceProject import TeraDeviceProject
from opentera.db.models.TeraDeviceSite import TeraDeviceSite
from opentera.db.models.TeraDeviceSubType import TeraDeviceSubType
from opentera.db.models.TeraDeviceType import TeraDeviceType
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceConfig import TeraServiceConfig
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionEvent import TeraSessionEvent
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeProject import TeraSessionTypeProject
from opentera.db.models.TeraSessionTypeServices import TeraSessionTypeServices
from opentera.db.models.TeraSessionTypeSite import TeraSessionTypeSite
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraTest import TeraTest
from opentera.db.models.TeraTestInvitation import TeraTestInvitation
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraTestTypeProject import TeraTestTypeProject
from opentera.db.models.TeraTestTypeSite import TeraTestTypeSite
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserGroup import TeraUserGroup
from opentera.db.models.TeraUserPreference import TeraUserPreference
from opentera.db.models.TeraUserUserGroup import TeraUserUserGroup

from teraserver.api.resources import Route
from teraserver.api.user import (
    assets,
    assets_archive,
    device_participants,
    device_projects,
    device_sites,
    device_subtypes,
    device_types,
    devices,
    disconnect,
    forms,
    login,
    login_2fa,
    login_change_password,
    login_setup_2fa,
    logout,
    online,
    participant_groups,
    participants,
    project_access,
    projects,
    refresh_token,
    server,
    service_access,
    service_configs,
    service_projects,
    service_roles,
    service_sites,
    services,
    session_manager,
    session_type_projects,
    session_type_services,
    session_type_sites,
    session_types,
    sessions,
    site_access,
    sites,
    stats,
    test_invitations,
    test_type_links,
    test_types,
    tests,
    user_preferences,
    user_usergroups,
    usergroups,
    users,
)

ROUTES: tuple[Route, ...] = (
    Route("/assets", assets.UserQueryAssets, returns=TeraAsset),
    Route("/assets/archive", assets_archive.UserQueryAssetsArchive),
    Route("/devices", devices.UserQueryDevices, returns=TeraDevice),
    Route("/devices/online", online.UserQueryOnlineDevices, returns=TeraDevice),
    Route("/devices/participants", device_participants.UserQueryDeviceParticipants, returns=TeraDeviceParticipant),
    Route("/devices/projects", device_projects.UserQueryDeviceProjects, returns=TeraDeviceProject),
    Route("/devices/sites", device_sites.UserQueryDeviceSites, returns=TeraDeviceSite),
    Route("/devicesubtypes", device_subtypes.UserQueryDeviceSubTypes, returns=TeraDeviceSubType),
    Route("/devicetypes", device_types.UserQueryDeviceTypes, returns=TeraDeviceType),
    Route("/disconnect", disconnect.UserQueryDisconnect),
    Route("/forms", forms.UserQueryForms),
    Route("/groups", participant_groups.UserQueryParticipantGroup, returns=TeraParticipantGroup),
    Route("/login", login.UserLogin),
    Route("/login/2fa", login_2fa.UserLogin2FA),
    Route("/login/change_password", login_change_password.UserLoginChangePassword),
    Route("/login/setup_2fa", login_setup_2fa.UserLoginSetup2FA),
    Route("/logout", logout.UserLogout),
    Route("/participants", participants.UserQueryParticipants, returns=TeraParticipant),
    Route("/participants/online", online.UserQueryOnlineParticipants, returns=TeraParticipant),
    Route("/projectaccess", project_access.UserQueryProjectAccess),
    Route("/projects", projects.UserQueryProjects, returns=TeraProject),
    Route("/refresh_token", refresh_token.UserRefreshToken),
    Route("/server/settings", server.UserQueryServerSettings),
    Route("/services", services.UserServices, returns=TeraService),
    Route("/services/access", service_access.UserQueryServiceAccess),
    Route("/services/configs", service_configs.UserQueryServiceConfigs, returns=TeraServiceConfig),
    Route("/services/projects", service_projects.UserQueryServiceProjects, returns=TeraServiceProject),
    Route("/services/roles", service_roles.UserQueryServiceRoles, returns=TeraServiceRole),
    Route("/services/sites", service_sites.UserQueryServiceSites, returns=TeraServiceSite),
    Route("/sessions", sessions.UserQuerySessions, returns=TeraSession),
    Route("/sessions/events", sessions.UserQuerySessionEvents, returns=TeraSessionEvent),
    Route("/sessions/manager", session_manager.UserSessionManager),
    Route("/sessiontypes", session_types.UserQuerySessionTypes, returns=TeraSessionType),
    Route("/sessiontypes/projects", session_type_projects.UserQuerySessionTypeProjects, returns=TeraSessionTypeProject),
    Route(
        "/sessiontypes/services", session_type_services.UserQuerySessionTypeServices, returns=TeraSessionTypeServices
    ),
    Route("/sessiontypes/sites", session_type_sites.UserQuerySessionTypeSites, returns=TeraSessionTypeSite),
    Route("/siteaccess", site_access.UserQuerySiteAccess),
    Route("/sites", sites.UserQuerySites, returns=TeraSite),
    Route("/stats", stats.UserQueryUserStats),
    Route("/tests", tests.UserQueryTests, returns=TeraTest),
    Route("/tests/invitations", test_invitations.UserQueryTestsInvitations, returns=TeraTestInvitation),
    Route("/testtypes", test_types.UserQueryTestTypes, returns=TeraTestType),
    Route("/testtypes/projects", test_type_links.UserQueryTestTypeProjects, returns=TeraTestTypeProject),
    Route("/testtypes/sites", test_type_links.UserQueryTestTypeSites, returns=TeraTestTypeSite),
    Route("/usergroups", usergroups.UserQueryUserGroups, returns=TeraUserGroup),
    Route("/users", users.UserQueryUsers, returns=TeraUser),
    Route("/users/online", online.UserQueryOnlineUsers, returns=TeraUser),
    Route("/users/preferences", user_preferences.UserQueryUserPreferences, returns=TeraUserPreference),
    Route("/users/usergroups", user_usergroups.UserQueryUserUserGroups, returns=TeraUserUserGroup),
    Route("/versions", server.UserQueryVersions),
)
