"""teraserver.soft_delete: the package's soft-delete rewrite with its FROM analysis kept per statement structure
gives the SQL the package gives, with each statement's own bound values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.SoftDeleteQueryRewriter import SoftDeleteQueryRewriter
from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased

from teraserver import soft_delete

REWRITER = SoftDeleteQueryRewriter("deleted_at", "include_deleted")


def sessions_of_participant(id_participant: int) -> Any:
    return (
        select(TeraSession)
        .join(TeraSession.session_participants)
        .where(
            or_(TeraParticipant.id_participant == id_participant, TeraSession.id_creator_participant == id_participant)
        )
        .order_by(TeraSession.session_start_datetime.desc())
    )


def participants_of_project(id_project: int) -> Any:
    return select(TeraParticipant).join(TeraProject).where(TeraProject.id_project == id_project)


def session_type_by_id(id_type: int) -> Any:
    return select(TeraSessionType).where(TeraSessionType.id_session_type == id_type)


def aliased_join(id_participant: int) -> Any:
    creator = aliased(TeraParticipant)
    return (
        select(TeraSession)
        .join(creator, TeraSession.id_creator_participant == creator.id_participant)
        .where(creator.id_participant == id_participant)
    )


def with_subquery(id_project: int) -> Any:
    inner = select(TeraParticipant.id_participant).where(TeraParticipant.id_project == id_project).subquery()
    return select(TeraSession).join(inner, TeraSession.id_creator_participant == inner.c.id_participant)


STATEMENTS: list[Callable[[int], Any]] = [
    sessions_of_participant,
    participants_of_project,
    session_type_by_id,
    aliased_join,
    with_subquery,
]


def sql(stmt: Any) -> tuple[str, dict[str, Any]]:
    compiled = stmt.compile(dialect=postgresql.dialect())
    return str(compiled), dict(compiled.params)


@pytest.fixture
def kept() -> Iterator[None]:
    soft_delete.install()
    yield
    soft_delete.uninstall()


@pytest.mark.parametrize("make", STATEMENTS, ids=[make.__name__ for make in STATEMENTS])
def test_the_rewrite_is_the_packages_on_first_and_later_statements(make: Callable[[int], Any], kept: None) -> None:
    for value in (1, 2, 3):  # the first analyses, the next ones reuse: each with its own bound value
        ours = sql(soft_delete.rewrite_select(REWRITER, make(value)))
        soft_delete.uninstall()
        theirs = sql(SoftDeleteQueryRewriter.rewrite_select(REWRITER, make(value)))
        soft_delete.install()
        assert ours == theirs
        assert value in ours[1].values()
        assert "deleted_at IS NULL" in ours[0]


def test_structures_are_kept_but_not_subqueries(kept: None) -> None:
    soft_delete.rewrite_select(REWRITER, sessions_of_participant(1))
    soft_delete.rewrite_select(REWRITER, with_subquery(1))
    assert len(soft_delete._froms_by_structure) == 1
    soft_delete.rewrite_select(REWRITER, sessions_of_participant(7))
    assert len(soft_delete._froms_by_structure) == 1


def test_include_deleted_is_left_alone(kept: None) -> None:
    stmt = sessions_of_participant(1).execution_options(include_deleted=True)
    assert soft_delete.rewrite_select(REWRITER, stmt) is stmt
