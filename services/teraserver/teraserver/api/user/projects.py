"""/api/user/projects: GET accessible projects (with `project_role`), POST create/update, DELETE.

Creating a project in a site needs site admin there (the package's TeraProject.insert adds its admin/user
roles); updating needs project admin; deleting needs site admin.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import g
from flask_restx import inputs, reqparse
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraUser import TeraUser

from teraserver import context, queries
from teraserver.api.common import ClientError, database_write, forbidden, json_object, require_int
from teraserver.api.query_args import QueryParser
from teraserver.api.resources import UserResource
from teraserver.api.rows import save_row
from teraserver.api.user.namespace import ns
from teraserver.database import reads_without_transaction
from teraserver.user_access import UserAccess

get_parser = QueryParser()
get_parser.add_argument("id_project", type=int, location="args", help="ID of the project to query")
get_parser.add_argument("id", type=int, location="args", help='Alias for "id_project"')
get_parser.add_argument("id_site", type=int, location="args", help="Projects of that site")
get_parser.add_argument("id_service", type=int, location="args", help="Projects linked to that service")
get_parser.add_argument("user_uuid", type=str, location="args", help="Projects of that user, with that user's role")
get_parser.add_argument("name", type=str, location="args", help="Project with that name")
get_parser.add_argument("list", type=inputs.boolean, location="args", help="Minimal information")
get_parser.add_argument("enabled", type=inputs.boolean, location="args", help="Only (not) enabled projects")

delete_parser = reqparse.RequestParser()
delete_parser.add_argument("id", type=int, location="args", required=True, help="Project ID to delete")


def list_counts(access: UserAccess, project_ids: list[int]) -> tuple[Counter[int], Counter[int]]:
    """Per project: its participant groups, and the participants the user may see. Read once for the whole list
    (two reads per project made the list's cost grow with the number of projects); in one statement with
    TERASERVER_FAST_PATHS (the listed projects are among the user's, so the participants the user sees of each are
    all its live participants)."""
    if context.fast_paths():
        counts = queries.project_list_counts(project_ids)
        return (
            Counter({id_project: groups for id_project, (groups, _) in counts.items()}),
            Counter({id_project: participants for id_project, (_, participants) in counts.items()}),
        )
    groups = TeraParticipantGroup.query.with_entities(TeraParticipantGroup.id_project)
    groups = groups.filter(TeraParticipantGroup.id_project.in_(project_ids))
    return (
        Counter(group.id_project for group in groups),
        Counter(access.accessible_participants_projects()),
    )


def projects_answer(user: TeraUser, args: dict[str, Any]) -> list[dict[str, Any]]:
    """The GET's answer to `user` for the parsed `args` (also api/direct.py's)."""
    access = UserAccess(user)
    role_of = access
    mine = access.accessible_projects()
    id_project = args["id_project"] or args["id"]
    if id_project:
        projects = [p for p in mine if p.id_project == id_project]
    elif args["user_uuid"]:
        # Upstream answers any user's projects; we keep to visible users and our own projects (README).
        other = TeraUser.get_user_by_uuid(args["user_uuid"])
        if other is None or other.id_user not in access.accessible_users_ids():
            return []
        role_of = UserAccess(other)
        projects = [p for p in mine if role_of.project_role(p.id_project) is not None]
    elif args["id_service"]:
        if args["id_service"] not in access.accessible_services_ids():
            return []
        linked = {
            link.id_project
            for link in TeraServiceProject.query.filter(TeraServiceProject.id_service == args["id_service"]).all()
        }
        projects = [p for p in mine if p.id_project in linked]
        if args["id_site"]:
            projects = [p for p in projects if p.id_site == args["id_site"]]
        projects.sort(key=lambda p: p.project_name or "")
    elif args["id_site"]:
        projects = [p for p in mine if p.id_site == args["id_site"]]
    elif args["name"]:
        projects = [p for p in mine if p.project_name == args["name"]][:1]
    else:
        projects = mine
    if args["enabled"] is not None:
        projects = [p for p in projects if p.project_enabled == args["enabled"]]
    if args["list"] and projects:
        groups_count, participants_count = list_counts(access, [project.id_project for project in projects])
    result = []
    for project in projects:
        if args["list"]:
            data = project.to_json(minimal=True)
            data["project_participant_group_count"] = groups_count[project.id_project]
            data["project_participant_count"] = participants_count[project.id_project]
        else:
            data = project.to_json()
            data["project_role"] = role_of.project_role(project.id_project)
        result.append(data)
    return result


class UserQueryProjects(UserResource):
    @ns.doc(description="Accessible projects with the role in each (project_role)")
    @ns.expect(get_parser)
    @reads_without_transaction
    def get(self) -> Any:
        """Get projects."""
        return projects_answer(g.current_user, get_parser.parse_args(strict=True))

    @ns.doc(description='Create (id_project 0, needs site admin) or update (needs project admin): {"project": {...}}')
    def post(self) -> Any:
        """Create / update a project."""
        access = UserAccess(g.current_user)
        data = json_object("project")
        if not isinstance(data, dict):
            raise ClientError("Invalid project: expected an object")
        data = dict(data)
        id_project = require_int(data, "id_project")
        if id_project == 0:
            id_site = require_int(data, "id_site")
            if access.site_role(id_site) != "admin":
                raise forbidden()
            if not data.get("project_name"):
                raise ClientError("Missing project_name")
        else:
            project = TeraProject.get_project_by_id(id_project)
            if project is None or access.project_role(id_project) != "admin":
                raise forbidden()
            if "id_site" in data and data["id_site"] != project.id_site:
                raise ClientError("A project cannot move to another site")
        project = save_row(TeraProject, data, "id_project", "project")
        return [project.to_json()]

    @ns.doc(description="Delete a project (site admin of its site)")
    @ns.expect(delete_parser)
    def delete(self) -> Any:
        """Delete a project."""
        args = delete_parser.parse_args(strict=True)
        project = TeraProject.get_project_by_id(args["id"])
        if project is None:
            raise ClientError("Invalid project")
        if UserAccess(g.current_user).site_role(project.id_site) != "admin":
            raise forbidden()
        with database_write("project deletion"):
            TeraProject.delete(id_todel=args["id"])
        return "", 200
