"""The /api/participant Namespace object, in its own module so resource modules can decorate with it."""

from flask_restx import Namespace

ns = Namespace("participant", description="API for participant calls", path="/participant")
