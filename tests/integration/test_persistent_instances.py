"""`teraserver.instances.persistent` through `queries.user_by_uuid` (every user token check) on the real database.

The authenticated user is read with a prepared statement and made persistent without the ORM's query path; it
must behave as the user a query loads: same column values, in the session and clean, the identity map's own
object when the session already holds it, relationships that load lazily, changes that flush as an UPDATE with
the version check.
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import teraserver_probe

from devstack.testing.stack import Stack

PROBE = """
from opentera.db.models.TeraUser import TeraUser
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from teraserver import queries
from teraserver.app import create_app
from teraserver.settings import load_settings

app = create_app(load_settings())
seen = {}
columns = TeraUser.__mapper__.columns.keys()
with app.app_context():
    session = TeraUser.db().session
    row = session.execute(select(TeraUser.__table__).where(TeraUser.user_username == "admin")).mappings().one()
    session.remove()
    user = queries.user_by_uuid(row["user_uuid"])
    state = inspect(user)
    seen["persistent"] = state.persistent and user in session
    seen["clean"] = not state.modified and not session.dirty
    values = {key: getattr(user, key) for key in columns}
    seen["differences"] = {key: [str(values[key]), str(row[key])] for key in columns if values[key] != row[key]}
    seen["same object again"] = queries.user_by_uuid(row["user_uuid"]) is user
    with Session(TeraUser.db().engine) as other:
        loaded = other.get(TeraUser, user.id_user)
        seen["groups"] = [[g.id_user_group for g in u.user_user_groups] for u in (user, loaded)]
        seen["version before"] = loaded.version_id
    user.user_notes = "persistent-instance probe"
    session.flush()
    seen["version after flush"] = user.version_id
    session.rollback()
    session.remove()
    user = queries.user_by_uuid(row["user_uuid"])
    user.user_notes = "persistent-instance probe"
    with Session(TeraUser.db().engine) as other:  # another client changes the row meanwhile
        users = TeraUser.__table__
        other.execute(update(users).where(users.c.id_user == user.id_user).values(version_id=users.c.version_id + 1))
        other.commit()
    try:
        session.flush()
        seen["stale"] = "flushed"
    except StaleDataError:
        seen["stale"] = "StaleDataError"
    session.rollback()
    session.remove()
    loaded = session.get(TeraUser, row["id_user"])
    seen["identity map object"] = queries.user_by_uuid(row["user_uuid"]) is loaded
    seen["unknown uuid"] = queries.user_by_uuid("00000000-0000-0000-0000-000000000000")
    session.remove()
"""


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_the_user_is_persistent_clean_and_holds_the_rows_values(seen: dict[str, Any]) -> None:
    assert seen["persistent"] is True
    assert seen["clean"] is True
    assert seen["differences"] == {}


def test_the_session_keeps_one_object_per_user(seen: dict[str, Any]) -> None:
    assert seen["same object again"] is True
    assert seen["identity map object"] is True


def test_relationships_load_lazily_as_after_a_query(seen: dict[str, Any]) -> None:
    ours, loaded = seen["groups"]
    assert ours == loaded


def test_a_change_flushes_with_the_version_check(seen: dict[str, Any]) -> None:
    assert seen["version after flush"] > seen["version before"]
    assert seen["stale"] == "StaleDataError", "a row changed since it was read must not be overwritten"


def test_an_unknown_uuid_is_no_user(seen: dict[str, Any]) -> None:
    assert seen["unknown uuid"] is None
