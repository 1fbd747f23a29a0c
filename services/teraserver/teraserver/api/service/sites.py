"""GET /api/service/sites: sites linked to the calling service (optionally one, or those of a user)."""

from __future__ import annotations

from typing import Any

from flask_restx import reqparse
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import Answer, ClientError, strict_args, to_json_list
from teraserver.api.resources import ServiceResource
from teraserver.api.service.namespace import ns
from teraserver.service_access import service_access

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_site", type=int, location="args", help="ID of the site to query")
get_parser.add_argument("id_user", type=int, location="args", help="Sites where that user has a role")


def sites_of_user(id_user: int) -> list[TeraSite]:
    """Accessible sites where an accessible user has a role (all accessible ones for a superadmin)."""
    access = service_access()
    if id_user not in access.users_ids:
        return []
    user = TeraUser.get_user_by_id(id_user)
    sites = access.sites() if user.user_superadmin else list(user.get_sites_roles())
    return [site for site in sites if site.id_site in access.sites_ids]


class ServiceQuerySites(ServiceResource):
    @ns.doc(description="Return accessible sites (minimal).", responses={200: "Success", 403: "Forbidden"})
    @ns.expect(get_parser)
    def get(self) -> Answer | list[dict[str, Any]]:
        """Get sites."""
        args = strict_args(get_parser)
        access = service_access()
        if args["id_site"] is not None:
            if args["id_site"] not in access.sites_ids:
                raise ClientError("Forbidden", 403)
            sites = [TeraSite.get_site_by_id(args["id_site"])]
        elif args["id_user"] is not None:
            sites = sites_of_user(args["id_user"])
        else:
            sites = access.sites()
        return to_json_list(sites, minimal=True)
