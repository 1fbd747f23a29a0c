"""`devstack configure` and `devstack up` on a bad configuration: a clear error and nothing started."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the files the configuration reads, as a fresh clone would have them."""
    for name in ("compose.yaml", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "sub" / "folder").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "folder")
    monkeypatch.delenv("DEVSTACK_ROOT", raising=False)
    for name in ("DEVSTACK_HTTPS_PORT", "REDIS_PASSWORD", "POSTGRES_PASSWORD", "TERASERVER_DB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_configure_from_a_subfolder_creates_env_with_secrets(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["configure"]) == 0
    out = capsys.readouterr().out
    assert "generated REDIS_PASSWORD" in out
    assert (checkout / ".env").is_file()
    # A second run changes nothing.
    before = (checkout / ".env").read_text(encoding="utf-8")
    assert cli.main(["configure"]) == 0
    assert (checkout / ".env").read_text(encoding="utf-8") == before


def test_bad_port_in_env_file_is_named_and_exit_is_non_zero(checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env_text = (
        (checkout / ".env.example")
        .read_text(encoding="utf-8")
        .replace("DEVSTACK_HTTPS_PORT=40075", "DEVSTACK_HTTPS_PORT=forty")
    )
    (checkout / ".env").write_text(env_text, encoding="utf-8")
    assert cli.main(["configure"]) == 2
    err = capsys.readouterr().err
    assert "DEVSTACK_HTTPS_PORT='forty' is not a port number" in err
    assert str(checkout / ".env") in err


def test_up_with_bad_environment_value_stops_before_docker(
    checkout: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERASERVER_TEST_DATA", "sometimes")

    def docker_must_not_run(*_: object, **__: object) -> None:
        raise AssertionError("docker was called although the configuration is bad")

    monkeypatch.setattr(cli.compose, "ensure_docker", docker_must_not_run)
    monkeypatch.setattr(cli.compose.ComposeProject, "run", docker_must_not_run)
    monkeypatch.setattr(cli.compose.ComposeProject, "stream", docker_must_not_run)
    assert cli.main(["up"]) == 2
    assert "TERASERVER_TEST_DATA='sometimes' is not a boolean" in capsys.readouterr().err


def test_outside_a_checkout_the_error_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEVSTACK_ROOT", raising=False)
    assert cli.main(["configure"]) == 2
    assert "no compose.yaml found" in capsys.readouterr().err
