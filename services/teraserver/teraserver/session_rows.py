"""Sessions as `TeraSession.to_json()` needs them, in two queries instead of one per relationship.

GET /api/user/sessions lists a participant's, user's or device's sessions with their members, creators, type
and asset and test counts. Through the ORM each of those is a load of its own (13 statements for upstream's 28
sessions of participant 1, each a round trip and an ORM result to build). Here the sessions are selected as the
package selects them (its filters and order), without loading any relationship (without filters, the package's
own statement, rewritten by its soft-delete rewriter, runs as a prepared statement), and one prepared statement
(teraserver.prepared) returns, per session, what to_json() reads through its relationships: the live members
(with their project's name), the live creators' names, the type's name and color, and how many live assets and
tests it has. The sessions then become transient instances (never added to the ORM session) holding those
values (a related row that recurs in the list, such as the participant whose sessions these are, is one instance
shared by the sessions), and the model's own to_json() makes the JSON, so its fields are the package's by construction;
tests/integration/test_session_rows.py compares it with the ORM's on the real database.

"Live" is what the package's soft-delete filter gives the ORM loads: rows whose `deleted_at` is NULL; for the
members, that of the member row only (a member whose link row alone is soft-deleted still shows, as with the ORM).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionDevices import TeraSessionDevices
from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionUsers import TeraSessionUsers
from opentera.db.models.TeraTest import TeraTest
from opentera.db.models.TeraUser import TeraUser
from opentera.db.SoftDeleteQueryRewriter import SoftDeleteQueryRewriter
from sqlalchemy import ColumnElement, any_, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Query, lazyload

from teraserver import context
from teraserver.instances import transient
from teraserver.prepared import PreparedStatement

_SESSIONS = TeraSession.__table__
_COLUMNS = tuple(column.key for column in _SESSIONS.columns)


def _json_object(pairs: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
    return func.json_build_object(
        *[part for name, column in pairs.items() for part in (literal_column(f"'{name}'"), column)]
    )


def _members(link: Any, member: Any, fields: Mapping[str, ColumnElement[Any]], *joins: Any) -> ColumnElement[Any]:
    """The session's live members, as a JSON array of `fields` (NULL when none)."""
    member_table, link_table = member.__table__, link.__table__
    key = member_table.primary_key.columns.values()[0]
    source = link_table.join(member_table, link_table.c[key.key] == key)
    for table, condition in joins:
        source = source.outerjoin(table, condition)
    return (
        select(func.json_agg(aggregate_order_by(_json_object(fields), key)))
        .select_from(source)
        # Not the link's own deleted_at: the package's filter does not reach the link table of these loads, so
        # a member whose link row alone is soft-deleted still shows (as upstream).
        .where(link_table.c.id_session == _SESSIONS.c.id_session, member_table.c.deleted_at.is_(None))
        .scalar_subquery()
    )


def _live_count(model: Any) -> ColumnElement[Any]:
    table = model.__table__
    return (
        select(func.count())
        .select_from(table)
        .where(table.c.id_session == _SESSIONS.c.id_session, table.c.deleted_at.is_(None))
        .scalar_subquery()
    )


_P, _PROJ, _U, _D = TeraParticipant.__table__, TeraProject.__table__, TeraUser.__table__, TeraDevice.__table__
_CU, _CD, _CP = _U.alias("creator_user"), _D.alias("creator_device"), _P.alias("creator_participant")
_CS, _TYPE = TeraService.__table__.alias("creator_service"), TeraSessionType.__table__

_RELATED = PreparedStatement(
    "teraserver_sessions_related",
    select(
        _SESSIONS.c.id_session,
        _members(
            TeraSessionParticipants,
            TeraParticipant,
            {
                "id_participant": _P.c.id_participant,
                "participant_uuid": _P.c.participant_uuid,
                "participant_name": _P.c.participant_name,
                "id_project": _P.c.id_project,
                "project_name": _PROJ.c.project_name,
            },
            (_PROJ, (_PROJ.c.id_project == _P.c.id_project) & _PROJ.c.deleted_at.is_(None)),
        ).label("participants"),
        _members(
            TeraSessionUsers,
            TeraUser,
            {
                "id_user": _U.c.id_user,
                "user_uuid": _U.c.user_uuid,
                "user_firstname": _U.c.user_firstname,
                "user_lastname": _U.c.user_lastname,
            },
        ).label("users"),
        _members(
            TeraSessionDevices,
            TeraDevice,
            {"id_device": _D.c.id_device, "device_uuid": _D.c.device_uuid, "device_name": _D.c.device_name},
        ).label("devices"),
        _live_count(TeraAsset).label("assets_count"),
        _live_count(TeraTest).label("tests_count"),
        _CU.c.user_firstname.label("creator_user_firstname"),
        _CU.c.user_lastname.label("creator_user_lastname"),
        _CU.c.user_uuid.label("creator_user_uuid"),
        _CD.c.device_name.label("creator_device_name"),
        _CD.c.device_uuid.label("creator_device_uuid"),
        _CP.c.participant_name.label("creator_participant_name"),
        _CP.c.participant_uuid.label("creator_participant_uuid"),
        _CS.c.service_name.label("creator_service_name"),
        _CS.c.service_uuid.label("creator_service_uuid"),
        _TYPE.c.session_type_name,
        _TYPE.c.session_type_color,
        _TYPE.c.id_session_type.label("live_session_type"),
    )
    .select_from(
        _SESSIONS.outerjoin(_CU, (_CU.c.id_user == _SESSIONS.c.id_creator_user) & _CU.c.deleted_at.is_(None))
        .outerjoin(_CD, (_CD.c.id_device == _SESSIONS.c.id_creator_device) & _CD.c.deleted_at.is_(None))
        .outerjoin(_CP, (_CP.c.id_participant == _SESSIONS.c.id_creator_participant) & _CP.c.deleted_at.is_(None))
        .outerjoin(_CS, (_CS.c.id_service == _SESSIONS.c.id_creator_service) & _CS.c.deleted_at.is_(None))
        .outerjoin(_TYPE, (_TYPE.c.id_session_type == _SESSIONS.c.id_session_type) & _TYPE.c.deleted_at.is_(None))
    )
    .where(_SESSIONS.c.id_session == any_(bindparam("ids"))),
)

# The package's selections (TeraSession.get_sessions_for_participant / _user / _device): sessions with that
# member (an inner join on the members) or created by it, newest first, with the same filters. Nothing loaded.
_MEMBERS = {
    "participant": (
        TeraSession.session_participants,
        TeraParticipant.id_participant,
        TeraSession.id_creator_participant,
    ),
    "user": (TeraSession.session_users, TeraUser.id_user, TeraSession.id_creator_user),
    "device": (TeraSession.session_devices, TeraDevice.id_device, TeraSession.id_creator_device),
}


def sessions_for(kind: str, member_id: int, **filters: Any) -> list[TeraSession]:
    """get_sessions_for_<kind>(member_id, **filters) of the package, through `sessions_of` unless
    TERASERVER_FAST_PATHS is off."""
    if context.settings().fast_paths:
        return sessions_of(kind, member_id, **filters)
    return getattr(TeraSession, f"get_sessions_for_{kind}")(member_id, **filters)


def sessions_of(kind: str, member_id: int, **filters: Any) -> list[TeraSession]:
    """The sessions the package's get_sessions_for_<kind>(member_id, **filters) selects, in its order, with
    what to_json() reads of their relationships (see the module's docstring)."""
    if not any(filters.values()):
        # The list without filters (what the clients ask for): the package's statement, prepared.
        rows = _selection(kind).execute(TeraSession.db().session.connection(), member=member_id)
        return with_relationships(rows)
    relationship, member_key, creator_key = _MEMBERS[kind]
    query: Query[TeraSession] = (
        TeraSession.query.options(lazyload("*"))
        .join(relationship)
        .filter(or_(member_key == member_id, creator_key == member_id))
        .order_by(TeraSession.session_start_datetime.desc())
        .order_by(TeraSession.id_session.desc())
        .distinct(TeraSession.id_session, TeraSession.session_start_datetime)
    )
    query = TeraSession._set_query_parameters(query=query, **filters)
    return with_relationships([{name: getattr(session, name) for name in _COLUMNS} for session in query.all()])


@functools.cache
def _selection(kind: str) -> PreparedStatement:
    """The statement of `sessions_of` without filters, as the ORM sends it: the same selection, rewritten by the
    package's own soft-delete rewriter (the hook the ORM's execution runs), then prepared. The member is `member`."""
    relationship, member_key, creator_key = _MEMBERS[kind]
    member = bindparam("member")
    statement = (
        select(TeraSession)
        .join(relationship)
        .where(or_(member_key == member, creator_key == member))
        .order_by(TeraSession.session_start_datetime.desc())
        .order_by(TeraSession.id_session.desc())
        .distinct(TeraSession.id_session, TeraSession.session_start_datetime)
    )
    statement = SoftDeleteQueryRewriter("deleted_at", "include_deleted").rewrite_statement(statement)
    return PreparedStatement(f"teraserver_sessions_of_{kind}", statement)


def with_relationships(sessions: Sequence[Mapping[str, Any]]) -> list[TeraSession]:
    """Transient sessions made of `sessions` (each every column, by attribute name), in their order, holding what
    to_json() reads of their relationships."""
    if not sessions:
        return []
    rows = _RELATED.execute(TeraSession.db().session.connection(), ids=[session["id_session"] for session in sessions])
    related = {row["id_session"]: row for row in rows}
    shared = _Shared()
    return [_session(session, related[session["id_session"]], shared) for session in sessions]


class _Shared:
    """The related rows of one list, one transient instance per distinct row: a participant's sessions all name
    that participant, its project, a few creators and types. to_json() only reads them, so the sessions of the
    list can share them (one instance each instead of one per session and relationship)."""

    def __init__(self) -> None:
        self._instances: dict[tuple[Any, ...], Any] = {}

    def get(self, model: Any, values: Mapping[str, Any]) -> Any:
        key = (model, *values.items())
        instance = self._instances.get(key)
        if instance is None:
            instance = self._instances[key] = transient(model, values)
        return instance

    def participant(self, values: Mapping[str, Any]) -> TeraParticipant:
        key = (TeraParticipant, *values.items())
        participant = self._instances.get(key)
        if participant is None:
            fields = {name: value for name, value in values.items() if name != "project_name"}
            participant = self._instances[key] = transient(TeraParticipant, fields)
            project_name = values["project_name"]
            vars(participant)["participant_project"] = (
                None if project_name is None else self.get(TeraProject, {"project_name": project_name})
            )
        return participant

    def named(self, model: Any, **values: Any) -> Any:
        """A creator as the lazy load gives it: None when it is missing or soft-deleted (no uuid came back)."""
        uuid = next(value for name, value in values.items() if name.endswith("_uuid"))
        return None if uuid is None else self.get(model, values)


def _session(columns: Mapping[str, Any], row: Mapping[str, Any], shared: _Shared) -> TeraSession:
    copy = transient(TeraSession, columns)
    vars(copy).update(
        session_participants=[shared.participant(values) for values in row["participants"] or ()],
        session_users=[shared.get(TeraUser, values) for values in row["users"] or ()],
        session_devices=[shared.get(TeraDevice, values) for values in row["devices"] or ()],
        # to_json() only counts these.
        session_assets=[None] * row["assets_count"],
        session_tests=[None] * row["tests_count"],
        session_creator_user=shared.named(
            TeraUser,
            user_uuid=row["creator_user_uuid"],
            user_firstname=row["creator_user_firstname"],
            user_lastname=row["creator_user_lastname"],
        ),
        session_creator_device=shared.named(
            TeraDevice, device_uuid=row["creator_device_uuid"], device_name=row["creator_device_name"]
        ),
        session_creator_participant=shared.named(
            TeraParticipant,
            participant_uuid=row["creator_participant_uuid"],
            participant_name=row["creator_participant_name"],
        ),
        session_creator_service=shared.named(
            TeraService, service_uuid=row["creator_service_uuid"], service_name=row["creator_service_name"]
        ),
        session_session_type=None
        if row["live_session_type"] is None
        else shared.get(
            TeraSessionType,
            {
                "id_session_type": row["live_session_type"],
                "session_type_name": row["session_type_name"],
                "session_type_color": row["session_type_color"],
            },
        ),
    )
    return copy
