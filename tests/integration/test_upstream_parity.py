"""Parity with upstream's TeraServer, measured (issue 14): every request of `parity.requests_for` (about 4,800 GETs
by 15 callers over upstream's test data set) gets from ours the answer upstream's real server gave, as recorded in
services/teraserver/upstream-answers.json: same status and error message, same key sets, same rows. The answers we
give differently on purpose are listed, with why, in services/teraserver/parity-deviations.json (and the README).
How the recording is made: docs/teraserver-parity.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

import parity
import pytest
import requests

from devstack.testing.stack import Stack

PARAMETERS = parity.load(parity.PARAMETERS)
RECORDING = parity.load(parity.ANSWERS)
RECORDED = RECORDING["answers"]
DEVIATIONS = parity.load(parity.DEVIATIONS)["deviations"]
BY_PATH: dict[str, list[parity.Request]] = defaultdict(list)
for generated in parity.requests_for(PARAMETERS):
    BY_PATH[generated.path].append(generated)


@pytest.fixture(scope="module")
def upstream_sessions(upstream_data_stack: Stack) -> Iterator[None]:
    """Our sessions get the values upstream's test data drew at random (a service's access to a session follows
    its type); the stack's own values come back afterwards for the other modules sharing it."""
    columns = ", ".join(parity.RANDOM_SESSION_COLUMNS)
    rows = upstream_data_stack.psql(f"SELECT row_to_json(s) FROM (SELECT id_session, {columns} FROM t_sessions) s")
    ours = {}
    for (row,) in rows:
        values = json.loads(row)
        ours[str(values.pop("id_session"))] = values
    assert set(ours) == set(RECORDING["data"]["sessions"]), "not upstream's test data set: other sessions"
    upstream_data_stack.psql(parity.sessions_sql(RECORDING["data"]["sessions"]))
    yield
    upstream_data_stack.psql(parity.sessions_sql(ours))


@pytest.fixture(scope="module")
def server(
    upstream_data_stack: Stack, upstream_sessions: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[parity.Server]:
    ca_file = upstream_data_stack.copy_ca(tmp_path_factory.mktemp("parity-ca") / "ca_cert.pem")
    client = upstream_data_stack.redis()
    token_key = client.get("ServiceTokenAPIKey")
    client.close()
    with requests.Session() as session:
        session.verify = str(ca_file)
        server = parity.Server(session, upstream_data_stack.base_url, token_key)
        server.log_in()
        yield server


def test_the_recording_matches_the_generated_requests() -> None:
    """The recorded answers are those of today's request list (re-capture after changing the generator)."""
    generated = {request.key for paths in BY_PATH.values() for request in paths}
    assert sorted(generated - set(RECORDED))[:10] == []
    assert sorted(set(RECORDED) - generated)[:10] == []


def test_every_deviation_names_a_recorded_request_and_says_why() -> None:
    for key, deviation in DEVIATIONS.items():
        assert key in RECORDED, key
        assert deviation.get("why", "").strip(), f"{key}: no why"
        assert deviation["ours"] != RECORDED[key], f"{key}: listed as a deviation but upstream answers the same"


@pytest.mark.parametrize("path", sorted(BY_PATH))
def test_answers_as_upstream(server: parity.Server, path: str) -> None:
    problems = [
        f"{request.key}: {line}"
        for request in BY_PATH[path]
        for line in parity.check(server, request, RECORDED, DEVIATIONS)
    ]
    assert not problems, f"{len(problems)} of {len(BY_PATH[path])} requests differ:\n" + "\n".join(problems[:40])
