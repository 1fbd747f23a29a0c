"""What a device may see and change: our implementation of the rules of upstream's DBManagerTeraDeviceAccess.

* Participants: the ones the device is associated with (t_devices_participants).
* Session types: those linked to one of the device's projects (t_sessions_types_projects).
* Sessions it may update, and whose assets it may list by session: the sessions it created.
* Sessions whose events it may write: the sessions it created or takes part in (t_sessions_devices).
* Assets: the ones recorded as its own (`t_assets.id_device`).
* Services (for asset URLs): those linked to one of the device's projects, enabled or not.
"""

from __future__ import annotations

from datetime import datetime

from opentera.db.models.TeraAsset import TeraAsset
from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraDeviceParticipant import TeraDeviceParticipant
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraProject import TeraProject
from opentera.db.models.TeraService import TeraService
from opentera.db.models.TeraServiceProject import TeraServiceProject
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraSessionType import TeraSessionType
from sqlalchemy import func
from sqlalchemy.orm import lazyload

from teraserver import context, queries


class DeviceAccess:
    def __init__(self, device: TeraDevice) -> None:
        self.device = device

    def projects_ids(self) -> list[int]:
        return [project.id_project for project in self.device.device_projects]

    def participants(self) -> list[TeraParticipant]:
        """The device's participants (its `device_participants`): with their projects in the same statement
        (queries.device_participants), or without them (loaded when read) when TERASERVER_FAST_PATHS is off."""
        if context.fast_paths():
            return queries.device_participants(self.device.id_device)
        query = TeraParticipant.query.options(lazyload(TeraParticipant.participant_project))
        link = TeraDeviceParticipant
        query = query.join(link, link.id_participant == TeraParticipant.id_participant)
        return query.filter(link.id_device == self.device.id_device).all()

    def session_types(self) -> list[TeraSessionType]:
        """The session types of the device's projects: in one statement (queries.device_session_types), or
        through its projects and then the ORM query when TERASERVER_FAST_PATHS is off."""
        if context.fast_paths():
            return queries.device_session_types(self.device.id_device)
        return (
            TeraSessionType.query.join(TeraSessionType.session_type_projects)
            .filter(TeraProject.id_project.in_(self.projects_ids()))
            .all()
        )

    def session_types_ids(self) -> list[int]:
        return [session_type.id_session_type for session_type in self.session_types()]

    def created_sessions_ids(self) -> list[int]:
        # The ids only: loading the sessions would also load each one's selectin relationships.
        rows = TeraSession.query.with_entities(TeraSession.id_session)
        return [row.id_session for row in rows.filter(TeraSession.id_creator_device == self.device.id_device)]

    def session_for_events(self, id_session: int) -> TeraSession | None:
        """The session if the device created it or is one of its devices, else None (unknown included)."""
        session = TeraSession.get_session_by_id(id_session)
        if session is None:
            return None
        if session.id_creator_device == self.device.id_device:
            return session
        if any(member.id_device == self.device.id_device for member in session.session_devices):
            return session
        return None

    def existing_session(
        self, name: str, id_session_type: int, start: datetime, participant_uuids: list[str]
    ) -> TeraSession | None:
        """A session this device already created with that name, type, start day and exact participant set
        (upstream answers it instead of creating a duplicate); the oldest one wins."""
        candidates = (
            TeraSession.query.filter(TeraSession.id_creator_device == self.device.id_device)
            .filter(TeraSession.session_name == name)
            .filter(TeraSession.id_session_type == id_session_type)
            .filter(func.date(TeraSession.session_start_datetime) == start.date())
            .order_by(TeraSession.id_session.asc())
            .all()
        )
        wanted = set(participant_uuids)
        for session in candidates:
            if {participant.participant_uuid for participant in session.session_participants} == wanted:
                return session
        return None

    def assets(self, id_asset: int | None, asset_uuid: str | None, id_session: int | None) -> list[TeraAsset]:
        """The device's own assets, narrowed by the first filter given (id, then uuid, then session)."""
        query = TeraAsset.query.filter(TeraAsset.id_device == self.device.id_device)
        if id_asset:
            query = query.filter(TeraAsset.id_asset == id_asset)
        elif asset_uuid:
            query = query.filter(TeraAsset.asset_uuid == asset_uuid)
        elif id_session:
            query = query.filter(TeraAsset.id_session == id_session)
        return query.all()

    def services(self) -> list[TeraService]:
        return (
            TeraService.query.join(TeraServiceProject)
            .filter(TeraServiceProject.id_project.in_(self.projects_ids()))
            .group_by(TeraService.id_service)
            .all()
        )
