"""/api/user/sites: GET accessible sites, each with `site_role` (of the caller, or of `user_uuid`); POST create
(superadmin) or update (admin of the site), answered as a one-row list; DELETE (superadmin), as upstream."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.resources import UserResource
from teraserver.api.rows import save_row
from teraserver.api.user.namespace import ns
from teraserver.user_access import UserAccess

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_site", type=int, location="args", help="ID of the site to query")
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_site"')
get_parser.add_argument("id_device", type=int, location="args", help="Sites the device is attached to")
get_parser.add_argument("name", type=str, location="args", help="Site with that name")
get_parser.add_argument("user_uuid", type=str, location="args", help="Sites of that user, with that user's role")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")


delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Site ID to delete")


class UserQuerySites(UserResource):
    @ns.doc(description="Accessible sites with the role in each (site_role)")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get sites."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        id_site = args["id_site"] or args["id"]
        role_of = access
        mine = access.accessible_sites()
        if args["user_uuid"]:
            # Upstream answers any user's sites (those we share); we keep to visible users (README, deviations).
            other = TeraUser.get_user_by_uuid(args["user_uuid"])
            if other is None or other.id_user not in access.accessible_users_ids():
                return []
            role_of = UserAccess(other)
            sites = [site for site in mine if role_of.site_role(site.id_site) is not None]
        elif id_site:
            sites = [site for site in mine if site.id_site == id_site]
        elif args["id_device"]:
            device = TeraDevice.get_device_by_id(args["id_device"])
            sites = access.device_sites(device) if device is not None else []
        elif args["name"]:
            sites = [site for site in mine if site.site_name == args["name"]][:1]
        else:
            sites = mine
        result = []
        for site in sites:
            data = site.to_json(minimal=bool(args["list"]))
            data["site_role"] = role_of.site_role(site.id_site)
            if args["id_device"]:
                data["id_device"] = args["id_device"]
            result.append(data)
        return result

    @ns.doc(
        description='Create (superadmin, {"site": {"id_site": 0, ...}}) or update (site admin) a site',
        responses={200: "The site, in a list", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / update a site."""
        access = UserAccess(g.current_user)
        data = json_object("site")
        if not isinstance(data, dict):
            raise ClientError("Invalid site: expected an object")
        if "id_site" not in data:
            raise ClientError("Missing id_site field")
        id_site = require_int(dict(data), "id_site")
        if id_site > 0 and id_site not in access.admin_sites_ids():
            raise forbidden()
        if id_site == 0 and not access.superadmin:
            raise forbidden()
        site = save_row(TeraSite, dict(data), "id_site", "site")
        return [site.to_json()]

    @ns.doc(
        description="Delete a site (superadmin only)",
        responses={200: "Deleted", 400: "Unknown site, or participants with sessions still in it", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a site."""
        args = delete_parser.parse_args(strict=True)
        if not g.current_user.user_superadmin:
            raise forbidden()
        if TeraSite.get_site_by_id(args["id"]) is None:
            raise ClientError("Invalid id")
        in_use = "Can't delete site: please delete all participants with sessions before deleting."
        with database_write("site", in_use=in_use):
            TeraSite.delete(id_todel=args["id"])
        return "", 200
