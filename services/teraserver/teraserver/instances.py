"""Model instances made from rows we read ourselves, without the ORM's query machinery.

For hot paths, a prepared statement (teraserver.prepared) reads the rows and these helpers turn them into the
package's models: the models' own methods (to_json, relationships, UserAccess's rules) then work as on
instances the ORM loaded. The ORM's query path (compile-cache lookup, result metadata, loading context) cost
more CPU than the rest of a user token check.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class

Model = TypeVar("Model")


def transient(model: type[Model], values: Mapping[str, Any]) -> Model:
    """An instance of `model` holding `values` (by attribute name), never attached to a session. The values go
    straight into the instance dict, where mapped attributes read loaded values from: setattr() would also run
    the ORM's change tracking for each column, which nothing here needs.

    The instance is made as the ORM makes the ones it loads (its class manager's new_instance: the object and
    its state, without calling __init__): `model()` also runs the ORM's init event and the models' __init__,
    which take no fields and do nothing (`pass`), and cost most of the time of a list of a few hundred related
    rows (GET /api/user/sessions)."""
    instance = _manager(model).new_instance()
    vars(instance).update(values)
    return instance


@functools.cache
def _manager(model: type) -> Any:
    """The class manager of `model`, its mappers configured once (what the init event would check each time)."""
    configure_mappers()
    return manager_of_class(model)


def persistent(session: Session, model: type[Model], values: Mapping[str, Any]) -> Model:
    """The instance of `model` for the row `values` (every column, by attribute name) in `session`, as a
    query would give it: the one already in the session's identity map if there is one (left as it is),
    else a new one, persistent and clean, whose relationships load lazily and whose changes flush as an
    UPDATE (with the version check where the model has one)."""
    key = inspect(model).identity_key_from_primary_key([values[name] for name in _primary_key_attributes(model)])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    instance = transient(model, values)
    make_transient_to_detached(instance)  # loaded state = these values, as after a query
    session.add(instance)
    return instance


@functools.cache
def _primary_key_attributes(model: type) -> tuple[str, ...]:
    """The attribute names of `model`'s primary key columns, worked out once per model (every user request
    makes its user persistent)."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
