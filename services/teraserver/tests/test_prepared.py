"""PreparedStatement's SQL (its behaviour on PostgreSQL: tests/integration/test_prepared_statements.py)."""

import pytest
from sqlalchemy import select, text

from teraserver.prepared import PreparedStatement


def test_the_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="identifier, not 'x; DROP'"):
        PreparedStatement("x; DROP", select(text("1")))


def test_prepare_and_execute_sql() -> None:
    statement = PreparedStatement("two_arguments", select(text("$1::int + $2::int")), parameter_count=2)
    assert statement.prepare_sql == "PREPARE two_arguments AS SELECT $1::int + $2::int"
    assert statement.execute_sql == "EXECUTE two_arguments(%s, %s)"
    assert PreparedStatement("none", select(text("1"))).execute_sql == "EXECUTE none"
