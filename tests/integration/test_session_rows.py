"""`teraserver.session_rows` selects the sessions the package selects and gives the JSON its ORM gives, on the
real database.

GET /api/user/sessions builds a participant's, user's or device's sessions from two queries into transient
models (see that module). The probe below runs inside the session stack's TeraServer container: in a
transaction it rolls back, it adds sessions with live and soft-deleted members, links, creators, assets and
tests, then compares, for every participant, user and device and several filters, the package's
`get_sessions_for_<kind>()` + `to_json()` (ORM loads, the soft-delete hook) with ours: same sessions in the same
order, same JSON (members compared as sets: neither side orders them).
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import ROWS_PRELUDE, teraserver_probe

from devstack.testing.stack import Stack

PROBE = (
    ROWS_PRELUDE
    + """
from opentera.db.models.TeraSessionDevices import TeraSessionDevices
from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
from opentera.db.models.TeraSessionUsers import TeraSessionUsers
from teraserver import session_rows

def norm(item):
    item = dict(item)
    for name in ("session_participants", "session_users", "session_devices"):
        if name in item:
            item[name] = sorted(item[name], key=lambda member: json.dumps(member, sort_keys=True))
    return item

with app.app_context():
    session = BaseModel.db().session
    service = TeraService.get_service_by_key("FileTransferService")
    site = row(TeraSite, site_name="Probe site")
    project = row(TeraProject, project_name="Probe project", id_site=site)
    def participant(name, **extra):
        return row(TeraParticipant, participant_uuid=new_uuid(), participant_name=name, id_project=project,
                   participant_token_enabled=False, participant_enabled=True, participant_login_enabled=False,
                   **extra)
    alice, bob = participant("Alice"), participant("Bob", **GONE)
    # A participant of a soft-deleted project makes the package's to_json() fail (its project loads as None):
    # both sides alike, so not compared here.
    carol = participant("Carol")
    creator, gone_creator = person("Creator"), person("Gone", **GONE)
    device_type = row(TeraDeviceType, device_type_name="Probe type", device_type_key=f"probe-{new_uuid()[:8]}")
    device = row(TeraDevice, device_name="Probe device", id_device_type=device_type, device_enabled=True,
                 device_onlineable=False, device_uuid=new_uuid())
    live_type = row(TeraSessionType, session_type_name="Probe type", session_type_color="#123456",
                    session_type_online=False, session_type_category=1)
    def new_session(name, days, **extra):
        return row(TeraSession, session_uuid=new_uuid(), id_session_type=live_type, session_name=name,
                   session_start_datetime=now - datetime.timedelta(days=days), session_duration=60,
                   session_status=days % 3, **extra)
    first = new_session("first", 1, id_creator_user=creator, session_parameters='{"a": 1}')
    second = new_session("second", 2, id_creator_user=gone_creator, id_creator_service=service.id_service)
    third = new_session("third", 3, id_creator_participant=alice, id_creator_device=device)
    same_time = new_session("same time as second", 2, id_creator_user=creator)
    for session_id, member in ((first, alice), (first, bob), (second, alice), (third, carol), (same_time, alice)):
        row(TeraSessionParticipants, id_session=session_id, id_participant=member)
    row(TeraSessionParticipants, id_session=second, id_participant=carol, **GONE)  # a deleted link
    row(TeraSessionUsers, id_session=first, id_user=creator)
    row(TeraSessionUsers, id_session=second, id_user=gone_creator)
    row(TeraSessionUsers, id_session=third, id_user=creator, **GONE)
    row(TeraSessionDevices, id_session=first, id_device=device)
    for session_id, deleted in ((first, False), (first, True), (second, False)):
        row(TeraAsset, asset_service_uuid=service.service_uuid, asset_uuid=new_uuid(), asset_name="probe",
            id_session=session_id, asset_type="text/plain", **(GONE if deleted else {}))
    session.flush()
    session.expire_all()

    members = {
        "participant": [alice, bob, carol] + [p.id_participant for p in TeraParticipant.query.all()],
        "user": [creator, gone_creator] + [u.id_user for u in TeraUser.query.all()],
        "device": [device] + [d.id_device for d in TeraDevice.query.all()],
    }
    since = (now - datetime.timedelta(days=2)).date()
    filters = ({}, {"status": 1}, {"limit": 2}, {"limit": 2, "offset": 1}, {"start_date": since})
    seen = {"compared": 0, "sessions": 0, "differences": []}
    for kind, ids in members.items():
        for member in sorted(set(ids)):
            for given in filters:
                theirs = [norm(s.to_json()) for s in getattr(TeraSession, f"get_sessions_for_{kind}")(member, **given)]
                session.expunge_all()
                ours = [norm(s.to_json()) for s in session_rows.sessions_of(kind, member, **given)]
                session.expunge_all()
                seen["compared"] += 1
                seen["sessions"] += len(ours)
                if theirs != ours:
                    seen["differences"].append({"kind": kind, "member": member, "filters": str(given),
                                                "theirs": theirs, "ours": ours})
    with_type = session_rows.sessions_of("participant", alice)
    seen["type"] = [(s.session_session_type.session_type_name, s.session_session_type.session_type_color)
                    for s in with_type][:1]
    session.rollback()
"""
)


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_the_same_sessions_with_the_same_json_as_the_packages(seen: dict[str, Any]) -> None:
    assert seen["differences"] == []
    assert seen["compared"] > 30
    assert seen["sessions"] >= 12, "the probe's sessions must be among those compared"


def test_the_session_type_is_there_for_with_session_type(seen: dict[str, Any]) -> None:
    assert seen["type"] == [["Probe type", "#123456"]]
