"""Server settings rows (t_server_settings) that the boot sequence reads or refreshes."""

from __future__ import annotations

from dataclasses import dataclass

from opentera.db.models.TeraServerSettings import TeraServerSettings
from opentera.utils.TeraVersions import TeraVersions


@dataclass(frozen=True)
class StaticKeys:
    """Keys stored in the database and therefore stable across restarts (device and static participant tokens)."""

    device_token_key: str  # TokenEncryptionKey
    participant_token_key: str  # ParticipantTokenEncryptionKey


def read_static_keys() -> StaticKeys:
    device = TeraServerSettings.get_server_setting_value(TeraServerSettings.ServerDeviceTokenKey)
    participant = TeraServerSettings.get_server_setting_value(TeraServerSettings.ServerParticipantTokenKey)
    if not device or not participant:
        # create_defaults writes both on a fresh database; a missing one means someone edited the table.
        raise RuntimeError("server settings TokenEncryptionKey / ParticipantTokenEncryptionKey are missing")
    return StaticKeys(device_token_key=device, participant_token_key=participant)


def read_server_uuid() -> str | None:
    return TeraServerSettings.get_server_setting_value(TeraServerSettings.ServerUUID)


def refresh_server_versions() -> dict:
    """As upstream at every start: load known client versions, then save with this package's server version."""
    versions = TeraVersions()
    versions.load_from_db()
    versions.save_to_db()
    return versions.to_dict()
