"""Shared logic of /sessiontypes/projects and /testtypes/projects: which projects use a session or test type.

Both resources have the same shape upstream; `TypeProjectLinks` holds what differs (models and JSON names).
Reading: every link of an accessible project or of an accessible type (upstream's rule). Writing: a type must
be accessible to the calling service and the project too (upstream checks only the project for the "project"
and "add" forms). Linking a type to a project first links the type to the project's site, which the models
require. POST answers the links added ({type id, id_project, link id}), as upstream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraSite import TeraSite

from teraserver.api.common import ClientError, row_by_id
from teraserver.api.links import LinkForms, LinkRequest, require_some_argument
from teraserver.service_access import ServiceAccess, service_access


@dataclass(frozen=True)
class TypeProjectLinks:
    link_model: Any  # TeraSessionTypeProject / TeraTestTypeProject
    site_link_model: Any  # TeraSessionTypeSite / TeraTestTypeSite
    type_model: Any  # TeraSessionType / TeraTestType
    type_id: str  # "id_session_type" / "id_test_type"
    type_name: str  # "session_type_name" / "test_type_name"
    link_id: str  # "id_session_type_project" / "id_test_type_project"
    type_key: str  # body key of the "replace this type's projects" form: "session_type" / "test_type"
    project_types_key: str  # list key in the "replace this project's types" form: "sessions_types" / "testtypes"
    links_key: str  # body key of the "add links" form: "sessions_types_projects" / "test_type_project"
    accessible_types: Callable[[ServiceAccess], set[int]]
    no_project_types: str | None = None  # upstream's refusal of a project form without its list, if not the default

    @property
    def forms(self) -> LinkForms:
        """The three POST forms, parsed by api/links.py in upstream's words for this resource."""
        messages = {
            "no_form": "Unknown format",
            "no_target_id": "Missing project ID",
            "no_owners": self.no_project_types or f"Missing {self.project_types_key}",
            "no_link_ids": "Badly formatted request",
        }
        return LinkForms(self.type_key, self.project_types_key, "project", self.link_model, self.links_key, messages)

    # -- reading ----------------------------------------------------------------------------------------------
    def links_json(self, links: list[Any], with_sites: bool) -> list[dict[str, Any]]:
        result = []
        for link in links:
            item = link.to_json(ignore_fields=[])
            type_row = row_by_id(self.type_model, getattr(link, self.type_id))
            project = TeraProject.get_project_by_id(link.id_project)
            item[self.type_name] = getattr(type_row, self.type_name, None)
            item["project_name"] = project.project_name if project is not None else None
            if with_sites and project is not None:
                item["id_site"] = project.id_site
                site = TeraSite.get_site_by_id(project.id_site)
                item["site_name"] = site.site_name if site is not None else None
            result.append(item)
        return result

    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """As upstream: every link of an accessible project (whatever the type's service), or every link of an
        accessible type (whatever the project); an empty list when the project or type is not accessible."""
        require_some_argument(args)
        access = service_access()
        model = self.link_model
        order = getattr(model, self.link_id)
        links: list[Any] = []
        if args.get("id_project"):
            if args["id_project"] in access.projects_ids:
                links = model.query.filter(model.id_project == args["id_project"]).order_by(order).all()
        elif args.get(self.type_id):
            if args[self.type_id] in self.accessible_types(access):
                links = model.query.filter(getattr(model, self.type_id) == args[self.type_id]).order_by(order).all()
        return self.links_json(links, bool(args.get("with_sites")))

    # -- writing ----------------------------------------------------------------------------------------------
    def _check(self, access: ServiceAccess, id_type: int, id_project: int) -> None:
        if id_type not in self.accessible_types(access):
            raise ClientError(f"No access to {self.type_id} {id_type}", 403)
        if id_project not in access.projects_ids:
            raise ClientError(f"No access to project {id_project}", 403)

    def _existing(self, id_type: int, id_project: int) -> Any:
        model = self.link_model
        return model.query.filter(getattr(model, self.type_id) == id_type, model.id_project == id_project).first()

    def link(self, id_type: int, id_project: int) -> Any:
        """The association, created (with the type-site link it needs) unless present. No access check."""
        existing = self._existing(id_type, id_project)
        if existing is not None:
            return existing
        project = TeraProject.get_project_by_id(id_project)
        site_model = self.site_link_model
        site_link = site_model.query.filter(
            getattr(site_model, self.type_id) == id_type, site_model.id_site == project.id_site
        ).first()
        if site_link is None:
            site_link = site_model()
            setattr(site_link, self.type_id, id_type)
            site_link.id_site = project.id_site
            site_model.insert(site_link)
        link = self.link_model()
        setattr(link, self.type_id, id_type)
        link.id_project = id_project
        return self.link_model.insert(link)

    def _unlink(self, link: Any) -> None:
        problem = link.delete_check_integrity()
        if problem is not None:
            raise ClientError(f"Can't delete association: {problem}", 400)
        self.link_model.delete(getattr(link, self.link_id))

    def _created(self, pairs: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """Upstream's answer: {type id, id_project, link id} for each pair, the link created unless present."""
        return [
            {
                self.type_id: id_type,
                "id_project": id_project,
                self.link_id: getattr(self.link(id_type, id_project), self.link_id),
            }
            for id_type, id_project in pairs
        ]

    def post(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        access = service_access()
        asked = self.forms.parse(body=body)
        if asked.form == self.type_key:
            return self._replace_type_projects(access, asked)
        if asked.form == "project":
            return self._replace_project_types(access, asked)
        pairs = [asked.pair(link) for link in asked.wanted]
        for id_type, id_project in pairs:
            self._check(access, id_type, id_project)
        return self._created(pairs)

    def _replace_type_projects(self, access: ServiceAccess, asked: LinkRequest) -> list[dict[str, Any]]:
        """The type's projects become the posted ones; as upstream, refused (403) when the type is linked to a
        project the caller cannot access. Answers the links added."""
        id_type = asked.replaced
        wanted = [id_project for _, id_project in map(asked.pair, asked.wanted)]
        if id_type not in self.accessible_types(access):
            raise ClientError("Forbidden", 403)
        model = self.link_model
        current = model.query.filter(getattr(model, self.type_id) == id_type).all()
        if any(link.id_project not in access.projects_ids for link in current):
            raise ClientError("Access denied to at least one project", 403)
        for id_project in wanted:
            self._check(access, id_type, id_project)
        by_project = {link.id_project: link for link in current}  # read before a deletion expires the rows
        for id_project, link in by_project.items():
            if id_project not in wanted:
                self._unlink(link)
        present = set(by_project)
        return self._created(
            [(id_type, id_project) for id_project in dict.fromkeys(wanted) if id_project not in present]
        )

    def _replace_project_types(self, access: ServiceAccess, asked: LinkRequest) -> list[dict[str, Any]]:
        """The project's links to the caller's types become the posted ones (other services' types are left
        alone and may not be posted: upstream replaces and accepts any). Answers the links added."""
        id_project = asked.replaced
        wanted = [id_type for id_type, _ in map(asked.pair, asked.wanted)]
        if id_project not in access.projects_ids:
            raise ClientError("Forbidden", 403)
        for id_type in wanted:
            self._check(access, id_type, id_project)
        model = self.link_model
        own_types = self.accessible_types(access)
        current = model.query.filter(model.id_project == id_project).all()
        by_type = {getattr(link, self.type_id): link for link in current}  # read before a deletion expires the rows
        for id_type, link in by_type.items():
            if id_type in own_types and id_type not in wanted:
                self._unlink(link)
        present = set(by_type)
        return self._created([(id_type, id_project) for id_type in dict.fromkeys(wanted) if id_type not in present])

    def delete(self, id_link: int) -> None:
        link = row_by_id(self.link_model, id_link)
        if link is None:
            raise ClientError("Unknown association", 400)
        self._check(service_access(), getattr(link, self.type_id), link.id_project)
        self._unlink(link)
