"""The route table of /api/device: each URL, its resource class, and the model its GET answers with.

The one place a resource is registered (api/resources.py describes the convention)."""

from __future__ import annotations

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionEvent import TeraSessionEvent

from teraserver.api.device import (
    assets,
    devices,
    login,
    register,
    sessions,
    status,
)
from teraserver.api.resources import Route

ROUTES: tuple[Route, ...] = (
    Route("/assets", assets.DeviceQueryAssets, returns=TeraAsset),
    Route("/devices", devices.DeviceQueryDevices, returns=TeraDevice),
    Route("/login", login.DeviceLogin),
    Route("/logout", login.DeviceLogout),
    Route("/participants", devices.DeviceQueryParticipants, returns=TeraParticipant),
    Route("/register", register.DeviceRegister),
    Route("/sessions", sessions.DeviceQuerySessions, returns=TeraSession),
    Route("/sessions/events", sessions.DeviceQuerySessionEvents, returns=TeraSessionEvent),
    Route("/status", status.DeviceQueryStatus),
)
