"""Server-side prepared statements: PostgreSQL plans them once per connection instead of at every execution.

psycopg2 sends every query as text, so PostgreSQL parses and plans it each time. For a hot, fixed statement
whose planning costs as much as running it (teraserver.service_json's, ~0.2 ms of PostgreSQL CPU each time),
`PreparedStatement` sends `PREPARE` once per database connection and `EXECUTE` afterwards. PostgreSQL infers
the parameters' types from where they are used, and re-plans a prepared statement itself when a table it reads
changes (a migration, a reset).

Rows come back as plain dicts read from the driver's cursor. SQLAlchemy's result objects for driver-level SQL
rebuild their column metadata from the cursor at every execution: for the one-row service lookup of GET
/api/service/services that cost more CPU than sending the query and reading its answer (py-spy). SQLAlchemy
applies no type conversion to such SQL either, so the values are the driver's, exactly as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

# Key in the pool's per-connection info dict (it lives exactly as long as the DBAPI connection).
_PREPARED_KEY = "teraserver prepared statements"
# $1, $2... placeholders: the form PREPARE takes.
_DIALECT = postgresql.dialect(paramstyle="numeric_dollar")


class PreparedStatement:
    """`statement` prepared as `name`; run it with its bind parameters by name, as for Connection.execute()."""

    def __init__(self, name: str, statement: Executable) -> None:
        if not name.isidentifier():
            raise ValueError(f"prepared statement name must be an identifier, not {name!r}")
        self.name = name
        compiled = statement.compile(dialect=_DIALECT)
        self.prepare_sql = f"PREPARE {name} AS {compiled}"
        self.parameter_names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Values the statement carries itself (a LIMIT, a literal): used unless given.
        self.defaults = {name: value for name, value in compiled.params.items() if value is not None}
        placeholders = ", ".join(["%s"] * len(self.parameter_names))
        self.execute_sql = f"EXECUTE {name}({placeholders})" if self.parameter_names else f"EXECUTE {name}"

    def execute(self, connection: Connection, **parameters: Any) -> list[dict[str, Any]]:
        """The rows, each a dict from column name to value, on `connection` (and in its transaction, if any).

        A driver error is raised as SQLAlchemy would raise it (DataError, IntegrityError...: the handlers map
        those to 4xx), and a lost database connection is invalidated so the pool does not lend it again."""
        arguments = self._arguments(parameters)
        if not connection.in_transaction():
            # What SQLAlchemy's own execute() does first: the connection's commit() and rollback() then end
            # this statement's transaction too (after an error, rollback() must reach the database).
            connection.begin()
        pooled = connection.connection
        prepared: set[str] = pooled.info.setdefault(_PREPARED_KEY, set())
        try:
            with pooled.dbapi_connection.cursor() as cursor:
                if self.name not in prepared:
                    cursor.execute(self.prepare_sql)
                    prepared.add(self.name)
                cursor.execute(self.execute_sql, arguments or None)
                names = [column[0] for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except connection.dialect.loaded_dbapi.Error as error:
            dialect = connection.dialect
            lost = dialect.is_disconnect(error, pooled.dbapi_connection, None)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                self.execute_sql,
                arguments,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error

    def _arguments(self, parameters: dict[str, Any]) -> tuple[Any, ...]:
        values = {**self.defaults, **parameters}
        missing = [name for name in self.parameter_names if name not in values]
        if missing:
            raise TypeError(f"{self.name}: missing parameter(s) {', '.join(missing)}")
        return tuple(values[name] for name in self.parameter_names)
