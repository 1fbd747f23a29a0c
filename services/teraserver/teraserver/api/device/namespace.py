"""The /api/device Namespace object (routes: `routes.py`)."""

from flask_restx import Namespace

ns = Namespace("device", description="API for device calls", path="/device")
