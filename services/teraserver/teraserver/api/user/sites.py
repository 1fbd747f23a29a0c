"""GET /api/user/sites: accessible sites, each with `site_role` (of the caller, or of `user_uuid`)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import Resource, inputs, reqparse
from opentera.db.models.TeraUser import TeraUser

from teraserver import auth
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_site", type=int, location="args", help="ID of the site to query")
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_site"')
get_parser.add_argument("user_uuid", type=str, location="args", help="Sites of that user, with that user's role")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")


@ns.route("/sites")
class UserQuerySites(Resource):
    @ns.doc(description="Accessible sites with the role in each (site_role)")
    @ns.expect(get_parser)
    @auth.user_multi_required
    def get(self) -> Any:
        """Get sites."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        id_site = args["id_site"] or args["id"]
        role_of = access
        if args["user_uuid"]:
            other = TeraUser.get_user_by_uuid(args["user_uuid"])
            if other is None or other.id_user not in access.accessible_users_ids():
                return []
            role_of = UserAccess(other)
        sites = [site for site in access.accessible_sites() if role_of.site_role(site.id_site) is not None]
        if id_site:
            sites = [site for site in sites if site.id_site == id_site]
        result = []
        for site in sites:
            data = site.to_json(minimal=bool(args["list"]))
            data["site_role"] = role_of.site_role(site.id_site)
            result.append(data)
        return result
