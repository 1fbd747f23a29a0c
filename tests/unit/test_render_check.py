"""`devstack render --check` (run by .ci/run before the tests): exit 1 naming each stale derived file, write none."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devstack import cli, manifest, render

MANIFEST = {
    "key": "NotesService",
    "name": "Notes Service",
    "port": 5030,
    "prefix": "/notes",
    "health_path": "/api/version",
    "frontend": True,
    "database": "openteranotes",
}


def tree(root: Path) -> Path:
    (root / "compose.yaml").write_text("name: t\n", encoding="utf-8")
    (root / "services/notes").mkdir(parents=True)
    (root / "services/notes/service.yaml").write_text(yaml.safe_dump(MANIFEST, sort_keys=False), encoding="utf-8")
    (root / "services/notes/compose.yaml").write_text("services:\n  notes: {}\n", encoding="utf-8")
    (root / "nginx/services.d").mkdir(parents=True)
    (root / "services/db").mkdir(parents=True)
    return root


def check(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(["render", "--check", "--skip-nginx-check"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_changed_port_makes_check_fail_naming_the_wiring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path)
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    render.apply(root, render.plan(root, manifest.load_all(root)))
    assert check(capsys)[0] == 0
    manifest_path = root / "services/notes/service.yaml"
    manifest_path.write_text(manifest_path.read_text(encoding="utf-8").replace("5030", "5031"), encoding="utf-8")
    before = (root / render.SERVICES_COMPOSE).read_bytes()
    status, out, err = check(capsys)
    assert status == 1
    assert f"would write   {render.SERVICES_COMPOSE}" in out
    assert "would write   services/notes/config/NotesService.json" in out
    assert "3 derived file(s) stale" in err and "run `devstack render`" in err
    assert (root / render.SERVICES_COMPOSE).read_bytes() == before
