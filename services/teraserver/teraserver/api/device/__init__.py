"""/api/device/*: resources called by devices with their static token (`device_auth.py`).

Upstream's 9 resources: login, logout, register, sessions, sessions/events, devices, assets, participants,
status. What a device may reach: `access.py`. To add one: a module with a `DeviceResource` subclass
(api/resources.py), and a line in `routes.py`.
"""

from __future__ import annotations

from flask_restx import Api

from teraserver.api.device.namespace import ns
from teraserver.api.device.routes import ROUTES
from teraserver.api.resources import register_routes


def register(api: Api) -> None:
    register_routes(api, ns, ROUTES)
