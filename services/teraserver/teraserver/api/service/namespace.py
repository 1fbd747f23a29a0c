"""The /api/service Namespace object (resources decorate with `@ns.route`)."""

from flask_restx import Namespace

ns = Namespace("service", description="API for service calls", path="/service")
