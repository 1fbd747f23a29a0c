"""The /api/device Namespace object (resources decorate with `@ns.route`)."""

from flask_restx import Namespace

ns = Namespace("device", description="API for device calls", path="/device")
