"""GET /api/service/users (one user) and /api/service/users/access (a user's role on a project or site)."""

from __future__ import annotations

from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import Answer, ClientError, strict_args
from teraserver.api.resources import ServiceResource
from teraserver.api.service.namespace import ns
from teraserver.service_access import service_access

users_parser = reqparse.RequestParser()
users_parser.add_argument("user_uuid", type=str, location="args", help="UUID of the user to query")
users_parser.add_argument("id_user", type=int, location="args", help="ID of the user to query")

access_parser = reqparse.RequestParser()
access_parser.add_argument("uuid_user", type=str, location="args", required=True, help="UUID of the user")
access_parser.add_argument("id_project", type=int, location="args", help="Project to get the user's role in")
access_parser.add_argument("id_site", type=int, location="args", help="Site to get the user's role in")


class ServiceQueryUsers(ServiceResource):
    @ns.doc(
        description="Return one user (a single object, not a list).",
        responses={200: "Success", 400: "Missing or unknown parameter", 403: "User not accessible"},
    )
    @ns.expect(users_parser)
    def get(self) -> Answer | dict[str, Any]:
        """Get a user by uuid or id."""
        args = strict_args(users_parser)
        # As upstream: 0 and "" count as absent; an unknown user is refused as an inaccessible one.
        if args["user_uuid"]:
            user = TeraUser.get_user_by_uuid(args["user_uuid"])
        elif args["id_user"]:
            user = TeraUser.get_user_by_id(args["id_user"])
        else:
            raise ClientError("Missing arguments")
        if user is None or user.id_user not in service_access().users_ids:
            raise ClientError("Service doesn't have permission to access the requested data", 403)
        return user.to_json()


class ServiceQuerySiteProjectAccessRoles(ServiceResource):
    @ns.doc(
        description="Role (admin, user or null) of a user in a project or a site.",
        responses={
            200: "Success (null role when the user, project or site is not accessible)",
            400: "Missing or unknown parameter",
        },
    )
    @ns.expect(access_parser)
    def get(self) -> Answer | dict[str, Any]:
        """Get a user's role in a project or site."""
        args = strict_args(access_parser)
        # As upstream: the role is null when the user, the project or the site is unknown or not accessible
        # to the caller (so an unknown user is 200 with null); a project is looked at first, then a site.
        if args["id_project"]:
            return {"project_role": service_access().project_role(args["uuid_user"], args["id_project"])}
        if args["id_site"]:
            return {"site_role": service_access().site_role(args["uuid_user"], args["id_site"])}
        raise ClientError("Missing arguments")
