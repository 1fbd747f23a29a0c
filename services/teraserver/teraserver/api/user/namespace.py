"""The /api/user Namespace object, in its own module so resource modules can decorate with it."""

from flask_restx import Namespace

ns = Namespace("user", description="API for user calls", path="/user")
