"""The opentera package's soft-delete filter, without re-analysing a statement it has seen.

The package hides soft-deleted rows by rewriting every ORM SELECT (`SoftDeleteQueryRewriter`, called from a
`do_orm_execute` hook): it asks the statement for its final FROM list, which builds the ORM's whole compile
state, then adds `<table>.deleted_at IS NULL` for each table there that has the column. On the heavy user
endpoints that analysis was about half of TeraServer's CPU (GET /api/user/sessions?id_participant=1: 13
statements per request, each analysed anew).

A statement's FROM list follows from its structure, which SQLAlchemy's cache key identifies (bound values are
not part of it). So the list is kept per cache key and the package's own `analyze_from` applies it to each new
statement of that structure: the rewritten statement is the one the package would make (the image's unit tests
compare the SQL). Only FROM lists made of tables and joins of tables are kept; one with a subquery (which the
package rewrites in place) goes the package's way every time.
"""

from __future__ import annotations

import threading
from typing import Any

from opentera.db.SoftDeleteQueryRewriter import SoftDeleteQueryRewriter
from sqlalchemy import Table
from sqlalchemy.orm.util import _ORMJoin
from sqlalchemy.sql import Alias, Join, Select

# Statement structures are few (one per query a handler can make); the bound keeps a pathological client from
# growing it without end.
MAX_ENTRIES = 4096

_package_rewrite_select = SoftDeleteQueryRewriter.rewrite_select
_froms_by_structure: dict[Any, tuple[Any, ...]] = {}
_lock = threading.Lock()


def _reusable(from_obj: Any) -> bool:
    """A FROM the package only reads (tables, joins of tables or aliased tables): safe to keep and apply again."""
    if isinstance(from_obj, Table):
        return True
    if isinstance(from_obj, Join | _ORMJoin):
        return all(
            (isinstance(side, Alias) and isinstance(side.element, Table)) or _reusable(side)
            for side in (from_obj.left, from_obj.right)
        )
    return False


def rewrite_select(self: SoftDeleteQueryRewriter, stmt: Select) -> Select:
    """SoftDeleteQueryRewriter.rewrite_select, with the FROM analysis kept per statement structure."""
    if stmt.get_execution_options().get(self.disable_soft_delete_option_name):
        return stmt
    cache_key = stmt._generate_cache_key()
    if cache_key is None:
        return _package_rewrite_select(self, stmt)
    froms = _froms_by_structure.get(cache_key.key)
    if froms is None:
        froms = tuple(stmt.get_final_froms())
        if not all(_reusable(from_obj) for from_obj in froms):
            return _package_rewrite_select(self, stmt)
        with _lock:
            if len(_froms_by_structure) >= MAX_ENTRIES:
                _froms_by_structure.clear()
            _froms_by_structure[cache_key.key] = froms
    for from_obj in froms:
        stmt = self.analyze_from(stmt, from_obj)
    return stmt


def install() -> None:
    """Use the kept analysis for every soft-delete rewrite in this process (idempotent)."""
    SoftDeleteQueryRewriter.rewrite_select = rewrite_select  # type: ignore[method-assign]


def uninstall() -> None:
    SoftDeleteQueryRewriter.rewrite_select = _package_rewrite_select  # type: ignore[method-assign]
    _froms_by_structure.clear()
