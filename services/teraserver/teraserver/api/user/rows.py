"""Create-or-update of one row from a posted JSON object, as upstream's POST endpoints do (id 0 = create)."""

from __future__ import annotations

from typing import Any

from teraserver.api.common import ClientError, database_write, require_int


def check_fields(model: Any, data: dict[str, Any], what: str) -> None:
    """Unknown fields are refused with their names (upstream fails on them with a 500 or ignores them)."""
    unknown = sorted(set(data) - set(model.clean_values(data)))
    if unknown:
        raise ClientError(f"Unknown {what} fields: {', '.join(unknown)}")


def save_row(model: Any, data: dict[str, Any], id_field: str, what: str) -> Any:
    """Insert (data[id_field] == 0) or update the row; returns it as stored. ClientError on refusal."""
    row_id = require_int(data, id_field)
    values = {key: value for key, value in data.items() if key != id_field}
    check_fields(model, values, what)
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
