"""Assets as `TeraAsset.to_json()` needs them, in one statement instead of a cascade of loads per asset.

The full JSON of an asset names its session, owner service, device, user, participant and creator service,
each read through a relationship. Through the ORM each of those is a lazy load, and the session's own
`selectin` relationships (members, type, assets, tests) and those of the loaded members follow: 20 statements
for the 4 assets of GET /api/device/assets on upstream's test data, ~2/3 of the request's CPU. Here one
prepared statement (teraserver.prepared) returns, per asset, the names to_json() reads, from live rows only
(`deleted_at` NULL: what the package's soft-delete filter gives those loads), and the assets become transient
copies (never added to the ORM session) holding them; the model's own to_json() then makes the JSON. A related
row that is missing or soft-deleted is None, as the lazy load gives it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionDevices import TeraSessionDevices
from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
from opentera.db.models.TeraSessionUsers import TeraSessionUsers
from opentera.db.models.TeraUser import TeraUser
from sqlalchemy import any_, bindparam, exists, literal_column, or_, select, true

from teraserver import context
from teraserver.instances import transient
from teraserver.prepared import PreparedStatement

_ASSETS = TeraAsset.__table__
_COLUMNS = tuple(column.key for column in _ASSETS.columns)
_SESSION, _DEVICE, _USER = TeraSession.__table__, TeraDevice.__table__, TeraUser.__table__
_PARTICIPANT = TeraParticipant.__table__
_OWNER, _SERVICE = TeraService.__table__.alias("owner_service"), TeraService.__table__.alias("creator_service")

_RELATED = PreparedStatement(
    "teraserver_assets_related",
    select(
        _ASSETS.c.id_asset,
        _SESSION.c.session_name,
        _SESSION.c.id_session.label("live_session"),
        _OWNER.c.service_name.label("owner_service_name"),
        _OWNER.c.id_service.label("live_owner_service"),
        _DEVICE.c.device_name,
        _DEVICE.c.id_device.label("live_device"),
        _USER.c.user_firstname,
        _USER.c.user_lastname,
        _USER.c.id_user.label("live_user"),
        _PARTICIPANT.c.participant_name,
        _PARTICIPANT.c.id_participant.label("live_participant"),
        _SERVICE.c.service_name.label("creator_service_name"),
        _SERVICE.c.id_service.label("live_creator_service"),
    )
    .select_from(
        _ASSETS.outerjoin(_SESSION, (_SESSION.c.id_session == _ASSETS.c.id_session) & _SESSION.c.deleted_at.is_(None))
        .outerjoin(_OWNER, (_OWNER.c.service_uuid == _ASSETS.c.asset_service_uuid) & _OWNER.c.deleted_at.is_(None))
        .outerjoin(_DEVICE, (_DEVICE.c.id_device == _ASSETS.c.id_device) & _DEVICE.c.deleted_at.is_(None))
        .outerjoin(_USER, (_USER.c.id_user == _ASSETS.c.id_user) & _USER.c.deleted_at.is_(None))
        .outerjoin(
            _PARTICIPANT,
            (_PARTICIPANT.c.id_participant == _ASSETS.c.id_participant) & _PARTICIPANT.c.deleted_at.is_(None),
        )
        .outerjoin(_SERVICE, (_SERVICE.c.id_service == _ASSETS.c.id_service) & _SERVICE.c.deleted_at.is_(None))
    )
    .where(_ASSETS.c.id_asset == any_(bindparam("ids"))),
)


# The assets of a participant, device or user (TeraAsset.get_assets_for_participant / _for_device / _for_user):
# those of the sessions it is part of, and those it made, in a live session. The same SQL as the package's query
# after the soft-delete rewrite (live assets and sessions; the member row itself is not checked for deletion
# there either), prepared once per connection and read as columns: the ORM's query path (cache key of the
# relationship's EXISTS, rewrite, loading) was most of GET /api/user/assets?id_participant=.
def _assets_of(member: Any, member_column: str, link: Any) -> PreparedStatement:
    return PreparedStatement(f"teraserver_assets_of_{member_column}", _assets_select(member, member_column, link))


def _assets_select(member: Any, member_column: str, link: Any) -> Any:
    member_table, link_table = member.__table__, link.__table__
    member_id = member_table.c[member_column]
    in_session = exists(
        select(literal_column("1"))
        .select_from(member_table, link_table)
        .where(
            _SESSION.c.id_session == link_table.c.id_session,
            member_id == link_table.c[member_column],
            member_id == bindparam("member"),
        )
    )
    return (
        select(*(_ASSETS.c[name] for name in _COLUMNS))
        .select_from(_ASSETS.join(_SESSION, _SESSION.c.id_session == _ASSETS.c.id_session))
        .where(
            or_(in_session, _ASSETS.c[member_column] == bindparam("maker")),
            _ASSETS.c.deleted_at.is_(None),
            _SESSION.c.deleted_at.is_(None),
        )
    )


_ASSETS_OF = {
    "id_participant": _assets_of(TeraParticipant, "id_participant", TeraSessionParticipants),
    "id_device": _assets_of(TeraDevice, "id_device", TeraSessionDevices),
    "id_user": _assets_of(TeraUser, "id_user", TeraSessionUsers),
}
# GET /api/user/assets?id_participant= answered in front of Flask (api/direct.py): the live user a token names,
# joined to the participant's assets as above (one row with null asset columns when it has none), each row also
# holding the project of the participant when it is live (None otherwise): the token check's user, what the access
# check needs of the participant (UserAccess.accessible_participants_ids: live, and in a project the user sees
# unless superadmin) and the assets, in one statement.
_USER_COLUMN_PREFIX = "user__"
_PARTICIPANT_PROJECT = "teraserver_participant_project"
_ASSETS_OF_PARTICIPANT = _assets_select(TeraParticipant, "id_participant", TeraSessionParticipants).subquery("assets")
_LIVE_PARTICIPANT = _PARTICIPANT.alias("live_participant")
_USER_WITH_ASSETS_OF_PARTICIPANT = PreparedStatement(
    "teraserver_user_with_assets_of_participant",
    select(
        *(column.label(_USER_COLUMN_PREFIX + key) for key, column in TeraUser.__mapper__.columns.items()),
        select(_LIVE_PARTICIPANT.c.id_project)
        .where(_LIVE_PARTICIPANT.c.id_participant == bindparam("member"), _LIVE_PARTICIPANT.c.deleted_at.is_(None))
        .scalar_subquery()
        .label(_PARTICIPANT_PROJECT),
        *(_ASSETS_OF_PARTICIPANT.c[name] for name in _COLUMNS),
    )
    .select_from(_USER.outerjoin(_ASSETS_OF_PARTICIPANT, true()))
    .where(_USER.c.user_uuid == bindparam("user_uuid"), _USER.c.deleted_at.is_(None)),
)
_PACKAGE_QUERY = {
    "id_participant": TeraAsset.get_assets_for_participant,
    "id_device": TeraAsset.get_assets_for_device,
    "id_user": TeraAsset.get_assets_for_user,
}


def assets_of(member_column: str, member_id: int) -> list[TeraAsset]:
    """The assets of the participant, device or user `member_id` (`member_column` names which), as transient
    instances holding their columns; the package's query when TERASERVER_FAST_PATHS is off."""
    if not context.fast_paths():
        return _PACKAGE_QUERY[member_column](member_id)
    rows = _ASSETS_OF[member_column].execute(TeraAsset.db().session.connection(), member=member_id, maker=member_id)
    return [transient(TeraAsset, row) for row in rows]


def user_and_assets_of_participant(
    user_uuid: str, id_participant: int
) -> tuple[dict[str, Any] | None, int | None, list[TeraAsset]]:
    """(the columns of the live user `user_uuid` (queries.user_by_uuid's row) or None, the project of the participant
    if it is live, its assets as assets_of() gives them), in one statement."""
    rows = _USER_WITH_ASSETS_OF_PARTICIPANT.execute(
        TeraAsset.db().session.connection(), user_uuid=user_uuid, member=id_participant, maker=id_participant
    )
    if not rows:
        return None, None, []
    start = len(_USER_COLUMN_PREFIX)
    user = {key[start:]: value for key, value in rows[0].items() if key.startswith(_USER_COLUMN_PREFIX)}
    assets = [
        transient(TeraAsset, {name: row[name] for name in _COLUMNS}) for row in rows if row["id_asset"] is not None
    ]
    return user, rows[0][_PARTICIPANT_PROJECT], assets


def for_json(assets: Sequence[TeraAsset]) -> list[TeraAsset]:
    """`assets` ready for their full to_json(): transient copies holding what it reads of their relationships
    (read in one statement), or the ORM's instances as they are when TERASERVER_FAST_PATHS is off."""
    if not context.fast_paths():
        return list(assets)
    return with_relationships(assets)


def with_relationships(assets: Sequence[TeraAsset]) -> list[TeraAsset]:
    """Transient copies of `assets`, in their order, holding what to_json() reads of their relationships."""
    if not assets:
        return []
    rows = _RELATED.execute(TeraAsset.db().session.connection(), ids=[asset.id_asset for asset in assets])
    related = {row["id_asset"]: row for row in rows}
    return [_asset(asset, related[asset.id_asset]) for asset in assets]


def _asset(asset: TeraAsset, row: Mapping[str, Any]) -> TeraAsset:
    copy = transient(TeraAsset, {name: getattr(asset, name) for name in _COLUMNS})
    vars(copy).update(
        asset_session=_live(row, "live_session", TeraSession, session_name=row["session_name"]),
        asset_service_owner=_live(row, "live_owner_service", TeraService, service_name=row["owner_service_name"]),
        asset_device=_live(row, "live_device", TeraDevice, device_name=row["device_name"]),
        asset_user=_live(
            row, "live_user", TeraUser, user_firstname=row["user_firstname"], user_lastname=row["user_lastname"]
        ),
        asset_participant=_live(row, "live_participant", TeraParticipant, participant_name=row["participant_name"]),
        asset_service=_live(row, "live_creator_service", TeraService, service_name=row["creator_service_name"]),
    )
    return copy


def _live(row: Mapping[str, Any], key: str, model: Any, **values: Any) -> Any:
    """The related row as the lazy load gives it: None when it is missing or soft-deleted (no key came back)."""
    return None if row[key] is None else transient(model, values)
