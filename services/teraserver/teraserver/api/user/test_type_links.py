"""/api/user/testtypes/projects and /api/user/testtypes/sites: which projects and sites offer a test type.

Upstream's rules (UserQueryTestTypeProjects / UserQueryTestTypeSites), in our words:

* GET needs one of the parameters set (400 "Missing arguments" when none has a true value). /projects:
  id_project (an accessible project: its links to accessible types; with_tests_types adds unsaved links for
  the other types of the project's site) else id_test_type (an accessible type: its links to accessible
  projects; with_projects adds the other accessible projects). /sites: id_test_type first (an accessible type:
  its links to accessible sites; with_sites adds the other accessible sites) else id_site (an accessible site:
  its links to types of accessible services; with_tests_types adds the other types). Anything not accessible
  gives []. Unless `list` is given (even false), each link carries test_type_name and project_name / site_name
  (and, for /projects with with_sites, the project's id_site and site_name).
* POST, three forms. {"test_type": {id_test_type, projects|sites: [...]}} replaces the type's links: /projects
  needs an accessible type and admin of every project it is linked to now (403 "Access denied to at least one
  project"); /sites needs a type accessible through an administered site and removes only links to sites the
  user administers. {"project"|"site": {id_project|id_site, testtypes: [...]}} replaces a project's or site's
  links (admin of it, 403 "Access denied"). {"test_type_project"|"test_type_site": obj|list} adds links. Every
  added link needs admin of its project or site (403 "Forbidden"), and a project link needs the type offered in
  the project's site (403). Answers the added links with their ids (an existing link keeps its id).
  We check every link before the first write (upstream removes links first, then may refuse).
* DELETE ?id= (the link's own id): /projects needs admin of the project and an accessible type (403 "Access
  denied"); /sites needs admin of the site (403 "Forbidden"). A link still used by tests is refused (400;
  upstream answers 500).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraSite import TeraSite
from opentera.db.models.TeraTestType import TeraTestType
from opentera.db.models.TeraTestTypeProject import TeraTestTypeProject
from opentera.db.models.TeraTestTypeSite import TeraTestTypeSite

from teraserver.api.common import ClientError, database_write, forbidden
from teraserver.api.links import LinkForms
from teraserver.api.resources import UserResource
from teraserver.api.user.access_extras import accessible_test_types_ids
from teraserver.api.user.namespace import ns
from teraserver.api.user.test_types import project_links_of_project, site_links_of_site
from teraserver.user_access import ADMIN, UserAccess

PROJECT_UNLINK_REFUSED = (
    "Can't delete test type from project: please delete all tests of that type in the project before deleting."
)
SITE_UNLINK_REFUSED = (
    "Can't delete test type from site: please delete all tests of that type in the site before deleting."
)

projects_get_parser = reqparse.RequestParser()
projects_get_parser.add_argument("id_project", type=int, location="args", help="Test types of that project")
projects_get_parser.add_argument("id_test_type", type=int, location="args", help="Projects of that test type")
projects_get_parser.add_argument(
    "with_projects", type=inputs.boolean, location="args", help="With id_test_type: also projects not linked"
)
projects_get_parser.add_argument(
    "with_tests_types", type=inputs.boolean, location="args", help="With id_project: also types not linked"
)
projects_get_parser.add_argument("with_sites", type=inputs.boolean, location="args", help="Also each project's site")
projects_get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")

sites_get_parser = reqparse.RequestParser()
sites_get_parser.add_argument("id_test_type", type=int, location="args", help="Sites of that test type")
sites_get_parser.add_argument("id_site", type=int, location="args", help="Test types of that site")
sites_get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information (ids only)")
sites_get_parser.add_argument(
    "with_tests_types", type=inputs.boolean, location="args", help="With id_site: also types not linked"
)
sites_get_parser.add_argument(
    "with_sites", type=inputs.boolean, location="args", help="With id_test_type: also sites not linked"
)

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="ID of the link itself")


def _name(model: Any, row_id: int | None, field: str) -> Any:
    if not row_id:
        return None
    row = model.query.filter(getattr(model, model.get_primary_key_name()) == row_id).first()
    return getattr(row, field) if row is not None else None


def _forms(target: str, model: Any, messages: dict[str, str]) -> LinkForms:
    """Upstream's reading of the three forms: the keys of a replacing form first, then its list's shape, then
    its id."""
    return LinkForms("test_type", "testtypes", target, model, messages=messages, keys_first=True, list_shape_first=True)


PROJECT_FORMS = _forms(
    "project",
    TeraTestTypeProject,
    {
        "no_form": "Unknown format",
        "no_target_id": "Missing project ID",
        "no_owners": "Missing test types",
        "no_link_ids": "Badly formatted request",
    },
)
SITE_FORMS = _forms(
    "site",
    TeraTestTypeSite,
    {
        "no_form": "",
        "no_target_id": "Missing site ID",
        "no_owners": "Missing test types",
        "no_link_ids": "Badly formatted request",
    },
)


def _added(model: Any, link_id: str, other_id: str, links: list[dict[str, Any]], finder: Any) -> list[dict[str, Any]]:
    """Insert each link not there yet; answers the links with their ids (upstream's answer)."""
    for item in links:
        if link_id not in item:
            existing = finder(item[other_id], item["id_test_type"])
            item[link_id] = getattr(existing, link_id) if existing is not None else 0
        if not isinstance(item[link_id], int) or isinstance(item[link_id], bool):
            raise ClientError(f"Invalid {link_id}: {item[link_id]!r} is not an integer")
    for item in links:
        if item[link_id] > 0:
            continue
        with database_write("test type link", message="Cannot save the link: invalid test type or project/site"):
            new_link = model()
            new_link.from_json(item)
            new_link = model.insert(new_link) or new_link
        item[link_id] = getattr(new_link, link_id)
    return links


class UserQueryTestTypeProjects(UserResource):
    @ns.doc(
        description="Test type - project links of a project (id_project) or of a test type (id_test_type).",
        responses={200: "Success - a list", 400: "No argument or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(projects_get_parser)
    def get(self) -> Any:
        """Get test type - project links."""
        args = projects_get_parser.parse_args(strict=True)
        if not any(args.values()):
            raise ClientError("Missing arguments")
        access = UserAccess(g.current_user)
        links: list[Any] = []
        if args["id_project"]:
            if args["id_project"] in access.accessible_projects_ids():
                links = project_links_of_project(access, args["id_project"], bool(args["with_tests_types"]))
        elif args["id_test_type"]:
            if args["id_test_type"] in accessible_test_types_ids(access):
                links = self.projects_of_type(access, args["id_test_type"], bool(args["with_projects"]))
        result = []
        for link in links:
            item = link.to_json()
            if args["list"] is None:
                item["test_type_name"] = _name(TeraTestType, link.id_test_type, "test_type_name")
                item["project_name"] = _name(TeraProject, link.id_project, "project_name")
                if args["with_sites"] and link.id_project:
                    project = TeraProject.get_project_by_id(link.id_project)
                    item["id_site"] = project.id_site
                    item["site_name"] = project.project_site.site_name
            result.append(item)
        return result

    @staticmethod
    def projects_of_type(access: UserAccess, id_test_type: int, with_unlinked: bool) -> list[TeraTestTypeProject]:
        projects = access.accessible_projects_ids()
        links = (
            TeraTestTypeProject.query.filter(TeraTestTypeProject.id_test_type == id_test_type)
            .filter(TeraTestTypeProject.id_project.in_(projects))
            .all()
        )
        if with_unlinked:
            for id_project in sorted(set(projects) - {link.id_project for link in links}):
                link = TeraTestTypeProject()
                link.id_project = id_project
                link.id_test_type = None
                links.append(link)
        return sorted(links, key=lambda link: _name(TeraProject, link.id_project, "project_name") or "")

    @ns.doc(
        description='Link test types and projects: {"test_type": {id_test_type, projects: [{id_project}]}}, '
        '{"project": {id_project, testtypes: [{id_test_type}]}} (both replace) or {"test_type_project": obj|list}.',
        responses={200: "Success - the links added", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / replace test type - project links."""
        access = UserAccess(g.current_user)
        admin_projects = set(access.accessible_projects_ids(admin_only=True))

        def check(item: dict[str, Any]) -> None:
            if item["id_project"] not in admin_projects:
                raise forbidden()
            project = TeraProject.get_project_by_id(item["id_project"])
            offered = TeraTestTypeSite.get_test_type_site_for_test_type_and_site(
                site_id=project.id_site, test_type_id=item["id_test_type"]
            )
            if offered is None:
                raise forbidden("At least one test type is not associated to the site of its project")

        asked = PROJECT_FORMS.parse(check=check)  # the add form's links are checked one by one as read
        to_delete = asked.stale
        links = asked.missing
        if asked.form == "test_type":
            if asked.replaced not in accessible_test_types_ids(access):
                raise forbidden("Access denied")
            if {id_project for _, id_project in asked.current} - admin_projects:
                raise forbidden("Access denied to at least one project")
        elif asked.form == "project":
            if access.project_role(asked.replaced) != ADMIN:
                raise forbidden("Access denied")
        else:
            links = asked.wanted
        if asked.replaced is not None:
            for item in links:
                check(item)

        with database_write("test type link", message=PROJECT_UNLINK_REFUSED):
            for id_type, id_project in to_delete:
                TeraTestTypeProject.delete_with_ids(test_type_id=id_type, project_id=id_project, autocommit=False)
            TeraTestTypeProject.commit()
        return _added(
            TeraTestTypeProject,
            "id_test_type_project",
            "id_project",
            links,
            lambda id_project, id_type: TeraTestTypeProject.get_test_type_project_for_test_type_project(
                project_id=id_project, test_type_id=id_type
            ),
        )

    @ns.doc(
        description="Delete a test type - project link by its own id (admin of the project).",
        responses={200: "Success", 400: "Not found or still used by tests", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a test type - project link."""
        args = delete_parser.parse_args(strict=True)
        access = UserAccess(g.current_user)
        link = TeraTestTypeProject.get_test_type_project_by_id(args["id"])
        if link is None:
            raise ClientError("Not found")
        if link.id_project not in access.accessible_projects_ids(
            admin_only=True
        ) or link.id_test_type not in accessible_test_types_ids(access):
            raise forbidden("Access denied")
        with database_write("test type link", message=PROJECT_UNLINK_REFUSED):
            TeraTestTypeProject.delete(id_todel=args["id"])
        return "", 200


class UserQueryTestTypeSites(UserResource):
    @ns.doc(
        description="Test type - site links of a test type (id_test_type) or of a site (id_site).",
        responses={200: "Success - a list", 400: "No argument or unknown parameter", 401: "Unauthorized"},
    )
    @ns.expect(sites_get_parser)
    def get(self) -> Any:
        """Get test type - site links."""
        args = sites_get_parser.parse_args(strict=True)
        if not any(args.values()):
            raise ClientError("Missing arguments")
        access = UserAccess(g.current_user)
        links: list[Any] = []
        if args["id_test_type"]:
            if args["id_test_type"] in accessible_test_types_ids(access):
                links = self.sites_of_type(access, args["id_test_type"], bool(args["with_sites"]))
        elif args["id_site"]:
            if args["id_site"] in access.accessible_sites_ids():
                links = site_links_of_site(access, args["id_site"], bool(args["with_tests_types"]))
        result = []
        for link in links:
            item = link.to_json()
            if args["list"] is None:
                item["test_type_name"] = _name(TeraTestType, link.id_test_type, "test_type_name")
                item["site_name"] = _name(TeraSite, link.id_site, "site_name")
            result.append(item)
        return result

    @staticmethod
    def sites_of_type(access: UserAccess, id_test_type: int, with_unlinked: bool) -> list[TeraTestTypeSite]:
        sites = access.accessible_sites_ids()
        services = list(access.accessible_services_ids())
        links = (
            TeraTestTypeSite.query.filter(TeraTestTypeSite.id_site.in_(sites))
            .filter(TeraTestTypeSite.id_test_type == id_test_type)
            .join(TeraTestType, TeraTestType.id_test_type == TeraTestTypeSite.id_test_type)
            .filter(TeraTestType.id_service.in_(services))
            .all()
        )
        if with_unlinked:
            for id_site in sorted(set(sites) - {link.id_site for link in links}):
                link = TeraTestTypeSite()
                link.id_site = id_site
                link.id_test_type = None
                links.append(link)
        return sorted(links, key=lambda link: _name(TeraSite, link.id_site, "site_name") or "")

    @ns.doc(
        description='Link test types and sites: {"test_type": {id_test_type, sites: [{id_site}]}}, '
        '{"site": {id_site, testtypes: [{id_test_type}]}} (both replace) or {"test_type_site": obj|list}.',
        responses={200: "Success - the links added", 400: "Bad body", 403: "Forbidden"},
    )
    def post(self) -> Any:
        """Create / replace test type - site links."""
        access = UserAccess(g.current_user)
        admin_sites = set(access.admin_sites_ids())

        def check(item: dict[str, Any]) -> None:
            if item["id_site"] not in admin_sites:
                raise forbidden()
            if TeraTestType.get_test_type_by_id(item["id_test_type"]) is None:
                raise ClientError(f"Invalid id_test_type: {item['id_test_type']}")

        asked = SITE_FORMS.parse(check=check)  # the add form's links are checked one by one as read
        to_delete = asked.stale
        links = asked.missing
        if asked.form == "test_type":
            if asked.replaced not in accessible_test_types_ids(access, admin_only=True):
                raise forbidden("Access denied")
            to_delete = [(id_type, id_site) for id_type, id_site in asked.stale if id_site in admin_sites]
        elif asked.form == "site":
            if access.site_role(asked.replaced) != ADMIN:
                raise forbidden("Access denied")
        else:
            links = asked.wanted
        if asked.replaced is not None:
            for item in links:
                check(item)

        with database_write("test type link", message=SITE_UNLINK_REFUSED):
            for id_type, id_site in to_delete:
                TeraTestTypeSite.delete_with_ids(test_type_id=id_type, site_id=id_site, autocommit=False)
            TeraTestTypeSite.commit()
        return _added(
            TeraTestTypeSite,
            "id_test_type_site",
            "id_site",
            links,
            lambda id_site, id_type: TeraTestTypeSite.get_test_type_site_for_test_type_and_site(
                site_id=id_site, test_type_id=id_type
            ),
        )

    @ns.doc(
        description="Delete a test type - site link by its own id (admin of the site).",
        responses={200: "Success", 400: "Not found or still used by tests", 403: "Forbidden"},
    )
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a test type - site link."""
        args = delete_parser.parse_args(strict=True)
        link = TeraTestTypeSite.get_test_type_site_by_id(args["id"])
        if link is None:
            raise ClientError("Bad parameter")
        if link.id_site not in UserAccess(g.current_user).admin_sites_ids():
            raise forbidden()
        with database_write("test type link", message=SITE_UNLINK_REFUSED):
            TeraTestTypeSite.delete(id_todel=args["id"])
        return "", 200
