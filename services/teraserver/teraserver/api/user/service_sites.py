"""/api/user/services/sites: service <-> site links. Writes are for superadmins only."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraSite import TeraSite

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.links import LinkForms
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.api.user.service_links import check_exists, requested_links, roles_json
from teraserver.user_access import UserAccess

KIND = LinkForms("service", "services", "site", TeraServiceSite)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_site", type=int, location="args", help="Site ID to query associated services")
get_parser.add_argument("id_service", type=int, location="args", help="Service ID to query associated sites")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="With id_service: also unlinked sites")
get_parser.add_argument(
    "with_services", type=inputs.boolean, location="args", help="With id_site: also unlinked services"
)
get_parser.add_argument("with_roles", type=inputs.boolean, location="args", help="Also the roles of each service")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Service-site link ID to delete")


def link_json(id_link: int | None, service: TeraService, site: TeraSite, *, minimal: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"id_service_site": id_link, "id_service": service.id_service, "id_site": site.id_site}
    if not minimal:
        data.update(
            service_name=service.service_name,
            service_key=service.service_key,
            service_system=service.service_system,
            site_name=site.site_name,
        )
    return data


class UserQueryServiceSites(UserResource):
    @ns.doc(description="Service - site links of a site (id_site) or a service (id_service); one id at once.")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get service - site links."""
        args = get_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        minimal = bool(args["list"])
        result: list[dict[str, Any]] = []
        if args["id_site"]:
            if args["id_site"] in access.accessible_sites_ids():
                site = TeraSite.get_site_by_id(args["id_site"])
                linked = {link.id_service: link for link in TeraServiceSite.get_services_for_site(site.id_site)}
                services = [s for s in access.accessible_services() if s.id_service in linked]
                if args["with_services"]:
                    services = access.accessible_services()
                for service in services:
                    link = linked.get(service.id_service)
                    result.append(link_json(link and link.id_service_site, service, site, minimal=minimal))
        elif args["id_service"]:
            if args["id_service"] in access.accessible_services_ids():
                service = TeraService.get_service_by_id(args["id_service"])
                linked = {link.id_site: link for link in TeraServiceSite.get_sites_for_service(service.id_service)}
                sites = access.accessible_sites()
                if not args["with_sites"]:
                    sites = [site for site in sites if site.id_site in linked]
                for site in sites:
                    link = linked.get(site.id_site)
                    result.append(link_json(link and link.id_service_site, service, site, minimal=minimal))
        else:
            raise ClientError("Missing arguments")
        if args["with_roles"]:
            for item in result:
                item["service_roles"] = roles_json(item["id_service"])
        return result

    @ns.doc(description="Create / replace service - site links (superadmin only).")
    def post(self) -> Any:
        """Create / update service - site links."""
        if not g.current_user.user_superadmin:
            raise forbidden()
        to_add, to_delete, _ = requested_links(KIND)
        for link in to_add:
            check_exists(link["id_service"], TeraSite, "id_site", link["id_site"])
        with database_write("service - site link"):
            for id_service, id_site in to_delete:
                TeraServiceSite.delete_with_ids(service_id=id_service, site_id=id_site)
            for link in to_add:
                existing = TeraServiceSite.get_service_site_for_service_site(link["id_site"], link["id_service"])
                if existing is None:
                    new_link = TeraServiceSite()
                    new_link.id_service = link["id_service"]
                    new_link.id_site = link["id_site"]
                    # Soft-insert models may answer with an earlier (soft-deleted) row brought back instead.
                    existing = TeraServiceSite.insert(new_link) or new_link
                link["id_service_site"] = existing.id_service_site
        return to_add

    @ns.doc(description="Delete a service - site link by its own id (superadmin only).")
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a service - site link."""
        args = delete_parser.parse_args(strict=True)
        if not g.current_user.user_superadmin:
            raise forbidden()
        if TeraServiceSite.get_service_site_by_id(args["id"]) is None:
            raise ClientError("Not found")
        with database_write("service - site link deletion"):
            TeraServiceSite.delete(id_todel=args["id"])
        return "", 200
