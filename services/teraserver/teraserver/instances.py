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
from sqlalchemy.orm.attributes import instance_state, manager_of_class

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
    UPDATE (with the version check where the model has one).

    With every column given, the new instance is attached as `Session.add` attaches a detached instance,
    without the two steps that find nothing to do here and cost three quarters of the time (issue 14; 20 to 4 us
    an instance, 8 instances in a participants list): `make_transient_to_detached` expiring the attributes not
    loaded (only relationships, which load lazily either way), and `add`'s save-update cascade walking every
    relationship of the model (none is loaded). Given fewer columns, the public functions do it."""
    key = inspect(model).identity_key_from_primary_key([values[name] for name in _primary_key_attributes(model)])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    instance = transient(model, values)
    if _column_attributes(model).issubset(values):
        state = instance_state(instance)
        state.key = key  # loaded state = these values, as after a query
        state._orphaned_outside_of_session = False  # what Session.add sets before attaching
        _plain_session(session)._update_impl(state)  # Session.add's attach of an instance that has a key
    else:
        make_transient_to_detached(instance)
        session.add(instance)
    return instance


def _plain_session(session: Session) -> Session:
    """The Session itself behind a scoped_session (Flask-SQLAlchemy's `db.session`)."""
    registry = getattr(session, "registry", None)
    return registry() if registry is not None else session


@functools.cache
def _column_attributes(model: type) -> frozenset[str]:
    return frozenset(prop.key for prop in inspect(model).column_attrs)


@functools.cache
def _primary_key_attributes(model: type) -> tuple[str, ...]:
    """The attribute names of `model`'s primary key columns, worked out once per model (every user request
    makes its user persistent)."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
