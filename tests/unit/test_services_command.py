"""`devstack services`: the table, and `--json` in the envelope `status --json` uses (no "-" placeholders)."""

from __future__ import annotations

import json
from pathlib import Path

from devstack import cli, compose, manifest, options, services, status

SAMPLE = manifest.Manifest(
    folder="sample", key="SampleService", name="Sample", port=5020, prefix="/sample", health_path="/api/version",
    frontend=True, database="openterasample",
)  # fmt: skip
PLAIN = manifest.Manifest(
    folder="plain", key="PlainService", name="Plain", port=5021, prefix="/plain", health_path="/health",
    frontend=False, database=None,
)  # fmt: skip
CONTAINERS = [
    compose.Container("sample", "a1", "t1-sample-1", "running", "healthy", None, "t1/sample:dev"),
    compose.Container(
        "proxy", "b2", "t1-proxy-1", "running", "healthy", None, "nginx",
        (compose.PublishedPort("127.0.0.1", 57799, 40075),),
    ),
]  # fmt: skip


def test_rows_carry_the_state_and_null_for_what_is_absent() -> None:
    front_door = compose.front_door_of({"DEVSTACK_HOSTNAME": "localhost"}, CONTAINERS)
    rows = services.service_rows([SAMPLE, PLAIN], CONTAINERS, front_door)
    assert rows[0]["url"] == "https://localhost:57799/sample/"
    assert (rows[0]["state"], rows[0]["health"], rows[0]["ok"]) == ("running", "healthy", True)
    assert (rows[1]["state"], rows[1]["database"], rows[1]["ok"]) == (compose.NOT_CREATED, None, False)
    table = services.render_table(rows)
    assert "running (healthy)" in table and "not created" in table


def test_json_is_the_status_envelope(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setattr(services.paths, "repo_root", lambda: tmp_path)
    monkeypatch.setattr(services.manifest, "load_all", lambda root: [SAMPLE, PLAIN])
    monkeypatch.setattr(services.envfile, "effective_values", lambda path: {"DEVSTACK_HTTPS_PORT": "40075"})
    monkeypatch.setattr(compose, "docker_available", lambda: True)
    monkeypatch.setattr(compose.ComposeProject, "ps", lambda self, timeout=60: CONTAINERS)
    parser = cli.build_parser()
    args = parser.parse_args(["services", "--json", "-p", "t1"])
    assert args.func(args) == 0
    document = json.loads(capsys.readouterr().out)
    assert tuple(document) == options.ENVELOPE_KEYS == status.JSON_KEYS[: len(options.ENVELOPE_KEYS)]
    assert document["project"] == "t1"
    assert document["healthy"] is False  # plain has no container
    assert document["front_door"] == "https://localhost:57799/"
    assert [row["service"] for row in document["services"]] == ["sample", "plain"]
    assert "-" not in [value for row in document["services"] for value in row.values()]
