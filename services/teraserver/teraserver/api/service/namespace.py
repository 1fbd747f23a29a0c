"""The /api/service Namespace object (routes: `routes.py`)."""

from flask_restx import Namespace

ns = Namespace("service", description="API for service calls", path="/service")
