"""The statements that read two things at once for the answers in front of Flask give what the two reads give.

`api/direct.py` reads the participant's devices in the statement of its token check
(`queries.participant_rows_by_token_or_uuid_with_devices`), and the token's user, the participant's project and
its assets in one statement (`asset_rows.user_and_assets_of_participant`); a projects list's counts are one
statement (`queries.project_list_counts`, TERASERVER_FAST_PATHS). The probe below runs inside the session stack's
TeraServer container: in a transaction it rolls back, it adds participants in two projects, soft-deleted or not,
with live and soft-deleted device links and devices and with assets, then compares each combined read with the
reads it replaces (the token check's rows and `participant_devices`; the user by uuid, the live participant and
`assets_of`; the ORM's count queries).
"""

from __future__ import annotations

from typing import Any

import pytest
from probes import ROWS_PRELUDE, teraserver_probe

from devstack.testing.stack import Stack

PROBE = (
    ROWS_PRELUDE
    + """
from opentera.db.models.TeraDeviceParticipant import TeraDeviceParticipant
from opentera.db.models.TeraSessionParticipants import TeraSessionParticipants
import sqlalchemy as sa
from teraserver import asset_rows, queries

def plain(row):
    return None if row is None else {key: str(value) for key, value in row.items()}

with app.app_context():
    session = BaseModel.db().session
    owner = TeraService.get_service_by_key("FileTransferService")
    site = row(TeraSite, site_name="Direct rows probe site")
    project, other_project = (row(TeraProject, project_name=f"Direct rows {n}", id_site=site) for n in "AB")
    people = {}
    def participant(name, id_project=project, **extra):
        participant_uuid = new_uuid()
        people[name] = (row(TeraParticipant, participant_uuid=participant_uuid, participant_name=name,
                            id_project=id_project, participant_token_enabled=True, participant_enabled=True,
                            participant_login_enabled=False, participant_token=f"token-of-{name}-{new_uuid()}",
                            **extra), participant_uuid)
        return people[name][0]
    device_type = row(TeraDeviceType, device_type_name="Probe type", device_type_key=f"probe-{new_uuid()[:8]}")
    def device(name, **extra):
        return row(TeraDevice, device_name=name, id_device_type=device_type, device_enabled=True,
                   device_onlineable=False, device_uuid=new_uuid(), **extra)
    session_type = row(TeraSessionType, session_type_name="Probe type", session_type_color="#123456",
                       session_type_online=False, session_type_category=1)
    alice, carol, dave = participant("alice"), participant("carol", other_project), participant("dave")
    gone = participant("gone", **GONE)
    kits = {name: device(name, **extra) for name, extra in (("kit", {}), ("kit 2", {}), ("gone kit", GONE),
                                                             ("unlinked kit", {}))}
    for name, id_participant, extra in (("kit 2", alice, {}), ("kit", alice, {}), ("gone kit", alice, {}),
                                        ("unlinked kit", alice, GONE), ("kit", gone, {}), ("kit", carol, {})):
        row(TeraDeviceParticipant, id_device=kits[name], id_participant=id_participant, **extra)
    for name in ("alice", "gone", "carol"):
        id_participant = people[name][0]
        live_session = row(TeraSession, session_uuid=new_uuid(), id_session_type=session_type, session_name=name,
                           session_start_datetime=now, session_duration=60, session_status=0)
        row(TeraSessionParticipants, id_session=live_session, id_participant=id_participant)
        for n in range(2):
            row(TeraAsset, asset_service_uuid=owner.service_uuid, asset_uuid=new_uuid(), asset_name=f"{name} {n}",
                id_session=live_session, asset_type="text/plain", id_participant=id_participant)
    session.flush()
    tokens = {name: TeraParticipant.query.execution_options(include_deleted=True).filter_by(
        id_participant=people[name][0]).one().participant_token for name in people}
    session.expunge_all()
    seen = {"devices": {}, "assets": {}, "differences": []}
    # (token, claimed uuid): a participant's own token and uuid, another's uuid, an unknown token, no claim.
    token_cases = {
        "own token and uuid": (tokens["alice"], people["alice"][1]),
        "uuid alone": ("no such token", people["alice"][1]),
        "token alone": (tokens["alice"], None),
        "token of one, uuid of another": (tokens["dave"], people["alice"][1]),
        "a participant without devices": ("no such token", people["dave"][1]),
        "soft-deleted participant": (tokens["gone"], people["gone"][1]),
        "other project": ("no such token", people["carol"][1]),
        "nothing": ("no such token", None),
    }
    for name, (token, claimed) in token_cases.items():
        by_token, by_uuid, devices = queries.participant_rows_by_token_or_uuid_with_devices(token, claimed)
        ours = [plain(by_token), plain(by_uuid), [d.to_json() for d in devices]]
        session.expunge_all()
        by_token, by_uuid = queries.participant_rows_by_token_or_uuid(token, claimed)
        devices = queries.participant_devices(by_uuid["id_participant"]) if by_uuid else []
        theirs = [plain(by_token), plain(by_uuid), [d.to_json() for d in devices]]
        session.expunge_all()
        seen["devices"][name] = [d["device_name"] for d in theirs[2]]
        if ours != theirs:
            seen["differences"].append({"case": name, "ours": ours, "theirs": theirs})
    # The user of a token, the participant's project and its assets: one statement against the three reads.
    from teraserver.prepared import PreparedStatement
    users = {"live": person("Live"), "gone": person("Gone", **GONE)}
    session.flush()
    uuids = {name: TeraUser.query.execution_options(include_deleted=True).filter_by(id_user=id_user).one().user_uuid
             for name, id_user in users.items()}
    uuids["unknown"] = new_uuid()
    session.expunge_all()
    project_of = PreparedStatement("probe_live_participant_project", sa.select(TeraParticipant.id_project).where(
        TeraParticipant.id_participant == sa.bindparam("id"), TeraParticipant.deleted_at.is_(None)))
    for user_name, user_uuid in uuids.items():
        for name in ("alice", "carol", "dave", "gone"):
            id_participant = people[name][0]
            user, project_id, assets = asset_rows.user_and_assets_of_participant(user_uuid, id_participant)
            ours = [user and str(sorted(user.items())), project_id, sorted(a.asset_name for a in assets)]
            session.expunge_all()
            user_rows = queries._LIVE_USER_BY_UUID.execute(session.connection(), user_uuid=user_uuid)
            found = project_of.execute(session.connection(), id=id_participant)
            theirs = [str(sorted(user_rows[0].items())) if user_rows else None,
                      found[0]["id_project"] if found else None,
                      sorted(a.asset_name for a in asset_rows.assets_of("id_participant", id_participant))]
            case = f"{user_name} user, {name}"
            seen["assets"][case] = [ours[0] is not None, ours[1] is not None, ours[2]]
            if user is None:
                ours[1:], theirs[1:] = [], []  # no user, no row: nothing else is read
            if ours != theirs:
                seen["differences"].append({"case": case, "ours": ours, "theirs": theirs})
    # GET /api/user/projects?list=true's counts: one statement against the two ORM queries it replaces.
    from collections import Counter
    from opentera.db.models.TeraParticipantGroup import TeraParticipantGroup
    row(TeraParticipantGroup, participant_group_name="live group", id_project=project)
    row(TeraParticipantGroup, participant_group_name="gone group", id_project=project, **GONE)
    session.flush()
    listed = [project, other_project]
    ours = queries.project_list_counts(listed)
    groups = TeraParticipantGroup.query.with_entities(TeraParticipantGroup.id_project)
    groups = Counter(g.id_project for g in groups.filter(TeraParticipantGroup.id_project.in_(listed)))
    members = TeraParticipant.query.with_entities(TeraParticipant.id_project)
    members = Counter(p.id_project for p in members.filter(TeraParticipant.id_project.in_(listed)))
    theirs = {id_project: (groups[id_project], members[id_project]) for id_project in listed}
    seen["counts"] = [list(ours[project]), list(ours[other_project])]
    if ours != theirs:
        seen["differences"].append({"case": "project list counts", "ours": str(ours), "theirs": str(theirs)})
    session.rollback()
"""
)


@pytest.fixture(scope="module")
def seen(devstack: Stack) -> dict[str, Any]:
    return teraserver_probe(devstack, PROBE)


def test_the_combined_reads_give_what_the_separate_reads_give(seen: dict[str, Any]) -> None:
    assert seen["differences"] == []


def test_the_cases_reach_what_they_are_named_for(seen: dict[str, Any]) -> None:
    devices = seen["devices"]
    # Live links to live devices only, by id (kit was made before kit 2).
    assert devices["own token and uuid"] == devices["uuid alone"] == ["kit", "kit 2"]
    assert devices["token alone"] == devices["nothing"] == devices["a participant without devices"] == []
    assert devices["soft-deleted participant"] == []
    assert devices["other project"] == ["kit"]
    assets = seen["assets"]
    # [a user found, the participant live, its assets]
    assert assets["live user, alice"] == [True, True, ["alice 0", "alice 1"]]
    assert assets["live user, dave"] == [True, True, []]
    assert assets["live user, gone"] == [True, False, ["gone 0", "gone 1"]]
    assert assets["gone user, alice"] == assets["unknown user, alice"] == [False, False, []]
    # Project A: one live group of two, alice and dave (gone is soft-deleted); project B: carol.
    assert seen["counts"] == [[1, 2], [0, 1]]
