"""`teraserver.asset_rows` gives each asset's full JSON exactly as the package's ORM loads give it, on the real
database.

The device, participant and user asset lists build the names `TeraAsset.to_json()` reads (session, owner service,
device, user, participant, creator service) in one prepared statement instead of lazy loads, and the user API
reads a member's assets with one prepared statement (`assets_of`) instead of the package's query. The probe below runs
inside the session stack's TeraServer container: in a transaction it rolls back, it adds assets whose related
rows are present, absent or soft-deleted (an unknown owner uuid is refused by a foreign key), then compares,
asset by asset, the package's `to_json()` on ORM instances with `to_json()` on
`asset_rows.with_relationships()`: the same JSON, or the same exception where the package's own method fails (a
soft-deleted related row loads as None there).
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import ROWS_PRELUDE, teraserver_probe

from devstack.testing.stack import Stack

PROBE = (
    ROWS_PRELUDE
    + """
from teraserver import asset_rows

def outcome(asset):
    try:
        return ["json", asset.to_json()]
    except Exception as error:
        return ["error", type(error).__name__]

with app.app_context():
    session = BaseModel.db().session
    owner = TeraService.get_service_by_key("FileTransferService")
    creator = TeraService.get_service_by_key("LoggingService")
    gone_service = row(TeraService, service_uuid=new_uuid(), service_key=f"Gone{new_uuid()[:8]}",
                       service_name="Gone service", service_hostname="localhost", service_port=1,
                       service_endpoint="/", service_clientendpoint="/gone", service_enabled=True,
                       service_system=False, service_editable_config=False, service_has_assets=False,
                       service_has_tests=False, **GONE)
    gone_service_uuid = TeraService.query.execution_options(include_deleted=True).filter_by(
        id_service=gone_service).one().service_uuid
    site = row(TeraSite, site_name="Asset probe site")
    project = row(TeraProject, project_name="Asset probe project", id_site=site)
    def participant(name, **extra):
        return row(TeraParticipant, participant_uuid=new_uuid(), participant_name=name, id_project=project,
                   participant_token_enabled=False, participant_enabled=True, participant_login_enabled=False,
                   **extra)
    device_type = row(TeraDeviceType, device_type_name="Probe type", device_type_key=f"probe-{new_uuid()[:8]}")
    def device(name, **extra):
        return row(TeraDevice, device_name=name, id_device_type=device_type, device_enabled=True,
                   device_onlineable=False, device_uuid=new_uuid(), **extra)
    session_type = row(TeraSessionType, session_type_name="Probe type", session_type_color="#123456",
                       session_type_online=False, session_type_category=1)
    def new_session(name, **extra):
        return row(TeraSession, session_uuid=new_uuid(), id_session_type=session_type, session_name=name,
                   session_start_datetime=now, session_duration=60, session_status=0, **extra)
    live_session, gone_session = new_session("live"), new_session("gone", **GONE)
    alice, gone_participant = participant("Alice"), participant("Gone", **GONE)
    bob, gone_user = person("Bob"), person("Gone", **GONE)
    kit, gone_device = device("Kit"), device("Gone kit", **GONE)
    cases = {
        "every relation": dict(id_device=kit, id_user=bob, id_participant=alice, id_service=creator.id_service),
        "session and owner only": {},
        "a participant only": dict(id_participant=alice),
        "soft-deleted device": dict(id_device=gone_device),
        "soft-deleted user": dict(id_user=gone_user),
        "soft-deleted participant": dict(id_participant=gone_participant),
        "soft-deleted session": dict(id_session=gone_session),
        "soft-deleted owner": dict(asset_service_uuid=gone_service_uuid),
    }
    ids = {}
    for name, extra in cases.items():
        values = dict(asset_service_uuid=owner.service_uuid, asset_uuid=new_uuid(), asset_name=name,
                      id_session=live_session, asset_type="text/plain")
        values.update(extra)
        ids[name] = row(TeraAsset, **values)
    session.flush()
    session.expire_all()
    seen = {"cases": {}, "differences": []}
    by_id = {v: k for k, v in ids.items()}
    loaded = TeraAsset.query.filter(TeraAsset.id_asset.in_(list(ids.values()))).order_by(TeraAsset.id_asset).all()
    theirs = {asset.id_asset: outcome(asset) for asset in loaded}
    session.expunge_all()
    loaded = TeraAsset.query.filter(TeraAsset.id_asset.in_(list(ids.values()))).order_by(TeraAsset.id_asset).all()
    ours = {asset.id_asset: outcome(asset) for asset in asset_rows.with_relationships(loaded)}
    for id_asset, name in by_id.items():
        seen["cases"][name] = theirs[id_asset][0]
        if theirs[id_asset] != ours[id_asset]:
            seen["differences"].append({"case": name, "theirs": theirs[id_asset], "ours": ours[id_asset]})
    # The assets of a participant, device or user: asset_rows.assets_of (one prepared statement) against the
    # package's get_assets_for_<kind> (ORM query, soft-delete rewrite), with links of the probe's own: a live and a
    # soft-deleted membership of the live session, assets made by the member, and the test data's own members.
    from opentera.db.models.TeraSessionDevices import TeraSessionDevices
    from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
    from opentera.db.models.TeraSessionUsers import TeraSessionUsers
    other_session = new_session("other")
    row(TeraSessionParticipants, id_session=live_session, id_participant=alice)
    row(TeraSessionParticipants, id_session=other_session, id_participant=alice, **GONE)
    row(TeraSessionUsers, id_session=other_session, id_user=bob)
    row(TeraSessionDevices, id_session=live_session, id_device=kit)
    row(TeraAsset, asset_service_uuid=owner.service_uuid, asset_uuid=new_uuid(), asset_name="made by kit",
        id_session=other_session, asset_type="text/plain", id_device=kit)
    row(TeraAsset, asset_service_uuid=owner.service_uuid, asset_uuid=new_uuid(), asset_name="gone asset",
        id_session=other_session, asset_type="text/plain", id_user=bob, **GONE)
    session.flush()
    session.expire_all()
    package = {"id_participant": TeraAsset.get_assets_for_participant, "id_device": TeraAsset.get_assets_for_device,
               "id_user": TeraAsset.get_assets_for_user}
    members = {"id_participant": [alice, gone_participant] + [p.id_participant for p in TeraParticipant.query.all()],
               "id_device": [kit, gone_device] + [d.id_device for d in TeraDevice.query.all()],
               "id_user": [bob, gone_user] + [u.id_user for u in TeraUser.query.all()]}
    seen["members"] = {"compared": 0, "assets": 0, "differences": []}
    for column, ids in members.items():
        for member in sorted(set(ids)):
            theirs = [a.to_json(minimal=True) for a in package[column](member)]
            session.expunge_all()
            ours = [a.to_json(minimal=True) for a in asset_rows.assets_of(column, member)]
            session.expunge_all()
            seen["members"]["compared"] += 1
            seen["members"]["assets"] += len(ours)
            if theirs != ours:
                seen["members"]["differences"].append({"column": column, "member": member, "theirs": theirs,
                                                       "ours": ours})
    session.rollback()
"""
)


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_the_same_json_or_the_same_failure_as_the_packages(seen: dict[str, Any]) -> None:
    assert seen["differences"] == []
    assert len(seen["cases"]) == 8


def test_the_assets_of_a_member_are_the_packages(seen: dict[str, Any]) -> None:
    assert seen["members"]["differences"] == []
    assert seen["members"]["compared"] >= 6  # the probe's live and soft-deleted member of each kind at least
    assert seen["members"]["assets"] >= 10, "the probe's assets must be among those compared"


def test_the_probe_covers_answers_and_the_packages_own_failures(seen: dict[str, Any]) -> None:
    # What the package itself does with each case: both kinds must be among those compared.
    assert seen["cases"]["every relation"] == "json"
    assert seen["cases"]["session and owner only"] == "json"
    assert "error" in seen["cases"].values()
