"""GET /api/me: the user behind the token, as the package's ServiceAccessManager decoded it."""

from __future__ import annotations

from flask_restx import Namespace, Resource
from opentera.services.ServiceAccessManager import current_user_client

from libservice.api.auth import current_service_roles, user_required
from libservice.api.context import current_service

ns = Namespace("me", path="/me", description="The logged-in user")


@ns.route("")
class Me(Resource):
    @ns.doc(responses={200: "Who you are and your roles for this service", 401: "No token", 403: "No access"})
    @user_required()
    def get(self) -> dict:
        service_key = current_service().service_key
        roles = current_service_roles(service_key)
        return {
            "user_uuid": current_user_client.user_uuid,
            "id_user": current_user_client.id_user,
            "user_fullname": current_user_client.user_fullname,
            "user_superadmin": current_user_client.user_superadmin,
            "service_key": service_key,
            "service_roles": roles,
            "service_role": "admin" if "admin" in roles else "user",
        }
