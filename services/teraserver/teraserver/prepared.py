"""Server-side prepared statements: PostgreSQL plans them once per connection instead of at every execution.

psycopg2 sends every query as text, so PostgreSQL parses and plans it each time. For a hot, fixed statement
whose planning costs as much as running it (teraserver.service_json's, ~0.2 ms of PostgreSQL CPU each time),
`PreparedStatement` sends `PREPARE` once per database connection and `EXECUTE` afterwards. PostgreSQL itself
re-plans a prepared statement when a table it reads changes (a migration, a reset).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, CursorResult, Executable
from sqlalchemy.dialects import postgresql

# Key in the pool's per-connection info dict (it lives exactly as long as the DBAPI connection).
_PREPARED_KEY = "teraserver prepared statements"


class PreparedStatement:
    """`statement` prepared as `name`; its parameters are `$1`, `$2`... in the SQL, typed by casts there."""

    def __init__(self, name: str, statement: Executable, parameter_count: int = 0) -> None:
        if not name.isidentifier():
            raise ValueError(f"prepared statement name must be an identifier, not {name!r}")
        self.name = name
        self.prepare_sql = f"PREPARE {name} AS {statement.compile(dialect=postgresql.dialect())}"
        placeholders = ", ".join(["%s"] * parameter_count)
        self.execute_sql = f"EXECUTE {name}({placeholders})" if parameter_count else f"EXECUTE {name}"

    def execute(self, connection: Connection, *arguments: Any) -> CursorResult[Any]:
        prepared: set[str] = connection.connection.info.setdefault(_PREPARED_KEY, set())
        if self.name not in prepared:
            connection.exec_driver_sql(self.prepare_sql)
            prepared.add(self.name)
        return connection.exec_driver_sql(self.execute_sql, arguments or None)
