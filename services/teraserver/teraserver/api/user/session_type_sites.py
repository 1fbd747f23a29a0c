"""/api/user/sessiontypes/sites: which sites offer a session type.

Reading follows accessible session types and sites; writing needs site admin of every site touched, and the
{"session_type": ...} form admin access to the session type (links to sites one does not administer stay).
Linking a service-category type to a site also links its service to the site (the model does it).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeSite import TeraSessionTypeSite
from opentera.db.models.TeraSite import TeraSite

from teraserver.api.common import ClientError, forbidden
from teraserver.api.links import require_some_argument, with_names
from teraserver.api.resources import UserResource
from teraserver.api.user.namespace import ns
from teraserver.api.user.session_type_links import TypeLink
from teraserver.user_access import UserAccess

LINK = TypeLink(TeraSessionTypeSite, "site", TeraSite)

get_parser = reqparse.RequestParser()
get_parser.add_argument("id_session_type", type=int, location="args", help="Sites of that session type")
get_parser.add_argument("id_site", type=int, location="args", help="Session types of that site")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")
get_parser.add_argument(
    "with_session_type", type=inputs.boolean, location="args", help="With id_site: also session types not linked"
)
get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="With id_session_type: also sites")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the link itself")


def links_for(access: UserAccess, args: dict[str, Any]) -> list[Any]:
    if args["id_session_type"]:
        id_type = args["id_session_type"]
        if id_type not in access.accessible_session_types_ids():
            return []
        links = access.session_type_sites_of_type(id_type)
        if args["with_sites"]:
            links = LINK.with_unlinked_others(links, access.accessible_sites_ids())
        return LINK.by_other_name(links)
    if args["id_site"]:
        links = access.session_type_sites_of_site(args["id_site"])
        if args["with_session_type"] and args["id_site"] in access.accessible_sites_ids():
            links = LINK.with_unlinked_types(links, site_candidates(access))
        return LINK.by_type_name(links)
    return []


def site_candidates(access: UserAccess) -> list[int]:
    """As upstream, the session types a site could be linked to: every type for a superadmin, else the types
    already offered in one of the user's sites."""
    if access.superadmin:
        return [row.id_session_type for row in TeraSessionType.query.order_by(TeraSessionType.id_session_type).all()]
    sites = access.accessible_sites_ids()
    links = TeraSessionTypeSite.query.filter(TeraSessionTypeSite.id_site.in_(sites)).all()
    return sorted({link.id_session_type for link in links})


class UserQuerySessionTypeSites(UserResource):
    @ns.doc(
        description="Session type - site links of a session type (id_session_type) or a site (id_site).",
        responses={200: "Success - a list", 400: "No id or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(get_parser)
    def get(self) -> Any:
        """Get session type - site links."""
        args = get_parser.parse_args(strict=True)
        require_some_argument(args)
        links = links_for(UserAccess(g.current_user), args)
        return [LINK.link_json(link, minimal=not with_names(args)) for link in links]

    @ns.doc(
        description='Link session types and sites: {"session_type": {id_session_type, sites: [{id_site}]}}, '
        '{"site": {id_site, sessiontypes: [{id_session_type}]}} (both replace) or {"session_type_site": obj|list}.',
        responses={200: "Success - the links", 400: "Bad body", 403: "Not site admin"},
    )
    def post(self) -> Any:
        """Create / replace session type - site links."""
        access = UserAccess(g.current_user)
        admin_sites = set(access.admin_sites_ids())
        form, target, to_add, to_delete = LINK.requested()
        if form == "session_type":
            if target not in access.accessible_session_types_ids(admin_only=True):
                raise forbidden("Access denied")
            to_delete = [(t, site) for t, site in to_delete if site in admin_sites]
        elif form == "site" and target not in admin_sites:
            raise forbidden("Access denied")
        LINK.check_rows_exist(to_add)
        if any(link["id_site"] not in admin_sites for link in to_add):
            raise forbidden()
        return LINK.apply(to_add, to_delete)

    @ns.doc(
        description="Delete a session type - site link by its own id (site admin); the type's project links in "
        "that site go with it.",
        responses={200: "Success", 400: "Not found or still used", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a session type - site link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraSessionTypeSite.get_session_type_site_by_id(args["id"])
        if link is None:
            raise ClientError("Bad parameter")
        if link.id_site not in UserAccess(g.current_user).admin_sites_ids():
            raise forbidden()
        LINK.delete_by_id(link)
        return "", 200
