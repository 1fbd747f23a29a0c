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
from sqlalchemy import Boolean, any_, bindparam, exists, literal_column, or_, select

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
def _assets_of(member: Any, member_column: str, link: Any, *extra_columns: Any, name: str = "") -> PreparedStatement:
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
    return PreparedStatement(
        name or f"teraserver_assets_of_{member_column}",
        select(*(_ASSETS.c[name] for name in _COLUMNS), *extra_columns)
        .select_from(_ASSETS.join(_SESSION, _SESSION.c.id_session == _ASSETS.c.id_session))
        .where(
            or_(in_session, _ASSETS.c[member_column] == bindparam("maker")),
            _ASSETS.c.deleted_at.is_(None),
            _SESSION.c.deleted_at.is_(None),
        ),
    )


_ASSETS_OF = {
    "id_participant": _assets_of(TeraParticipant, "id_participant", TeraSessionParticipants),
    "id_device": _assets_of(TeraDevice, "id_device", TeraSessionDevices),
    "id_user": _assets_of(TeraUser, "id_user", TeraSessionUsers),
}
# GET /api/user/assets?id_participant= answered in front of Flask (api/direct.py): the assets of a participant as
# above, each row also telling whether the participant is one the user sees (UserAccess.accessible_participants_ids:
# live, and in one of `projects` unless `every_project`): the access check in the assets' statement.
_VISIBLE = "teraserver_visible"
_ASSETS_OF_PARTICIPANT_WITH_VISIBILITY = _assets_of(
    TeraParticipant,
    "id_participant",
    TeraSessionParticipants,
    exists(
        select(literal_column("1"))
        .select_from(_PARTICIPANT.alias("visible_participant"))
        .where(
            literal_column("visible_participant.id_participant") == bindparam("member"),
            literal_column("visible_participant.deleted_at").is_(None),
            or_(
                bindparam("every_project", type_=Boolean),
                literal_column("visible_participant.id_project") == any_(bindparam("projects")),
            ),
        )
    ).label(_VISIBLE),
    name="teraserver_assets_of_participant_with_visibility",
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


def assets_of_participant_if_visible(
    id_participant: int, projects: list[int] | None
) -> tuple[bool, list[TeraAsset]] | None:
    """(whether the participant is live and in one of `projects` (any project: None), its assets as assets_of()
    gives them), in one statement; None when it has no asset (no row tells the visibility then)."""
    rows = _ASSETS_OF_PARTICIPANT_WITH_VISIBILITY.execute(
        TeraAsset.db().session.connection(),
        member=id_participant,
        maker=id_participant,
        every_project=projects is None,
        projects=projects or [],
    )
    if not rows:
        return None
    visible = bool(rows[0][_VISIBLE])
    assets = [transient(TeraAsset, {name: row[name] for name in _COLUMNS}) for row in rows]
    return visible, assets


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
