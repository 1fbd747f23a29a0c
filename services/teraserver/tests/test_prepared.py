"""PreparedStatement's SQL and rows (its behaviour on PostgreSQL: tests/integration/test_prepared_statements.py)."""

from typing import Any

import psycopg2
import pytest
from sqlalchemy import bindparam, column, select, table
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.exc import DataError

from teraserver.prepared import PreparedStatement

things = table("things", column("id"), column("name"))
BY_NAME = select(things.c.id).where(things.c.name == bindparam("name")).limit(1)


class RecordingCursor:
    """A DBAPI cursor that records what it is sent and answers every statement with one (id, name) row."""

    def __init__(self, sent: list[tuple[str, Any]], fails_with: Exception | None = None) -> None:
        self.sent = sent
        self.fails_with = fails_with
        self.description: list[tuple[str, ...]] | None = None

    def __enter__(self) -> "RecordingCursor":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, sql: str, arguments: Any = None) -> None:
        self.sent.append((sql, arguments))
        if self.fails_with is not None and sql.startswith("EXECUTE"):
            raise self.fails_with
        self.description = [("id",), ("name",)]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [(7, "seven")]


class RecordingConnection:
    """What PreparedStatement uses of a SQLAlchemy Connection: the pooled connection's per-connection info
    and its DBAPI connection's cursors."""

    dialect = PGDialect_psycopg2(dbapi=psycopg2)

    def __init__(self, fails_with: Exception | None = None) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.invalidated: list[BaseException | None] = []
        self.began = False

        def cursor(_self: object) -> RecordingCursor:
            return RecordingCursor(self.sent, fails_with)

        dbapi_connection = type("DBAPIConnection", (), {"cursor": cursor, "closed": 0})()
        self.connection = type("PooledConnection", (), {"info": {}, "dbapi_connection": dbapi_connection})()

    def invalidate(self, exception: BaseException | None = None) -> None:
        self.invalidated.append(exception)

    def in_transaction(self) -> bool:
        return self.began

    def begin(self) -> None:
        self.began = True


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
    assert first.began and second.began, "SQLAlchemy must know a transaction began, to end it"


def test_rows_are_dicts_by_column_name() -> None:
    rows = PreparedStatement("by_name", BY_NAME).execute(RecordingConnection(), name="a")  # type: ignore[arg-type]
    assert rows == [{"id": 7, "name": "seven"}]


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(TypeError, match="by_name: missing parameter"):
        PreparedStatement("by_name", BY_NAME).execute(RecordingConnection())  # type: ignore[arg-type]


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it() -> None:
    # The handlers answer SQLAlchemy's DataError/IntegrityError with a 400 (api/resources.ApiResource).
    connection = RecordingConnection(fails_with=psycopg2.DataError("integer out of range"))
    with pytest.raises(DataError, match="integer out of range"):
        PreparedStatement("by_name", BY_NAME).execute(connection, name="a")  # type: ignore[arg-type]
    assert connection.invalidated == []


def test_a_lost_connection_is_invalidated() -> None:
    lost = psycopg2.OperationalError("server closed the connection unexpectedly")
    connection = RecordingConnection(fails_with=lost)
    with pytest.raises(Exception, match="server closed the connection") as raised:
        PreparedStatement("by_name", BY_NAME).execute(connection, name="a")  # type: ignore[arg-type]
    assert raised.value.connection_invalidated is True  # type: ignore[attr-defined]
    assert connection.invalidated == [lost]
