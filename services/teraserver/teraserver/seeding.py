"""Replace every row of TeraServer's database with upstream's test data set, and bring Redis in step.

One implementation for `python -m teraserver.seed` (what `devstack seed` runs in the container) and for
`GET /api/test/database/reset` (test mode only). Upstream's DBManager.reset_db drops and re-creates every
table, then runs create_defaults(test=True). We empty the tables instead (TRUNCATE ... RESTART IDENTITY, so the
ids are upstream's again) and keep two things on purpose:

* `alembic_version`: the schema does not change, so the stamp stays true.
* `t_server_settings`: the static token keys (device, static participant) and ServerUUID stay as they are.
  Every service has read the keys from Redis and every worker uses ServerUUID as its Flask secret key; new
  values would need a Redis rewrite plus a restart of TeraServer and of every service to take effect.
  create_defaults(test=True) writes the same kind of settings as a normal start, so nothing of the test set
  is lost by keeping them.

Then `service.<key>` entries are rewritten from the new t_services rows and entries of services that no
longer exist are deleted. The dynamic token keys are not rotated (nobody needs a restart for them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import redis
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from opentera.db.Base import BaseModel
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraServerSettings import TeraServerSettings
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraUser import TeraUser

from teraserver import database, redis_state

log = logging.getLogger("teraserver.seeding")

# Kept across a seed; see the module docstring.
KEPT_TABLES = frozenset({TeraServerSettings.__tablename__})
# TeraParticipant.create_defaults gives its participants with a login this password (users get their name).
UPSTREAM_PARTICIPANT_PASSWORD = "opentera"
# TRUNCATE waits for every open transaction on these tables; a stuck one must fail the seed, not hang it.
LOCK_TIMEOUT = "20s"


class SeedError(RuntimeError):
    """The test data could not be loaded; the message says what failed."""


@dataclass(frozen=True)
class Account:
    kind: str  # "user" or "participant"
    username: str
    password: str
    superadmin: bool = False


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows after the seed
    accounts: list[Account] = field(default_factory=list)
    services_published: list[str] = field(default_factory=list)  # `service.<key>` written
    services_removed: list[str] = field(default_factory=list)  # stale `service.<key>` deleted

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "accounts": [asdict(account) for account in self.accounts],
            "services_published": self.services_published,
            "services_removed": self.services_removed,
        }


def data_tables() -> list[str]:
    """Every table of the package's models except the kept ones (alembic_version is not a model table)."""
    return sorted(table.name for table in BaseModel.metadata.sorted_tables if table.name not in KEPT_TABLES)


def id_sequences(tables: Iterable[str]) -> list[str]:
    """The named sequences feeding the id columns of `tables`.

    The models declare `Sequence("id_..._sequence")` defaults: such sequences are not owned by their column,
    so TRUNCATE ... RESTART IDENTITY leaves them alone, and the test set (which refers to some rows by id,
    e.g. project 3) needs them back at 1.
    """
    wanted = set(tables)
    return sorted(
        column.default.name
        for table in BaseModel.metadata.sorted_tables
        if table.name in wanted
        for column in table.columns
        if isinstance(column.default, sa.Sequence)
    )


def empty_tables(db: SQLAlchemy, tables: Iterable[str]) -> None:
    """Delete every row and restart the ids, in one transaction (one TRUNCATE, so foreign keys between the
    tables are fine)."""
    tables = list(tables)
    names = ", ".join(f'"{name}"' for name in tables)
    db.session.remove()  # nothing of a previous unit of work may hold a lock or a stale identity map
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY"))
        for sequence in id_sequences(tables):
            conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def table_counts(db: SQLAlchemy, tables: Iterable[str]) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {name: int(conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar() or 0) for name in tables}


def loaded_accounts() -> list[Account]:
    """The accounts of the loaded set with upstream's passwords: TeraUser.create_defaults gives every user its
    username as password, TeraParticipant.create_defaults gives participants with a login "opentera".

    Not re-checked with bcrypt here: at the package's cost factor seven checks take as long as creating the
    users did; the integration tests log in with them instead.
    """
    accounts = [
        Account("user", user.user_username, user.user_username, bool(user.user_superadmin))
        for user in TeraUser.query.order_by(TeraUser.id_user).all()
        if user.user_enabled
    ]
    participants = TeraParticipant.query.filter(TeraParticipant.participant_login_enabled.is_(True))
    accounts += [
        Account("participant", participant.participant_username, UPSTREAM_PARTICIPANT_PASSWORD)
        for participant in participants.order_by(TeraParticipant.id_participant).all()
        if participant.participant_enabled and participant.participant_username and participant.participant_password
    ]
    return accounts


def seed_test_data(db: SQLAlchemy, client: redis.Redis) -> SeedResult:
    """Replace the data with upstream's test set; call inside an application context bound to `db`.

    Runs under the boot advisory lock, so it never overlaps a TeraServer boot (or another seed).
    """
    tables = data_tables()
    try:
        with database.boot_lock(db):
            empty_tables(db, tables)
            log.info("data tables emptied", extra={"tables": len(tables), "kept": sorted(KEPT_TABLES)})
            database.create_defaults(test=True)
            services = TeraService.query.execution_options(include_deleted=True).all()
            published, removed = redis_state.replace_service_entries(client, services)
            result = SeedResult(
                counts=table_counts(db, tables),
                accounts=loaded_accounts(),
                services_published=sorted(published),
                services_removed=sorted(removed),
            )
            db.session.remove()
    except (sa.exc.SQLAlchemyError, redis.RedisError) as error:
        db.session.remove()
        raise SeedError(f"{type(error).__name__}: {error}".splitlines()[0]) from error
    log.info("test data loaded", extra={"counts": result.counts, "redis_removed": result.services_removed})
    return result


def summary_lines(result: SeedResult) -> list[str]:
    """Human-readable report: non-empty tables with their row counts, then the accounts."""
    lines = ["rows per table:"]
    lines += [f"  {name:<32} {count:>5}" for name, count in sorted(result.counts.items()) if count]
    empty = sorted(name for name, count in result.counts.items() if not count)
    if empty:
        lines.append(f"  (empty: {', '.join(empty)})")
    lines.append("accounts (username / password):")
    for account in result.accounts:
        flag = "  superadmin" if account.superadmin else ""
        lines.append(f"  {account.kind:<11} {account.username} / {account.password}{flag}")
    lines.append(f"service entries in Redis: {', '.join(result.services_published) or 'none'}")
    if result.services_removed:
        lines.append(f"stale service entries removed: {', '.join(result.services_removed)}")
    return lines


def to_json(result: SeedResult) -> str:
    return json.dumps(result.as_dict(), sort_keys=True)
