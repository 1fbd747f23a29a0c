"""Rows from posted JSON objects, for every API family: upstream's create-or-update (id 0 creates) and delete.

Upstream's create path copies the posted object onto a new model with `from_json`, which skips names the
model does not have: unknown fields are ignored. Its update path goes through the model's `update`, which
refuses any name that is not one of the model's properties (a 500 there). Here both paths keep to the
table's own columns, so a refusal names the field (400); `check_values` checks values before the database
sees them (type, required, referenced row), so the answer never carries the database driver's text. What the
database still refuses (a unique value taken, a row referenced elsewhere) is told from its error code by
`common.database_write`.
"""

from __future__ import annotations

from typing import Any

from opentera.db.Base import BaseModel
from sqlalchemy import Boolean, Integer, String, select

from teraserver.api.common import ClientError, database_write, require_int, row_by_id

# Columns the client never writes: the row version and the soft-delete mark.
_SYSTEM_COLUMNS = {"version_id", "deleted_at"}


def columns(model: Any) -> dict[str, Any]:
    return {column.name: column for column in model.__table__.columns if column.name not in _SYSTEM_COLUMNS}


def creatable(model: Any, data: dict[str, Any], id_field: str) -> dict[str, Any]:
    """The posted values a new row takes: its own columns (the id excepted); other names are ignored."""
    known = columns(model)
    return {name: value for name, value in data.items() if name in known and name != id_field}


def updatable(model: Any, data: dict[str, Any], id_field: str, what: str) -> dict[str, Any]:
    """The posted values an update takes; a name that is not a column of the row is refused (400)."""
    known = columns(model)
    unknown = sorted(name for name in data if name not in known)
    if unknown:
        raise ClientError(f"Unknown {what} fields: {', '.join(unknown)}")
    return {name: value for name, value in data.items() if name != id_field}


def check_values(model: Any, values: dict[str, Any], *, creating: bool) -> None:
    """Types of the posted values, required columns of a new row, rows named by foreign keys (400 each)."""
    known = columns(model)
    for name, value in values.items():
        column = known[name]
        if value is None:
            if not column.nullable:
                raise ClientError(f"Invalid {name}: a value is required")
            continue
        if isinstance(column.type, Boolean):
            ok = isinstance(value, bool)
            expected = "a boolean"
        elif isinstance(column.type, Integer):
            ok = isinstance(value, int) and not isinstance(value, bool)
            expected = "an integer"
        elif isinstance(column.type, String):
            ok = isinstance(value, str)
            expected = "a string"
        else:
            continue
        if not ok:
            raise ClientError(f"Invalid {name}: {value!r} is not {expected}")
        if isinstance(value, str):
            # NUL characters never get here: teraserver.input_guard refuses them in every JSON body.
            if column.type.length is not None and len(value) > column.type.length:
                raise ClientError(f"Invalid {name}: longer than {column.type.length} characters")
        elif isinstance(value, int) and not -(2**31) <= value < 2**31:
            raise ClientError(f"Invalid {name}: {value} is out of range")
        for foreign_key in column.foreign_keys:
            target = foreign_key.column
            found = BaseModel.db().session.execute(select(target).where(target == value).limit(1)).first()
            if found is None:
                raise ClientError(f"Invalid {name}: {value} (no such row)")
    if creating:
        for name, column in known.items():
            required = not column.nullable and not column.primary_key and column.default is None
            if required and values.get(name) is None:
                raise ClientError(f"Missing {name}")


def check_fields(model: Any, data: dict[str, Any], what: str, *, creating: bool = False) -> dict[str, Any]:
    """The posted fields to write, as upstream treats unknown ones: a new row ignores them (upstream's from_json
    skips names the model lacks), an update refuses them with their names (upstream's update fails on them with
    a 500)."""
    known = model.clean_values(data)
    if creating:
        return known
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ClientError(f"Unknown {what} fields: {', '.join(unknown)}")
    return data


def save_row(model: Any, data: dict[str, Any], id_field: str, what: str) -> Any:
    """Insert (data[id_field] == 0) or update the row; returns it as stored. ClientError on refusal."""
    row_id = require_int(data, id_field)
    values = {key: value for key, value in data.items() if key != id_field}
    values = check_fields(model, values, what, creating=row_id == 0)
    if row_id == 0:
        with database_write(what):
            row = model()
            row.from_json(values)
            # Soft-insert models may answer with an earlier (soft-deleted) row brought back instead.
            row = model.insert(row) or row
        return row
    if model.query.filter(getattr(model, id_field) == row_id).first() is None:
        raise ClientError(f"Invalid {id_field}: {row_id}")
    with database_write(what):
        model.update(row_id, values)
    return model.query.filter(getattr(model, id_field) == row_id).first()


def delete_model(model: Any, id_todel: int) -> None:
    """Soft delete through the model, refusing (400) what its integrity check refuses (upstream: 500)."""
    row = row_by_id(model, id_todel)
    if row is None:
        raise ClientError("Not found")
    problem = row.delete_check_integrity()
    if problem is not None:
        raise ClientError(f"Can't delete: {problem}")
    model.delete(id_todel=id_todel)
