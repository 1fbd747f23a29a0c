"""PreparedStatement's SQL and rows (its behaviour on PostgreSQL: tests/integration/test_prepared_statements.py)."""

from typing import Any

import pytest
from sqlalchemy import bindparam, column, select, table

from teraserver.prepared import PreparedStatement

things = table("things", column("id"), column("name"))
BY_NAME = select(things.c.id).where(things.c.name == bindparam("name")).limit(1)


class RecordingCursor:
    """A DBAPI cursor that records what it is sent and answers every statement with one (id, name) row."""

    def __init__(self, sent: list[tuple[str, Any]]) -> None:
        self.sent = sent
        self.description: list[tuple[str, ...]] | None = None

    def __enter__(self) -> "RecordingCursor":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, sql: str, arguments: Any = None) -> None:
        self.sent.append((sql, arguments))
        self.description = [("id",), ("name",)]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [(7, "seven")]


class RecordingConnection:
    """What PreparedStatement uses of a SQLAlchemy Connection: the pooled connection's per-connection info
    and its DBAPI connection's cursors."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        dbapi_connection = type("DBAPIConnection", (), {"cursor": lambda _self: RecordingCursor(self.sent)})()
        self.connection = type("PooledConnection", (), {"info": {}, "dbapi_connection": dbapi_connection})()


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


def test_rows_are_dicts_by_column_name() -> None:
    rows = PreparedStatement("by_name", BY_NAME).execute(RecordingConnection(), name="a")  # type: ignore[arg-type]
    assert rows == [{"id": 7, "name": "seven"}]


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(TypeError, match="by_name: missing parameter"):
        PreparedStatement("by_name", BY_NAME).execute(RecordingConnection())  # type: ignore[arg-type]
