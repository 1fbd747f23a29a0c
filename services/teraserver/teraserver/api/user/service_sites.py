"""/api/user/services/sites: service <-> site links. Writes are for superadmins only."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceSite import TeraServiceSite
from opentera.db.models.TeraSite import TeraSite

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.links import LinkForms, require_some_argument, with_names
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.api.user.service_links import (
    Listed,
    check_exists,
    requested_links,
    roles_json,
    service_fields,
    with_candidates,
)
from teraserver.queries import all_live_services
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


def links_of_site(access: UserAccess, id_site: int, with_services: bool) -> list[Listed]:
    """The site's links to accessible services, OpenTeraServer's left out. With `with_services`, as upstream, also
    each service not linked yet that could be: any service for a superadmin, else any service linked to one of
    the user's sites (accessible or not), OpenTeraServer never."""
    if id_site not in access.accessible_sites_ids():
        return []
    server = TeraService.get_openteraserver_service().id_service
    services = access.accessible_services_ids() - {server}
    links = [
        Listed(link.id_service_site, link.id_service, link.id_site)
        for link in TeraServiceSite.get_services_for_site(id_site)
        if link.id_service in services
    ]
    if with_services:
        if access.superadmin:
            candidates = [service.id_service for service in all_live_services()]
        else:
            sites = access.accessible_sites_ids()
            site_links = TeraServiceSite.query.filter(TeraServiceSite.id_site.in_(sites)).all()
            candidates = sorted({link.id_service for link in site_links})
        candidates = [id_service for id_service in candidates if id_service != server]
        links = with_candidates(links, candidates, candidate_is_service=True)
    return links


def links_of_service(access: UserAccess, id_service: int, with_sites: bool) -> list[Listed]:
    """The service's links to accessible sites; with `with_sites` also each accessible site not linked."""
    if id_service not in access.accessible_services_ids():
        return []
    sites = access.accessible_sites_ids()
    links = [
        Listed(link.id_service_site, link.id_service, link.id_site)
        for link in TeraServiceSite.get_sites_for_service(id_service)
        if link.id_site in sites
    ]
    if with_sites:
        links = with_candidates(links, sites, candidate_is_service=False)
    return links


def listed_json(listed: Listed, args: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id_service_site": listed.id_link,
        "id_service": listed.id_service,
        "id_site": listed.id_target,
    }
    if with_names(args):
        site = TeraSite.get_site_by_id(listed.id_target) if listed.id_target is not None else None
        data.update(service_fields(listed.id_service), site_name=site.site_name if site else None)
    if args["with_roles"]:
        data["service_roles"] = roles_json(listed.id_service)
    return data


class UserQueryServiceSites(UserResource):
    @ns.doc(description="Service - site links of a site (id_site) or a service (id_service); one id at once.")
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get service - site links."""
        args = get_parser.parse_args(strict=True)
        require_some_argument(args)
        access = UserAccess(g.current_user)
        if args["id_site"]:
            listed = links_of_site(access, args["id_site"], bool(args["with_services"]))
            listed.sort(key=lambda item: service_fields(item.id_service)["service_name"] or "")
        elif args["id_service"]:
            listed = links_of_service(access, args["id_service"], bool(args["with_sites"]))
            listed.sort(key=lambda item: TeraSite.get_site_by_id(item.id_target).site_name)
        else:
            listed = []
        return [listed_json(item, args) for item in listed]

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
