"""The route table of /api/service: each URL, its resource class, and the model its GET answers with.

The one place a resource is registered (api/resources.py describes the convention)."""

from __future__ import annotations

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceAccess import TeraServiceAccess
from opentera.db.models.TeraServiceRole import TeraServiceRole
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionEvent import TeraSessionEvent
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeProject import TeraSessionTypeProject
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraTest import TeraTest
from opentera.db.models.TeraTestInvitation import TeraTestInvitation
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraTestTypeProject import TeraTestTypeProject
from opentera.db.models.TeraUser import TeraUser
from opentera.db.models.TeraUserGroup import TeraUserGroup

from teraserver.api.resources import Route
from teraserver.api.service import (
    access,
    assets,
    auth_code,
    devices,
    disconnect,
    groups,
    participants,
    projects,
    roles,
    serviceaccess,
    services,
    sessions,
    sessiontypes,
    sites,
    tests,
    testtypes,
    usergroups,
    users,
)

ROUTES: tuple[Route, ...] = (
    Route("/access", access.ServiceQueryAccess),
    Route("/assets", assets.ServiceQueryAssets, returns=TeraAsset),
    Route("/auth/code", auth_code.ServiceQueryAuthCode),
    Route("/devices", devices.ServiceQueryDevices, returns=TeraDevice),
    Route("/disconnect", disconnect.ServiceQueryDisconnect),
    Route("/groups", groups.ServiceQueryParticipantGroups, returns=TeraParticipantGroup),
    Route("/participants", participants.ServiceQueryParticipants, returns=TeraParticipant),
    Route("/projects", projects.ServiceQueryProjects, returns=TeraProject),
    Route("/roles", roles.ServiceQueryRoles, returns=TeraServiceRole),
    Route("/serviceaccess", serviceaccess.ServiceQueryServiceAccess, returns=TeraServiceAccess),
    Route("/services", services.ServiceQueryServices, returns=TeraService),
    Route("/sessions", sessions.ServiceQuerySessions, returns=TeraSession),
    Route("/sessions/events", sessions.ServiceQuerySessionEvents, returns=TeraSessionEvent),
    Route("/sessions/manager", sessions.ServiceSessionManager),
    Route("/sessiontypes", sessiontypes.ServiceQuerySessionTypes, returns=TeraSessionType),
    Route("/sessiontypes/projects", sessiontypes.ServiceQuerySessionTypeProjects, returns=TeraSessionTypeProject),
    Route("/sites", sites.ServiceQuerySites, returns=TeraSite),
    Route("/tests", tests.ServiceQueryTests, returns=TeraTest),
    Route("/tests/invitations", tests.ServiceQueryTestsInvitations, returns=TeraTestInvitation),
    Route("/testtypes", testtypes.ServiceQueryTestTypes, returns=TeraTestType),
    Route("/testtypes/projects", testtypes.ServiceQueryTestTypeProjects, returns=TeraTestTypeProject),
    Route("/usergroups", usergroups.ServiceQueryUserGroups, returns=TeraUserGroup),
    Route("/users", users.ServiceQueryUsers, returns=TeraUser),
    Route("/users/access", users.ServiceQuerySiteProjectAccessRoles),
)
