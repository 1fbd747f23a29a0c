"""Database: Flask-SQLAlchemy binding of the package's models, schema creation, Alembic stamp, defaults.

The `opentera` models reach the database through `BaseModel.db()`, so one Flask-SQLAlchemy object is bound
to them per process (the boot process, then each server worker after fork).
"""

from __future__ import annotations

import contextlib
import datetime
import inspect
import logging
import select
import types
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import opentera.db.models as models  # noqa: F401  (importing registers every table on BaseModel.metadata)
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from opentera.db.Base import BaseMixin, BaseModel
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from teraserver import ALEMBIC_HEAD, session_type_json, throttle
from teraserver.settings import Settings

log = logging.getLogger("teraserver.database")

# Arbitrary but fixed key of the PostgreSQL advisory lock that serialises boots sharing one database
# (two replicas, or a restart overlapping the old container): schema creation and defaults must run once.
BOOT_LOCK_KEY = 0x4F54_5342_4F4F  # "OTSBOO"


def init_db(app: Flask, settings: Settings, *, pool_size: int = 5) -> SQLAlchemy:
    """Bind a new Flask-SQLAlchemy object to `app` and to the opentera models."""
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.database_uri,
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SQLALCHEMY_ENGINE_OPTIONS={
            # No pool_pre_ping: its `SELECT 1` round trip on every checkout cost more than the query of the
            # hottest endpoints. Dead connections are caught without a round trip instead (see below).
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_recycle": 1800,
        },
    )
    db = SQLAlchemy()
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "checkout", reject_dead_connection)
        event.listen(db.engine, "checkin", restore_transactions)
    BaseModel.set_db(db)
    # Every process that binds the models (boot, workers, websocket process, seed) hashes at the same cost.
    throttle.set_hash_cost(settings.bcrypt_rounds)
    install_fast_to_json()
    session_type_json.install()
    return db


def reject_dead_connection(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """Pool checkout hook: refuse a pooled connection PostgreSQL has closed, so the pool opens a new one.

    An idle connection in the pool has nothing to read. When PostgreSQL restarts or kills the backend, it
    sends a FATAL message and closes the socket, which makes the socket readable: a zero-timeout poll sees
    that locally, in microseconds, where pool_pre_ping pays a `SELECT 1` round trip on every checkout.
    DisconnectionError tells SQLAlchemy's pool to discard the connection and retry with a fresh one.
    """
    if dbapi_connection.closed or _socket_readable(dbapi_connection.fileno()):
        raise DisconnectionError("PostgreSQL closed this pooled connection")


def _socket_readable(fd: int) -> bool:
    poller = select.poll()  # poll, not select(): no FD_SETSIZE limit on the descriptor number
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


F = TypeVar("F", bound=Callable[..., Any])


def reads_without_transaction(fn: F) -> F:
    """Mark a read-only handler to run on a connection in autocommit mode: no BEGIN before its first query and
    no ROLLBACK when the request ends, two of the four PostgreSQL round trips of a one-query endpoint. The
    resource base class (api/resources.py) switches the mode before authentication, whose query comes first.

    Nothing is lost for a handler that only reads: under PostgreSQL's default READ COMMITTED isolation every
    statement takes its own snapshot inside a transaction too. Only for handlers that write nothing or one
    statement (HTTP Basic's last-online UPDATE): in autocommit mode each statement of a flush commits on its own.
    """
    fn.reads_without_transaction = True  # type: ignore[attr-defined]
    return fn


def begin_autocommit() -> None:
    """Put the session's connection in autocommit mode before its first query (see reads_without_transaction).
    psycopg2's `autocommit` flag is set directly, not through SQLAlchemy's isolation_level option, whose reset
    at check-in costs a `SET default_transaction_isolation` round trip; `restore_transactions` clears the flag
    when the connection goes back to the pool."""
    connection = BaseModel.db().session.connection()  # checks a connection out; sends nothing yet
    connection.connection.dbapi_connection.autocommit = True


@contextlib.contextmanager
def autocommit_connection(engine: sa.Engine | None = None) -> Iterator[sa.Connection]:
    """A Core connection straight from the pool, in autocommit mode, for a hot read that needs no ORM session.

    As `reads_without_transaction` (no BEGIN, no ROLLBACK round trip), and without the ORM session's set-up
    and tear-down: for GET /api/service/services those were ~20 % of the request's CPU (py-spy), more than its
    query. Autocommit is set on the psycopg2 connection directly; `restore_transactions` clears it at check-in.
    `engine` defaults to the app's (which needs an app context); code running outside Flask passes it.
    """
    with (engine or BaseModel.db().engine).connect() as connection:
        connection.connection.dbapi_connection.autocommit = True
        yield connection


def restore_transactions(dbapi_connection: Any, connection_record: Any) -> None:
    """Pool check-in hook: a connection lent in autocommit mode comes back transactional (no round trip)."""
    if dbapi_connection is not None and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


@contextlib.contextmanager
def boot_lock(db: SQLAlchemy) -> Iterator[None]:
    """Hold a session-level advisory lock on a dedicated connection for the duration of the block."""
    with db.engine.connect() as conn:
        got_it = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": BOOT_LOCK_KEY}).scalar()
        if not got_it:
            log.info("another TeraServer is initialising this database; waiting for it to finish")
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": BOOT_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": BOOT_LOCK_KEY})
            conn.commit()


def ensure_schema(db: SQLAlchemy) -> bool:
    """Create the schema on an empty database and stamp Alembic; on an existing one, check the stamp.

    Returns True when the schema was created now. We have no migration scripts (upstream's live in its
    server tree), so an existing database that is not at upstream's head is reported, not migrated.
    """
    tables = sa.inspect(db.engine).get_table_names()
    if not tables:
        log.info("empty database: creating the OpenTera schema")
        BaseModel.metadata.create_all(db.engine)
        _stamp_alembic(db, ALEMBIC_HEAD)
        log.info("schema created and stamped", extra={"alembic_revision": ALEMBIC_HEAD})
        return True

    revision = _alembic_revision(db) if "alembic_version" in tables else None
    if revision == ALEMBIC_HEAD:
        log.info("schema present", extra={"alembic_revision": revision})
    elif revision is None:
        log.error(
            "database has tables but no alembic_version row: it was not created by TeraServer; "
            f"expected revision {ALEMBIC_HEAD}. Use a dedicated, empty database."
        )
    else:
        log.error(
            f"database schema is at Alembic revision {revision}, expected {ALEMBIC_HEAD}; "
            "this server cannot migrate it (run upstream's `alembic upgrade head` first)"
        )
    return False


def _stamp_alembic(db: SQLAlchemy, revision: str) -> None:
    # Exactly what `alembic stamp <rev>` leaves behind on PostgreSQL: a one-row version table.
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
        conn.execute(sa.text("DELETE FROM alembic_version"))
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})


def _alembic_revision(db: SQLAlchemy) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version LIMIT 1")).scalar()


def has_data() -> bool:
    """True once a start has filled the database (the server settings are the first rows a start writes)."""
    return models.TeraServerSettings.get_count() != 0


def create_defaults(test: bool) -> bool:
    """Fill empty tables through the models' own create_defaults, in upstream's order.

    Each block runs only when its first table is empty, so a second start never re-creates anything.
    Returns True when the users block ran (i.e. the default admin was created by this call).
    Must run inside an application context.
    """
    m = models
    # (guard model, [models whose create_defaults run when the guard's table is empty])
    plan: list[tuple[type, list[type]]] = [
        (m.TeraServerSettings, [m.TeraServerSettings]),
        (m.TeraService, [m.TeraService]),
        (m.TeraServiceRole, [m.TeraServiceRole]),
        (m.TeraSite, [m.TeraSite]),
        (m.TeraProject, [m.TeraProject]),
        (m.TeraDeviceType, [m.TeraDeviceType]),
        (m.TeraServiceProject, [m.TeraServiceProject]),
        (m.TeraServiceSite, [m.TeraServiceSite]),
        (m.TeraParticipantGroup, [m.TeraParticipantGroup]),
        (m.TeraUserGroup, [m.TeraUserGroup]),
        (m.TeraParticipant, [m.TeraParticipant]),
        (m.TeraUser, [m.TeraUser, m.TeraUserUserGroup, m.TeraUserPreference]),
        (
            m.TeraDevice,
            [m.TeraDevice, m.TeraDeviceProject, m.TeraDeviceParticipant, m.TeraServiceAccess, m.TeraDeviceSubType],
        ),
        (m.TeraDeviceSite, [m.TeraDeviceSite]),
        (m.TeraSessionType, [m.TeraSessionType, m.TeraSessionTypeProject]),
        (m.TeraSessionTypeSite, [m.TeraSessionTypeSite]),
        (m.TeraSessionTypeServices, [m.TeraSessionTypeServices]),
        (m.TeraSession, [m.TeraSession, m.TeraSessionEvent]),
        (m.TeraAsset, [m.TeraAsset]),
        (m.TeraServiceConfig, [m.TeraServiceConfig]),
        (m.TeraTestType, [m.TeraTestType, m.TeraTestTypeSite, m.TeraTestTypeProject]),
        (m.TeraTest, [m.TeraTest]),
    ]
    users_created = False
    checked: list[str] = []
    for guard, creators in plan:
        if guard.get_count() != 0:
            continue
        checked.append(guard.__tablename__)
        for model in creators:
            model.create_defaults(test)
        if guard is m.TeraUser:
            users_created = True
    # Like upstream, empty tables get their defaults at every start (most add nothing outside test data).
    log.info("defaults ensured", extra={"test_data": test, "empty_tables_seen": checked})
    return users_created


def adopt_admin_account(username: str, password: str) -> None:
    """Give the superadmin just created by the defaults (upstream's admin / admin) the configured name and
    password, so that `.env`'s TERASERVER_ADMIN_USERNAME / _PASSWORD are the one place they are set."""
    admin = models.TeraUser.get_user_by_username("admin")
    if admin is None or (username, password) == ("admin", "admin"):
        return
    admin.user_username = username
    admin.user_password = models.TeraUser.encrypt_password(password)
    models.TeraUser.commit()
    log.info("default superadmin created as %r with the configured password (TERASERVER_ADMIN_*)", username)


def relax_admin_password_change() -> None:
    """Dev deviation: let the freshly created admin/admin log in without changing its password first."""
    admin = models.TeraUser.query.filter_by(user_superadmin=True).order_by(models.TeraUser.id_user).first()
    if admin is not None and admin.user_force_password_change:
        admin.user_force_password_change = False
        models.TeraUser.commit()
        log.info("default admin may log in without a password change (TERASERVER_FORCE_PASSWORD_CHANGE=false)")


# --- model JSON ------------------------------------------------------------------------------------------
# The package's BaseMixin.to_json walks dir(self) (~100 names) and filters every name on every call, which
# was a large share of GET /api/user/services (16 to_json calls per answer). The attribute names a class can
# contribute do not change at run time, so they are worked out once per class; each call then only reads
# those attributes. Same output: same keys, same order (dir() order), same value conversions, and the
# caller's ignore_fields list still gets the relationship names appended, as the original does.

_ORIGINAL_TO_JSON = BaseMixin.to_json


def install_fast_to_json() -> None:
    """Replace BaseMixin.to_json by `fast_to_json` (idempotent)."""
    BaseMixin.to_json = fast_to_json  # type: ignore[method-assign]


def original_to_json(model: Any, ignore_fields: list[str] | None = None) -> dict[str, Any]:
    """The package's own implementation, kept for the equivalence tests."""
    return _ORIGINAL_TO_JSON(model, ignore_fields=ignore_fields)


class _JsonPlan:
    """Per model class: relationship names, the candidate attribute names in dir() order, and which of them
    are mapped columns (their loaded value sits in the instance dict and is never a method)."""

    def __init__(self, cls: type) -> None:
        mapper = sa.inspect(cls)
        self.relationships = [name for name, _ in mapper.relationships.items()]
        self.candidates = [name for name in dir(cls) if _candidate_name(name) and not _always_callable(cls, name)]
        self.candidate_set = frozenset(self.candidates)
        self.columns = frozenset(prop.key for prop in mapper.column_attrs)


_PLANS: dict[type, _JsonPlan] = {}
# Values that need no conversion (exact types: a subclass could be a datetime-like one).
_PLAIN_JSON_TYPES = frozenset({str, int, bool, float, type(None)})


def _candidate_name(name: str) -> bool:
    return BaseMixin.is_valid_property_name(name) or name == "deleted_at"


def _always_callable(cls: type, name: str) -> bool:
    """True when reading `name` on any instance gives a method or function (unless the instance shadows it)."""
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, types.FunctionType):
        return True
    if isinstance(raw, staticmethod | classmethod):
        return not BaseMixin.is_valid_property_value(getattr(cls, name))
    return False


def fast_to_json(self: Any, ignore_fields: list[str] | None = None) -> dict[str, Any]:
    plan = _PLANS.get(type(self))
    if plan is None:
        plan = _PLANS[type(self)] = _JsonPlan(type(self))
    if ignore_fields is None:
        ignore_fields = []
    for relationship in plan.relationships:
        if relationship not in ignore_fields:
            ignore_fields.append(relationship)

    names = plan.candidates
    loaded = vars(self)
    # Attributes set on this instance only (or hiding a class method): dir(self) lists them too. Loaded
    # column values also live in vars(self), but they are candidates already.
    extra = [name for name in loaded if name not in plan.candidate_set and _candidate_name(name)]
    if extra:
        names = sorted({*names, *extra})

    ignored = set(ignore_fields)
    columns = plan.columns
    result: dict[str, Any] = {}
    for name in names:
        if name in ignored and name != "deleted_at":
            continue
        if name in columns:
            # A loaded column is read from the instance dict, as the mapped attribute itself would; an
            # unloaded (expired, deferred) one goes through the attribute, which loads it.
            value = loaded[name] if name in loaded else getattr(self, name)
        else:
            value = getattr(self, name)
            if inspect.ismethod(value) or inspect.isfunction(value):
                continue
        if name == "deleted_at" and value is None:
            continue
        if type(value) in _PLAIN_JSON_TYPES:
            result[name] = value
            continue
        if isinstance(value, datetime.datetime | datetime.date):
            value = value.isoformat()
        if isinstance(value, datetime.timedelta):
            whole, _, fraction = str(value).partition(".")
            value = f"{whole}.{fraction[:3]}" if fraction else whole
        result[name] = value
    return result
