"""Query helpers for hot request paths.

The package installs a Session hook that rewrites every ORM SELECT to hide soft-deleted rows; the rewrite
compiles the statement each time (~3 ms per query here), which dominated GET /api/user/services. For the
queries below we filter `deleted_at IS NULL` ourselves and tell the hook to stand aside with the package's
own `include_deleted` execution option: same rows, no per-query rewrite.
"""

from __future__ import annotations

from typing import Any

from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceParticipant import TeraDeviceParticipant
from opentera.db.models.TeraDeviceProject import TeraDeviceProject
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraServerSettings import TeraServerSettings
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraSessionType import TeraSessionType
from opentera.db.models.TeraSessionTypeProject import TeraSessionTypeProject
from opentera.db.models.TeraUser import TeraUser
from sqlalchemy import any_, bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value

from teraserver.instances import persistent, transient
from teraserver.prepared import PreparedStatement


def live(model: Any) -> Any:
    """`model.query` limited to rows that are not soft-deleted, without the rewrite hook."""
    return model.query.execution_options(include_deleted=True).filter(model.deleted_at.is_(None))


# Statements and loader options built once, at import: SQLAlchemy memoizes a statement's cache key on the
# object, so reusing the same object skips rebuilding and re-hashing it on every request (token checks run
# on every request).
_ALL_LIVE_SERVICES = (
    select(TeraService)
    .where(TeraService.deleted_at.is_(None))
    .order_by(TeraService.id_service)
    .execution_options(include_deleted=True)
)
# Every authenticated user request reads its user: a prepared statement (teraserver.prepared) whose columns
# are named by mapped attribute, made a persistent TeraUser without the ORM's query path (teraserver.instances).
_LIVE_USER_BY_UUID = PreparedStatement(
    "teraserver_live_user_by_uuid",
    select(*(column.label(key) for key, column in TeraUser.__mapper__.columns.items()))
    .where(TeraUser.user_uuid == bindparam("user_uuid"), TeraUser.deleted_at.is_(None))
    .limit(1),
)


def _all_columns(model: Any) -> list[Any]:
    return [column.label(key) for key, column in model.__mapper__.columns.items()]


# The device and participant APIs read their caller on every request the same way (behind TERASERVER_FAST_PATHS,
# see device_auth.py and participant_auth.py). The ORM's own lookups also load the relationships the models mark
# `selectin` (a device's projects, a participant's project): one more statement each, for data most handlers never
# read. Here those relationships stay unloaded and load lazily, with the same soft-delete filter, when read.
_DEVICE_TOKEN_KEY = "teraserver_device_token_key"
_LIVE_DEVICE_BY_TOKEN = PreparedStatement(
    "teraserver_live_device_by_token",
    select(
        *_all_columns(TeraDevice),
        # The key the token must verify under (TeraServerSettings.get_server_setting_value), in the same round trip.
        select(TeraServerSettings.server_settings_value)
        .where(TeraServerSettings.server_settings_name == TeraServerSettings.ServerDeviceTokenKey)
        .limit(1)
        .scalar_subquery()
        .label(_DEVICE_TOKEN_KEY),
    )
    .where(TeraDevice.device_token == bindparam("token"), TeraDevice.deleted_at.is_(None))
    .limit(1),
)
_LIVE_PARTICIPANT_BY_TOKEN = PreparedStatement(
    "teraserver_live_participant_by_token",
    select(*_all_columns(TeraParticipant))
    .where(TeraParticipant.participant_token == bindparam("token"), TeraParticipant.deleted_at.is_(None))
    .limit(1),
)
_LIVE_PARTICIPANT_BY_UUID = PreparedStatement(
    "teraserver_live_participant_by_uuid",
    select(*_all_columns(TeraParticipant))
    .where(TeraParticipant.participant_uuid == bindparam("participant_uuid"), TeraParticipant.deleted_at.is_(None))
    .limit(1),
)


# A participant's token check (participant_auth.verify_participant_token) looks for the participant holding the
# token as its static token and, failing that, for the participant a dynamic token names: one statement for both
# (TERASERVER_FAST_PATHS). `holds_token` tells the rows found by token from the one found by uuid.
_HOLDS_TOKEN = "teraserver_holds_token"
_LIVE_PARTICIPANTS_BY_TOKEN_OR_UUID = PreparedStatement(
    "teraserver_live_participants_by_token_or_uuid",
    select(
        *_all_columns(TeraParticipant),
        (TeraParticipant.participant_token == bindparam("token")).label(_HOLDS_TOKEN),
    ).where(
        TeraParticipant.deleted_at.is_(None),
        (TeraParticipant.participant_token == bindparam("token"))
        | (TeraParticipant.participant_uuid == bindparam("participant_uuid")),
    ),
)


def participant_rows_by_token_or_uuid(token: str, participant_uuid: str | None) -> tuple[Any, Any]:
    """(the row of the live participant whose `participant_token` is `token`, the row of the live participant with
    that uuid), each None when there is none: what participant_by_token() and participant_by_uuid() read, in one
    statement. Rows, not instances: the caller makes persistent the one it keeps (`as_participant`)."""
    session = TeraParticipant.db().session
    rows = _LIVE_PARTICIPANTS_BY_TOKEN_OR_UUID.execute(
        session.connection(), token=token, participant_uuid=participant_uuid
    )
    by_token = next((row for row in rows if row[_HOLDS_TOKEN]), None)
    by_uuid = next(
        (row for row in rows if participant_uuid is not None and row["participant_uuid"] == participant_uuid), None
    )
    return by_token, by_uuid


# GET /api/participant/devices answered in front of Flask (api/direct.py): the token check's statement above, each
# participant found joined to its live devices (device columns prefixed; no device: one row, device columns null),
# so the devices of the participant a dynamic token names come in the same round trip. The devices are those of
# _PARTICIPANT_DEVICES (a live link to a live device), by id.
_DEVICE_COLUMN_PREFIX = "device__"
_LINK = TeraDeviceParticipant.__table__
_LIVE_PARTICIPANTS_BY_TOKEN_OR_UUID_WITH_DEVICES = PreparedStatement(
    "teraserver_live_participants_by_token_or_uuid_with_devices",
    select(
        *_all_columns(TeraParticipant),
        (TeraParticipant.participant_token == bindparam("token")).label(_HOLDS_TOKEN),
        *(column.label(_DEVICE_COLUMN_PREFIX + key) for key, column in TeraDevice.__mapper__.columns.items()),
    )
    .select_from(
        TeraParticipant.__table__.outerjoin(
            _LINK, (_LINK.c.id_participant == TeraParticipant.id_participant) & _LINK.c.deleted_at.is_(None)
        ).outerjoin(TeraDevice.__table__, (TeraDevice.id_device == _LINK.c.id_device) & TeraDevice.deleted_at.is_(None))
    )
    .where(
        TeraParticipant.deleted_at.is_(None),
        (TeraParticipant.participant_token == bindparam("token"))
        | (TeraParticipant.participant_uuid == bindparam("participant_uuid")),
    )
    .order_by(TeraParticipant.id_participant, TeraDevice.id_device),
)


def participant_rows_by_token_or_uuid_with_devices(
    token: str, participant_uuid: str | None
) -> tuple[Any, Any, list[TeraDevice]]:
    """participant_rows_by_token_or_uuid()'s two rows, and the live devices of the one found by uuid (by id, as
    participant_devices() gives them), in one statement."""
    rows = _LIVE_PARTICIPANTS_BY_TOKEN_OR_UUID_WITH_DEVICES.execute(
        TeraParticipant.db().session.connection(), token=token, participant_uuid=participant_uuid
    )
    participants: dict[int, dict[str, Any]] = {}
    devices: dict[int, list[TeraDevice]] = {}
    start = len(_DEVICE_COLUMN_PREFIX)
    for row in rows:
        values = {key: value for key, value in row.items() if not key.startswith(_DEVICE_COLUMN_PREFIX)}
        participants.setdefault(values["id_participant"], values)
        if row[_DEVICE_COLUMN_PREFIX + "id_device"] is not None:
            device = {key[start:]: value for key, value in row.items() if key.startswith(_DEVICE_COLUMN_PREFIX)}
            devices.setdefault(values["id_participant"], []).append(transient(TeraDevice, device))
    by_token = next((row for row in participants.values() if row[_HOLDS_TOKEN]), None)
    by_uuid = next(
        (
            row
            for row in participants.values()
            if participant_uuid is not None and row["participant_uuid"] == participant_uuid
        ),
        None,
    )
    return by_token, by_uuid, devices.get(by_uuid["id_participant"], []) if by_uuid is not None else []


# GET /api/user/projects?list=true's counts (api/user/projects.list_counts): per listed project, its live participant
# groups and its live participants (the ones the user sees of a project the user sees), in one statement instead of
# two ORM queries (each through the soft-delete rewrite).
_PROJECT_LIST_COUNTS = PreparedStatement(
    "teraserver_project_list_counts",
    select(
        TeraProject.id_project,
        select(func.count())
        .select_from(TeraParticipantGroup)
        .where(TeraParticipantGroup.id_project == TeraProject.id_project, TeraParticipantGroup.deleted_at.is_(None))
        .scalar_subquery()
        .label("groups"),
        select(func.count())
        .select_from(TeraParticipant)
        .where(TeraParticipant.id_project == TeraProject.id_project, TeraParticipant.deleted_at.is_(None))
        .scalar_subquery()
        .label("participants"),
    ).where(TeraProject.id_project == any_(bindparam("projects"))),
)


def project_list_counts(project_ids: list[int]) -> dict[int, tuple[int, int]]:
    """id_project -> (its live participant groups, its live participants), for each of `project_ids`."""
    rows = _PROJECT_LIST_COUNTS.execute(TeraProject.db().session.connection(), projects=project_ids)
    return {row["id_project"]: (row["groups"], row["participants"]) for row in rows}


def as_participant(row: dict[str, Any]) -> TeraParticipant:
    """A row of participant_rows_by_token_or_uuid(), persistent in the request's session."""
    values = {key: value for key, value in row.items() if key != _HOLDS_TOKEN}
    return persistent(TeraParticipant.db().session, TeraParticipant, values)


def device_by_token(token: str) -> tuple[TeraDevice, str | None] | None:
    """(the live device whose `device_token` is `token`, the TokenEncryptionKey setting), or None: what
    `TeraDevice.query.filter(device_token == token).first()` and the setting's lookup give, in one statement."""
    session = TeraDevice.db().session
    rows = _LIVE_DEVICE_BY_TOKEN.execute(session.connection(), token=token)
    if not rows:
        return None
    values = dict(rows[0])
    key = values.pop(_DEVICE_TOKEN_KEY)
    return persistent(session, TeraDevice, values), key


def participant_by_token(token: str) -> TeraParticipant | None:
    """The live participant whose `participant_token` is `token` (TeraParticipant.query.filter_by(...).first())."""
    session = TeraParticipant.db().session
    rows = _LIVE_PARTICIPANT_BY_TOKEN.execute(session.connection(), token=token)
    return persistent(session, TeraParticipant, rows[0]) if rows else None


def participant_by_uuid(participant_uuid: str) -> TeraParticipant | None:
    """The live participant with this uuid (TeraParticipant.get_participant_by_uuid)."""
    session = TeraParticipant.db().session
    rows = _LIVE_PARTICIPANT_BY_UUID.execute(session.connection(), participant_uuid=participant_uuid)
    return persistent(session, TeraParticipant, rows[0]) if rows else None


def user_by_uuid(user_uuid: str) -> TeraUser | None:
    """The live user with this UUID, persistent in the request's session as if a query had loaded it."""
    session = TeraUser.db().session
    rows = _LIVE_USER_BY_UUID.execute(session.connection(), user_uuid=user_uuid)
    return as_user(rows[0]) if rows else None


def as_user(values: dict[str, Any]) -> TeraUser:
    """A user's row (every column, by attribute name), persistent in the request's session."""
    return persistent(TeraUser.db().session, TeraUser, values)


def services() -> Any:
    """Live services query (relationships load lazily; the full JSON: teraserver.service_json)."""
    return live(TeraService)


def all_live_services() -> list[TeraService]:
    """Every service that is not soft-deleted, by id (what a superadmin sees)."""
    return list(TeraService.db().session.execute(_ALL_LIVE_SERVICES).scalars())


# The participants a user sees (UserAccess.accessible_participants): every live one for a superadmin, else those of
# the user's projects; each with its live project, which the models load `selectin` and to_json() reads (one more
# statement through the ORM). Ordered by id, as the ORM query is.
_PROJECT_COLUMN_PREFIX = "project__"
_PARTICIPANT_WITH_PROJECT = select(
    *_all_columns(TeraParticipant),
    *(column.label(_PROJECT_COLUMN_PREFIX + key) for key, column in TeraProject.__mapper__.columns.items()),
).select_from(
    TeraParticipant.__table__.outerjoin(
        TeraProject.__table__,
        (TeraProject.id_project == TeraParticipant.id_project) & TeraProject.deleted_at.is_(None),
    )
)
_LIVE_PARTICIPANTS = PreparedStatement(
    "teraserver_live_participants",
    _PARTICIPANT_WITH_PROJECT.where(TeraParticipant.deleted_at.is_(None)).order_by(TeraParticipant.id_participant),
)
_LIVE_PARTICIPANTS_OF_PROJECTS = PreparedStatement(
    "teraserver_live_participants_of_projects",
    _PARTICIPANT_WITH_PROJECT.where(
        TeraParticipant.id_project == any_(bindparam("projects")), TeraParticipant.deleted_at.is_(None)
    ).order_by(TeraParticipant.id_participant),
)
_LIVE_PARTICIPANT_IDS = PreparedStatement(
    "teraserver_live_participant_ids",
    select(TeraParticipant.id_participant)
    .where(TeraParticipant.deleted_at.is_(None))
    .order_by(TeraParticipant.id_participant),
)
_LIVE_PARTICIPANT_IDS_OF_PROJECTS = PreparedStatement(
    "teraserver_live_participant_ids_of_projects",
    select(TeraParticipant.id_participant)
    .where(TeraParticipant.id_project == any_(bindparam("projects")), TeraParticipant.deleted_at.is_(None))
    .order_by(TeraParticipant.id_participant),
)


# A device's participants (TeraDevice.device_participants, and DeviceAccess.participants()): the live ones linked
# to it by a live link row, with their live project, in no set order (as the relationship's load), in one
# statement instead of the relationship's load and its `selectin` load of the projects.
_DEVICE_LINK = TeraDeviceParticipant.__table__
_LIVE_PARTICIPANTS_OF_DEVICE = PreparedStatement(
    "teraserver_live_participants_of_device",
    _PARTICIPANT_WITH_PROJECT.join(_DEVICE_LINK, _DEVICE_LINK.c.id_participant == TeraParticipant.id_participant).where(
        _DEVICE_LINK.c.id_device == bindparam("device"),
        _DEVICE_LINK.c.deleted_at.is_(None),
        TeraParticipant.deleted_at.is_(None),
    ),
)


# A participant's devices (GET /api/participant/devices): the live devices linked to it by a live link row, by id,
# as columns only (to_json() reads no relationship): what the ORM query gives, without its query path.
_PARTICIPANT_DEVICES = (
    select(*_all_columns(TeraDevice))
    .select_from(
        TeraDevice.__table__.join(
            TeraDeviceParticipant.__table__, TeraDeviceParticipant.id_device == TeraDevice.id_device
        )
    )
    .where(
        TeraDeviceParticipant.id_participant == bindparam("participant"),
        TeraDevice.deleted_at.is_(None),
        TeraDeviceParticipant.deleted_at.is_(None),
    )
    .order_by(TeraDevice.id_device)
)
_LIVE_DEVICES_OF_PARTICIPANT = PreparedStatement("teraserver_live_devices_of_participant", _PARTICIPANT_DEVICES)
_LIVE_DEVICE_OF_PARTICIPANT = PreparedStatement(
    "teraserver_live_device_of_participant", _PARTICIPANT_DEVICES.where(TeraDevice.id_device == bindparam("device"))
)


def participant_devices(id_participant: int, id_device: int | None = None) -> list[TeraDevice]:
    """The live devices of the participant (only `id_device` if given) by id, as transient instances holding
    their columns."""
    connection = TeraDevice.db().session.connection()
    if id_device is None:
        rows = _LIVE_DEVICES_OF_PARTICIPANT.execute(connection, participant=id_participant)
    else:
        rows = _LIVE_DEVICE_OF_PARTICIPANT.execute(connection, participant=id_participant, device=id_device)
    return [transient(TeraDevice, row) for row in rows]


# A device's session types (DeviceAccess.session_types): the live session types linked to a live project of the
# device. Through the ORM, the device's projects (a relationship load) and then the session types of their ids:
# two statements and two ORM query paths. Here one, the same join as the ORM's (whose link rows it does not check
# for deletion either), the projects read in a subquery; the legacy Query gives each session type once (by
# primary key, first row first), and so does device_session_types().
_LIVE_SESSION_TYPES_OF_DEVICE = PreparedStatement(
    "teraserver_live_session_types_of_device",
    select(*_all_columns(TeraSessionType))
    .select_from(
        TeraSessionType.__table__.join(
            TeraSessionTypeProject.__table__, TeraSessionType.id_session_type == TeraSessionTypeProject.id_session_type
        ).join(TeraProject.__table__, TeraProject.id_project == TeraSessionTypeProject.id_project)
    )
    .where(
        TeraProject.id_project.in_(
            select(TeraDeviceProject.id_project).where(
                TeraDeviceProject.id_device == bindparam("device"), TeraDeviceProject.deleted_at.is_(None)
            )
        ),
        TeraSessionType.deleted_at.is_(None),
        TeraProject.deleted_at.is_(None),
    ),
)


def device_session_types(id_device: int) -> list[TeraSessionType]:
    """The live session types of the live projects of the device, each once, as transient instances holding
    their columns (what the minimal JSON and the ids read)."""
    rows = _LIVE_SESSION_TYPES_OF_DEVICE.execute(TeraSessionType.db().session.connection(), device=id_device)
    unique = {}
    for row in rows:
        unique.setdefault(row["id_session_type"], row)
    return [transient(TeraSessionType, row) for row in unique.values()]


def live_participants(projects: list[int] | None) -> list[TeraParticipant]:
    """The live participants (of `projects`, or all with None) by id, persistent in the request's session with
    their live project loaded (None when it is soft-deleted), as TeraParticipant.query...all() gives them."""
    session = TeraParticipant.db().session
    connection = session.connection()
    if projects is None:
        rows = _LIVE_PARTICIPANTS.execute(connection)
    else:
        rows = _LIVE_PARTICIPANTS_OF_PROJECTS.execute(connection, projects=projects)
    return _with_projects(session, rows)


def device_participants(id_device: int) -> list[TeraParticipant]:
    """The live participants of the device `id_device`, as live_participants() gives them (what its
    `device_participants` holds, each with its project loaded)."""
    session = TeraParticipant.db().session
    return _with_projects(session, _LIVE_PARTICIPANTS_OF_DEVICE.execute(session.connection(), device=id_device))


def _with_projects(session: Any, rows: list[dict[str, Any]]) -> list[TeraParticipant]:
    participants = []
    for row in rows:
        values = {key: value for key, value in row.items() if not key.startswith(_PROJECT_COLUMN_PREFIX)}
        participant = persistent(session, TeraParticipant, values)
        if "participant_project" not in vars(participant):
            project = None
            if row[_PROJECT_COLUMN_PREFIX + "id_project"] is not None:
                start = len(_PROJECT_COLUMN_PREFIX)
                fields = {key[start:]: value for key, value in row.items() if key.startswith(_PROJECT_COLUMN_PREFIX)}
                project = persistent(session, TeraProject, fields)
            set_committed_value(participant, "participant_project", project)
        participants.append(participant)
    return participants


def live_participant_ids(projects: list[int] | None) -> list[int]:
    """The ids of `live_participants(projects)`."""
    connection = TeraParticipant.db().session.connection()
    if projects is None:
        rows = _LIVE_PARTICIPANT_IDS.execute(connection)
    else:
        rows = _LIVE_PARTICIPANT_IDS_OF_PROJECTS.execute(connection, projects=projects)
    return [row["id_participant"] for row in rows]
