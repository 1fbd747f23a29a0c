"""Hot read-only endpoints run without a transaction, and the pooled connection comes back transactional.

`database.reads_without_transaction` (switched on by api/resources.py's base class) saves the BEGIN and
ROLLBACK round trips of GET /api/user/services. These tests check the mechanism inside the session stack's
TeraServer container, on its real PostgreSQL and connection pool: in autocommit mode a query leaves no
transaction open; the next request on the same pooled connection gets a transaction again. The same for
`database.autocommit_connection` (a Core connection without an ORM session, GET /api/service/services).
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import teraserver_probe

from devstack.testing.stack import Stack

PROBE = """
from opentera.db.Base import BaseModel
from sqlalchemy import text
from teraserver.app import create_app
from teraserver.database import autocommit_connection, begin_autocommit
from teraserver.settings import load_settings

app = create_app(load_settings())
seen = {}

def dbapi_state(dbapi):
    # psycopg2: transaction_status 0 is IDLE (no transaction open), 2 is INTRANS.
    return {"autocommit": dbapi.autocommit, "transaction_status": dbapi.info.transaction_status,
            "connection": id(dbapi)}

def connection_state(label):
    session = BaseModel.db().session
    session.execute(text("SELECT 1"))
    seen[label] = dbapi_state(session.connection().connection.dbapi_connection)

with app.test_request_context():
    begin_autocommit()
    connection_state("hot read")
with app.test_request_context():
    connection_state("next request")
with app.test_request_context():
    with autocommit_connection() as connection:
        connection.execute(text("SELECT 1"))
        seen["core hot read"] = dbapi_state(connection.connection.dbapi_connection)
    seen["orm session made"] = BaseModel.db().session.registry.has()
with app.test_request_context():
    connection_state("after the core read")
"""


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_hot_reads_run_in_autocommit_and_the_pool_gets_a_transactional_connection_back(seen: dict[str, Any]) -> None:
    hot, following = seen["hot read"], seen["next request"]
    assert hot["autocommit"] is True
    assert hot["transaction_status"] == 0, "a query in autocommit mode must leave no transaction open"
    assert following["connection"] == hot["connection"], "the probe must see the same pooled connection again"
    assert following["autocommit"] is False
    assert following["transaction_status"] == 2, "an undecorated request runs in a transaction, as before"


def test_a_core_hot_read_runs_in_autocommit_without_a_session_and_the_pool_gets_it_back_transactional(
    seen: dict[str, Any],
) -> None:
    # database.autocommit_connection: GET /api/service/services' lookup, without the ORM session's overhead.
    hot, following = seen["core hot read"], seen["after the core read"]
    assert hot["autocommit"] is True
    assert hot["transaction_status"] == 0, "a query in autocommit mode must leave no transaction open"
    assert seen["orm session made"] is False
    assert following["connection"] == hot["connection"], "the probe must see the same pooled connection again"
    assert following["autocommit"] is False
    assert following["transaction_status"] == 2
