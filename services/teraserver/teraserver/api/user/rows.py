"""Create-or-update of one row from a posted JSON object, as upstream's POST endpoints do (id 0 = create)."""

from __future__ import annotations

from typing import Any

from teraserver.api.common import ClientError, database_write, require_int


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
