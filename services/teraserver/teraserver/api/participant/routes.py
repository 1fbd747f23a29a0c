"""The route table of /api/participant: each URL, its resource class, and the model its GET answers with.

The one place a resource is registered (api/resources.py describes the convention)."""

from __future__ import annotations

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession

from teraserver.api.participant import (
    assets,
    devices,
    login,
    participants,
    sessions,
)
from teraserver.api.resources import Route

ROUTES: tuple[Route, ...] = (
    Route("/assets", assets.ParticipantQueryAssets, returns=TeraAsset),
    Route("/devices", devices.ParticipantQueryDevices, returns=TeraDevice),
    Route("/login", login.ParticipantLogin),
    Route("/logout", login.ParticipantLogout),
    Route("/participants", participants.ParticipantQueryParticipants, returns=TeraParticipant),
    Route("/refresh_token", login.ParticipantRefreshToken),
    Route("/sessions", sessions.ParticipantQuerySessions, returns=TeraSession),
)
