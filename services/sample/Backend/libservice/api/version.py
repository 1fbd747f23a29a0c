"""GET /api/version: no authentication; also the health check's target."""

from __future__ import annotations

from importlib.metadata import version as package_version

from flask_restx import Namespace, Resource

from libservice.api.context import current_service

SERVICE_VERSION = "1.0.0"

ns = Namespace("version", path="/version", description="Service version (no authentication)")


@ns.route("")
class Version(Resource):
    @ns.doc(security=[], responses={200: "Service key, its version and the opentera package version"})
    def get(self) -> dict:
        return {
            "service_key": current_service().service_key,
            "version": SERVICE_VERSION,
            "opentera_package": package_version("opentera"),
        }
