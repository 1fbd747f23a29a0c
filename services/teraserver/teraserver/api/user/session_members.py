"""Session members posted to /api/user/sessions, and upstream's rule that a user changes or deletes a session
only when every participant, user and device in it is within reach (403 naming the kind otherwise)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from opentera.db.models.TeraDevice import TeraDevice
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraSession import TeraSession
from opentera.db.models.TeraUser import TeraUser

from teraserver.api.common import ClientError, forbidden
from teraserver.user_access import UserAccess


@dataclass(frozen=True)
class MemberChanges:
    """Wanted member ids per kind; None = that kind was not posted (left as it is)."""

    participants: list[int] | None = None
    users: list[int] | None = None
    devices: list[int] | None = None

    @property
    def empty(self) -> bool:
        return self.participants is None and self.users is None and self.devices is None


@dataclass(frozen=True)
class _Kind:
    singular: str
    id_field: str
    by_uuid: Callable[[str], Any]
    accessible_ids: Callable[[UserAccess], list[int]]


KINDS = {
    "participants": _Kind(
        "participant", "id_participant", TeraParticipant.get_participant_by_uuid, UserAccess.accessible_participants_ids
    ),
    "users": _Kind("user", "id_user", TeraUser.get_user_by_uuid, UserAccess.accessible_users_ids),
    "devices": _Kind("device", "id_device", TeraDevice.get_device_by_uuid, UserAccess.accessible_devices_ids),
}


def _no_access(kind: _Kind) -> ClientError:
    return forbidden(f"User doesn't have access to at least one {kind.singular} of that session.")


def _id_list(values: dict[str, Any], field: str) -> list[int] | None:
    value = values.pop(field, None)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise ClientError(f"Invalid {field}: a list of integer ids is expected")
    return value


def _uuid_list(values: dict[str, Any], field: str) -> list[str] | None:
    value = values.pop(field, None)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise ClientError(f"Invalid {field}: a list of uuids is expected")
    return value


def posted_members(access: UserAccess, values: dict[str, Any]) -> MemberChanges:
    """Pop session_<kind>_ids / session_<kind>_uuids from the posted session; every member must be reachable."""
    wanted: dict[str, list[int] | None] = {}
    for name, kind in KINDS.items():
        ids = _id_list(values, f"session_{name}_ids")
        uuids = _uuid_list(values, f"session_{name}_uuids")
        if ids is None and uuids is None:
            wanted[name] = None
            continue
        members = list(ids or [])
        for member_uuid in uuids or []:
            row = kind.by_uuid(member_uuid)
            if row is None:
                raise _no_access(kind)
            members.append(getattr(row, kind.id_field))
        _require_reachable(access, kind, members)
        wanted[name] = list(dict.fromkeys(members))
    return MemberChanges(**wanted)


def _require_reachable(access: UserAccess, kind: _Kind, ids: Iterable[int]) -> None:
    ids = set(ids)
    if ids and ids - set(kind.accessible_ids(access)):
        raise _no_access(kind)


def check_session_members(access: UserAccess, session: TeraSession) -> None:
    """Every current participant, user and device of the session must be reachable (403 otherwise)."""
    current = {
        "participants": [p.id_participant for p in session.session_participants],
        "users": [u.id_user for u in session.session_users],
        "devices": [d.id_device for d in session.session_devices],
    }
    for name, ids in current.items():
        _require_reachable(access, KINDS[name], ids)
