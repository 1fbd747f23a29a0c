"""Shared logic of /api/user/sessiontypes/sites, /sessiontypes/projects and /sessiontypes/services.

The three resources have one shape upstream: a link row between a session type and a site, project or
(secondary) service. A POST body takes one of upstream's three link forms (api/links.py); replacing a type's
links removes only links to rows the user manages. Everything is checked before the first write, so a refused
body changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentera.db.models.TeraSessionType import TeraSessionType
from sqlalchemy import inspect

from teraserver.api.common import ClientError, database_write
from teraserver.api.links import LinkForms


@dataclass(frozen=True)
class TypeLink:
    model: Any  # TeraSessionTypeSite / TeraSessionTypeProject / TeraSessionTypeServices
    other: str  # "site" / "project" / "service"
    other_model: Any  # TeraSite / TeraProject / TeraService

    @property
    def forms(self) -> LinkForms:
        return LinkForms("session_type", "sessiontypes", self.other, self.model)

    @property
    def other_id(self) -> str:
        return self.forms.target_id

    @property
    def link_id(self) -> str:
        return self.forms.link_id

    def other_row(self, row_id: int | None) -> Any:
        if row_id is None:
            return None
        return self.other_model.query.filter(getattr(self.other_model, self.other_id) == row_id).first()

    def existing(self, id_session_type: int, id_other: int) -> Any:
        return self.model.query.filter_by(id_session_type=id_session_type, **{self.other_id: id_other}).first()

    def unlinked(self, id_session_type: int | None, id_other: int | None) -> Any:
        """An unsaved link, as upstream lists rows not linked yet (with_* flags): the queried side is None."""
        link = self.model()
        link.id_session_type = id_session_type
        setattr(link, self.other_id, id_other)
        return link

    def with_unlinked_others(self, links: list[Any], other_ids: list[int]) -> list[Any]:
        """A session type's `links`, then an unlinked entry for each of `other_ids` it is not linked to."""
        linked = {getattr(link, self.other_id) for link in links}
        return links + [self.unlinked(None, other) for other in other_ids if other not in linked]

    def with_unlinked_types(self, links: list[Any], type_ids: list[int]) -> list[Any]:
        """A site's or project's `links`, then an unlinked entry for each of `type_ids` it is not linked to."""
        linked = {link.id_session_type for link in links}
        return links + [self.unlinked(id_type, None) for id_type in type_ids if id_type not in linked]

    # -- reading ----------------------------------------------------------------------------------------------
    def by_type_name(self, links: list[Any]) -> list[Any]:
        """Upstream's order for the links of a site, project or (with unlinked services) a type's services."""
        return sorted(links, key=lambda link: _type_name(link.id_session_type))

    def by_other_name(self, links: list[Any]) -> list[Any]:
        """Upstream's order for the links of a session type: by the site's, project's or service's name."""
        return sorted(links, key=lambda link: self._other_name(getattr(link, self.other_id)))

    def _other_name(self, row_id: int | None) -> str:
        return getattr(self.other_row(row_id), f"{self.other}_name", None) or ""

    def link_json(self, link: Any, *, minimal: bool, with_sites: bool = False) -> dict[str, Any]:
        saved = not inspect(link).transient
        # The link's own columns only: upstream's rows have no more (the package's full TeraSessionTypeServices
        # JSON adds the service's key and uuid, which upstream's 1.3.0 model does not).
        data = link.to_json(ignore_fields=[], minimal=True)
        if not saved:
            data[self.link_id] = None
        if minimal:
            return data
        session_type = TeraSessionType.get_session_type_by_id(link.id_session_type) if link.id_session_type else None
        other = self.other_row(getattr(link, self.other_id))
        data["session_type_name"] = session_type.session_type_name if session_type else None
        data[f"{self.other}_name"] = getattr(other, f"{self.other}_name", None) if other else None
        if with_sites and other is not None:
            data["id_site"] = other.id_site
            data["site_name"] = other.project_site.site_name
        return data

    # -- writing ----------------------------------------------------------------------------------------------
    def requested(self) -> tuple[str, int | None, list[dict[str, int]], list[tuple[int, int]]]:
        """(form, id of the replaced side, links wanted, current (id_session_type, id_other) links not wanted)."""
        asked = self.forms.parse()
        return asked.form, asked.replaced, [self._pair(*asked.pair(link)) for link in asked.wanted], asked.stale

    def _pair(self, id_session_type: int, id_other: int) -> dict[str, int]:
        return {"id_session_type": id_session_type, self.other_id: id_other}

    def check_rows_exist(self, links: list[dict[str, int]]) -> None:
        for link in links:
            if TeraSessionType.get_session_type_by_id(link["id_session_type"]) is None:
                raise ClientError(f"Invalid id_session_type: {link['id_session_type']}")
            if self.other_row(link[self.other_id]) is None:
                raise ClientError(f"Invalid {self.other_id}: {link[self.other_id]}")

    def apply(self, to_add: list[dict[str, Any]], to_delete: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """Delete then add links; answers the wanted links with their ids (existing ones kept as they are)."""
        with database_write(f"session type - {self.other} link"):
            for id_type, id_other in to_delete:
                link = self.existing(id_type, id_other)
                if link is not None:
                    self.model.delete(getattr(link, self.link_id))
            for item in to_add:
                link = self.existing(item["id_session_type"], item[self.other_id])
                if link is None:
                    new_link = self.model()
                    new_link.id_session_type = item["id_session_type"]
                    setattr(new_link, self.other_id, item[self.other_id])
                    # The models' insert also links the type's service where needed and may answer another row.
                    link = self.model.insert(new_link) or new_link
                item[self.link_id] = getattr(link, self.link_id)
        return to_add

    def delete_by_id(self, link: Any) -> None:
        with database_write(f"session type - {self.other} link deletion"):
            self.model.delete(getattr(link, self.link_id))


def _type_name(id_session_type: int | None) -> str:
    session_type = TeraSessionType.get_session_type_by_id(id_session_type) if id_session_type else None
    return session_type.session_type_name if session_type else ""
