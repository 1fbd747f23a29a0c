"""Upstream's three POST forms for link rows between an owner (a service, a session type) and a target (a site, a
project, a secondary service), parsed once for every such resource:

* `{"<owner>": {"id_<owner>": N, "<target>s": [{"id_<target>": M}, ...]}}` replaces the owner's links;
* `{"<target>": {"id_<target>": M, "<owners>": [{"id_<owner>": N}, ...]}}` replaces the target's links;
* `{"<owner>_<target>": {...} or [{...}, ...]}` adds links, each object naming both ids.

The parse only reads: what a resource may change (access rules, which stale links it may remove) and how it
writes are the resource's. A resource whose refusals come in a set order may have the parse call it back: once the
replaced id is read (`authorize`), and on each link of the add form once it is read (`check`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request

from teraserver.api.common import ClientError, object_or_list, require_int

Pair = tuple[int, int]  # (id_<owner>, id_<target>)


# -- reading ----------------------------------------------------------------------------------------------------
def require_some_argument(args: Mapping[str, Any]) -> None:
    """A link resource's GET refuses a request that sets nothing, as upstream: an id or a flag set to true is
    enough (`?list=true` alone answers an empty list, `?list=false` alone is still refused)."""
    if not any(args.values()):
        raise ClientError("Missing arguments")


def with_names(args: Mapping[str, Any]) -> bool:
    """Whether listed links carry the names of both sides: as upstream, only when `list` is absent from the
    query (upstream tests its presence, not its value, so `list=false` lists ids only too)."""
    return args.get("list") is None


@dataclass(frozen=True)
class LinkRequest:
    form: str  # the body key used: the owner, the target or the add form's key
    replaced: int | None  # the owner's or target's id for a replacing form, else None
    wanted: list[dict[str, Any]]  # the links asked for, in the body's order ({id_<owner>, id_<target>, ...})
    current: list[Pair]  # the replaced side's links now ([] for the add form)
    owner_id: str
    target_id: str

    def pair(self, link: dict[str, Any]) -> Pair:
        return link[self.owner_id], link[self.target_id]

    @property
    def stale(self) -> list[Pair]:
        """Current links the body does not ask for, in their current order."""
        wanted = {self.pair(link) for link in self.wanted}
        return [pair for pair in self.current if pair not in wanted]

    @property
    def new(self) -> list[Pair]:
        """Links asked for that do not exist yet, sorted (each once)."""
        return sorted({self.pair(link) for link in self.wanted} - set(self.current))

    @property
    def missing(self) -> list[dict[str, int]]:
        """Links asked for that do not exist yet, in the body's order (each once), as {id_<owner>, id_<target>}."""
        current = set(self.current)
        pairs = [pair for pair in dict.fromkeys(map(self.pair, self.wanted)) if pair not in current]
        return [{self.owner_id: owner, self.target_id: target} for owner, target in pairs]


@dataclass(frozen=True)
class LinkForms:
    owner: str  # "service" / "session_type"
    owners_key: str  # the owners' list in the target form: "services" / "sessiontypes"
    target: str  # "site" / "project" / "service"
    model: Any  # the link model (TeraServiceSite, TeraSessionTypeProject...)
    add_key: str | None = None  # the add form's body key where upstream does not name it "<owner>_<target>"
    # Upstream's wording of some refusals where a resource keeps it, by case: "no_form" (no known body key),
    # "no_target_id" (target form without its id), "no_owners" (target form without its list), "no_link_ids"
    # (an added link without one of its ids). Other cases, and these by default, name the missing field.
    messages: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # Upstream's own reading: a replacing form needs both its keys before either value is checked, and a field
    # is missing only when its key is absent (a null then fails as a value); "no_owner_id" / "no_targets" name
    # the owner form's missing keys where a resource words them.
    keys_first: bool = False
    # With keys_first: a replacing form's list must be a list of objects before its id's value is checked.
    list_shape_first: bool = False

    @property
    def owner_id(self) -> str:
        return f"id_{self.owner}"

    @property
    def target_id(self) -> str:
        return f"id_{self.target}"

    @property
    def links_key(self) -> str:
        return self.add_key or f"{self.owner}_{self.target}"

    @property
    def link_id(self) -> str:
        """The link row's own id column: id_service_site, id_session_type_project..."""
        return f"id_{self.owner}_{self.target}"

    def parse(
        self,
        prepare: Callable[[dict[str, Any]], None] | None = None,
        body: Any = None,
        *,
        authorize: Callable[[str, int], None] | None = None,
        check: Callable[[dict[str, Any]], None] | None = None,
    ) -> LinkRequest:
        """The request's body (or `body`, already read) in one of the three forms; 400 naming what is wrong.
        `prepare` may complete each object of the add form first (a `service_uuid` standing for `id_service`);
        `authorize(form, id)` runs once a replacing form's id is read, before its list; `check(link)` runs on
        each link of the add form once its ids are read, before the next link."""
        if body is None:
            body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ClientError("Invalid JSON body: expected an object")
        if self.owner in body:
            id_owner, targets = self._replacing(
                body,
                self.owner,
                (self.owner_id, "no_owner_id"),
                (f"{self.target}s", "no_targets"),
                self.target_id,
                authorize,
            )
            current = [(id_owner, getattr(link, self.target_id)) for link in self._links(self.owner_id, id_owner)]
            wanted = [{self.owner_id: id_owner, self.target_id: target} for target in targets]
            return self._request(self.owner, id_owner, wanted, current)
        if self.target in body:
            id_target, owners = self._replacing(
                body,
                self.target,
                (self.target_id, "no_target_id"),
                (self.owners_key, "no_owners"),
                self.owner_id,
                authorize,
            )
            current = [(getattr(link, self.owner_id), id_target) for link in self._links(self.target_id, id_target)]
            wanted = [{self.owner_id: owner, self.target_id: id_target} for owner in owners]
            return self._request(self.target, id_target, wanted, current)
        if self.links_key in body:
            links = [dict(link) for link in object_or_list(body[self.links_key], self.links_key)]
            for link in links:
                if prepare is not None:
                    prepare(link)
                self._refuse_if_missing(link, [self.owner_id, self.target_id], "no_link_ids")
                require_int(link, self.owner_id)
                require_int(link, self.target_id)
                if check is not None:
                    check(link)
            return self._request(self.links_key, None, links, [])
        raise ClientError(self.messages.get("no_form", f"Missing {self.owner}, {self.target} or {self.links_key}"))

    def _replacing(
        self,
        body: dict[str, Any],
        name: str,
        id_key: tuple[str, str],  # (the form's id field, its refusal case)
        list_key: tuple[str, str],  # (the form's list key, its refusal case)
        item_id: str,
        authorize: Callable[[str, int], None] | None,
    ) -> tuple[int, list[int]]:
        """A replacing form's id and the ids of its list, checked in the resource's order."""
        container = _object(body[name], name)
        if self.keys_first:
            self._refuse_if_missing(container, [id_key[0]], id_key[1])
            self._refuse_if_missing(container, [list_key[0]], list_key[1])
            if self.list_shape_first:
                _list_of_objects(container[list_key[0]], list_key[0])
            row_id = require_int(container, id_key[0])
        else:
            self._refuse_if_missing(container, [id_key[0]], id_key[1])
            row_id = require_int(container, id_key[0])
            self._refuse_if_missing(container, [list_key[0]], list_key[1])
        if authorize is not None:
            authorize(name, row_id)
        return row_id, _ids(container, list_key[0], item_id)

    def _refuse_if_missing(self, container: dict[str, Any], fields: list[str], case: str) -> None:
        """400 in the resource's own words for `case` when one of `fields` is missing. With keys_first a field is
        missing when its key is absent, and the default words name it; otherwise null counts as absent, and only
        a resource's own words refuse here (else the value check names the field)."""
        if self.keys_first:
            missing = [name for name in fields if name not in container]
        elif case in self.messages:
            missing = [name for name in fields if container.get(name) is None]
        else:
            return
        if missing:
            raise ClientError(self.messages.get(case, f"Missing {missing[0]}"))

    def _links(self, field: str, row_id: int) -> list[Any]:
        return self.model.query.filter_by(**{field: row_id}).all()

    def _request(
        self, form: str, replaced: int | None, wanted: list[dict[str, Any]], current: list[Pair]
    ) -> LinkRequest:
        return LinkRequest(form, replaced, wanted, current, self.owner_id, self.target_id)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ClientError(f"Invalid {name}: expected an object")
    return value


def _list_of_objects(items: Any, list_key: str) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ClientError(f"Invalid {list_key}: expected a list of objects")
    return items


def _ids(container: dict[str, Any], list_key: str, id_field: str) -> list[int]:
    if list_key not in container:
        raise ClientError(f"Missing {list_key}")
    return [require_int(item, id_field) for item in _list_of_objects(container[list_key], list_key)]
