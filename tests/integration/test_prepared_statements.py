"""`teraserver.prepared.PreparedStatement` on the real PostgreSQL and connection pool of the session stack.

The probe runs inside TeraServer's container: a statement is prepared once per database connection (it shows in
pg_prepared_statements after the first run and is not prepared again), gives the rows the plain statement gives,
takes its parameters, runs in the connection's open transaction, raises a refused value as SQLAlchemy's
DataError (after which the connection's rollback() lets it go on), returns each row as a dict by column name,
and a connection opened later prepares it anew.
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import teraserver_probe

from devstack.testing.stack import Stack

PROBE = """
from opentera.db.Base import BaseModel
from opentera.db.models.TeraService import TeraService
from sqlalchemy import any_, bindparam, column, select, table, text
from teraserver.app import create_app
from teraserver.prepared import PreparedStatement
from teraserver.settings import load_settings

app = create_app(load_settings())
services = TeraService.__table__
by_key = select(services.c.id_service, services.c.service_key).order_by(services.c.id_service)
everything = PreparedStatement("probe_services", by_key)
some = PreparedStatement("probe_services_by_id", by_key.where(services.c.id_service == any_(bindparam("ids"))))
PREPARED = text("SELECT name FROM pg_prepared_statements WHERE name LIKE 'probe_%' ORDER BY name")
seen = {}
with app.app_context():
    engine = BaseModel.db().engine
    with engine.connect() as connection:
        seen["before"] = connection.execute(PREPARED).scalars().all()
        seen["plain"] = [list(row) for row in connection.execute(by_key)]
        first = everything.execute(connection)
        seen["keys"] = list(first[0])
        seen["first"] = [list(row.values()) for row in first]
        seen["second"] = [list(row.values()) for row in everything.execute(connection)]
        ids = [row[0] for row in seen["plain"]][:2]
        seen["ids"] = ids
        seen["some"] = [row["id_service"] for row in some.execute(connection, ids=ids)]
        seen["after"] = connection.execute(PREPARED).scalars().all()
        connection.connection.invalidate()  # this DBAPI connection is closed; the pool opens another
    with engine.connect() as connection:
        seen["new connection before"] = connection.execute(PREPARED).scalars().all()
        seen["new connection rows"] = [list(row.values()) for row in everything.execute(connection)]
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMP TABLE probe_uncommitted (n integer)"))
        connection.execute(text("INSERT INTO probe_uncommitted VALUES (41), (42)"))
        uncommitted = table("probe_uncommitted", column("n"))
        in_transaction = PreparedStatement("probe_uncommitted", select(uncommitted.c.n).order_by(uncommitted.c.n))
        seen["in transaction"] = in_transaction.execute(connection)
        connection.rollback()
    with engine.connect() as connection:
        try:
            some.execute(connection, ids=[2**40])  # not an integer column's value
            seen["out of range"] = "no error"
        except Exception as error:
            seen["out of range"] = type(error).__module__ + "." + type(error).__name__
        connection.rollback()
        seen["after the error"] = len(everything.execute(connection))
"""


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_prepared_once_per_connection_with_the_plain_statements_rows(seen: dict[str, Any]) -> None:
    assert seen["before"] == []
    assert seen["plain"], "the session stack has services"
    assert seen["keys"] == ["id_service", "service_key"]
    assert seen["first"] == seen["second"] == seen["plain"]
    assert seen["after"] == ["probe_services", "probe_services_by_id"]


def test_parameters_reach_the_statement(seen: dict[str, Any]) -> None:
    assert seen["some"] == seen["ids"]
    assert len(seen["ids"]) == 2


def test_a_new_connection_prepares_again(seen: dict[str, Any]) -> None:
    assert seen["new connection before"] == []
    assert seen["new connection rows"] == seen["plain"]


def test_runs_in_the_connections_transaction(seen: dict[str, Any]) -> None:
    assert seen["in transaction"] == [{"n": 41}, {"n": 42}]


def test_a_refused_value_raises_sqlalchemys_error_and_the_connection_goes_on(seen: dict[str, Any]) -> None:
    # Handlers answer sqlalchemy.exc.DataError with a 400 (api/resources.ApiResource), not a 500.
    assert seen["out of range"] == "sqlalchemy.exc.DataError"
    assert seen["after the error"] == len(seen["plain"])
