"""PreparedStatement's SQL (its behaviour on PostgreSQL: tests/integration/test_prepared_statements.py)."""

from typing import Any

import pytest
from sqlalchemy import bindparam, column, select, table

from teraserver.prepared import PreparedStatement

things = table("things", column("id"), column("name"))
BY_NAME = select(things.c.id).where(things.c.name == bindparam("name")).limit(1)


class RecordingConnection:
    """What PreparedStatement uses of a SQLAlchemy Connection: the pool's per-connection info and
    exec_driver_sql."""

    def __init__(self) -> None:
        self.connection = type("PooledConnection", (), {"info": {}})()
        self.sent: list[tuple[str, Any]] = []

    def exec_driver_sql(self, sql: str, arguments: Any = None) -> None:
        self.sent.append((sql, arguments))


def test_the_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="identifier, not 'x; DROP'"):
        PreparedStatement("x; DROP", BY_NAME)


def test_prepares_with_numbered_parameters_and_keeps_the_statements_own_values() -> None:
    statement = PreparedStatement("by_name", BY_NAME)
    assert statement.prepare_sql.startswith("PREPARE by_name AS SELECT things.id")
    assert "things.name = $1" in statement.prepare_sql and "LIMIT $2" in statement.prepare_sql
    assert statement.execute_sql == "EXECUTE by_name(%s, %s)"


def test_prepares_once_per_connection_then_executes_with_the_arguments_in_order() -> None:
    statement = PreparedStatement("by_name", BY_NAME)
    first, second = RecordingConnection(), RecordingConnection()
    statement.execute(first, name="a")  # type: ignore[arg-type]
    statement.execute(first, name="b")  # type: ignore[arg-type]
    statement.execute(second, name="c")  # type: ignore[arg-type]
    assert first.sent == [
        (statement.prepare_sql, None),
        ("EXECUTE by_name(%s, %s)", ("a", 1)),
        ("EXECUTE by_name(%s, %s)", ("b", 1)),
    ]
    assert second.sent == [(statement.prepare_sql, None), ("EXECUTE by_name(%s, %s)", ("c", 1))]


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(TypeError, match="by_name: missing parameter"):
        PreparedStatement("by_name", BY_NAME).execute(RecordingConnection())  # type: ignore[arg-type]
