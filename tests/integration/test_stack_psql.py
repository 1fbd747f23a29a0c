"""`Stack.psql` (and the `postgres` fixture over it): SQL straight to the stack's published PostgreSQL port."""

from __future__ import annotations

import uuid

import pytest

from devstack.testing.stack import PsqlError, Stack


def test_the_rows_of_every_statement_in_postgresqls_text_form(devstack: Stack) -> None:
    rows = devstack.psql("SELECT 1, NULL::text, true, false; SET search_path TO public; SELECT 'a' || 'b'")
    assert rows == [["1", "", "t", "f"], ["ab"]]
    assert devstack.psql("SELECT current_database(), current_user", database="postgres") == [["postgres", "postgres"]]
    assert devstack.psql("SELECT 1 WHERE false") == []


def test_a_failing_statement_names_the_database_and_undoes_the_others(devstack: Stack) -> None:
    table = f"psql_probe_{uuid.uuid4().hex[:8]}"
    with pytest.raises(PsqlError, match=r"database 'opentera' of project .* failed: .*no_such_table"):
        devstack.psql(f"CREATE TABLE {table} (x int); SELECT * FROM no_such_table")
    assert devstack.psql(f"SELECT to_regclass('{table}') IS NULL") == [["t"]]


def test_the_postgres_fixture_runs_sql_in_the_database_named(postgres) -> None:
    assert postgres("openterasample")("SELECT current_database()") == [["openterasample"]]
