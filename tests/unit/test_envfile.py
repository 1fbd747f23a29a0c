"""The .env file: created from the example, secrets generated once, other lines untouched, atomic writes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from devstack import envfile, settings

EXAMPLE = """# comment kept
DEVSTACK_HTTPS_PORT=40075
REDIS_PASSWORD=
POSTGRES_PASSWORD=
TERASERVER_DB_PASSWORD=
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".env.example").write_text(EXAMPLE, encoding="utf-8")
    return tmp_path


def test_generated_secret_is_long_and_url_safe() -> None:
    secret = envfile.generate_secret()
    assert len(secret) == envfile.SECRET_LENGTH
    assert secret.isalnum()
    assert secret != envfile.generate_secret()


def test_ensure_creates_env_from_example_and_generates_every_secret(project: Path) -> None:
    env_path = project / ".env"
    generated = envfile.ensure_env_file(env_path)
    assert generated == sorted(settings.SECRET_NAMES)
    values = envfile.read_values(env_path)
    assert all(len(values[name]) == envfile.SECRET_LENGTH for name in settings.SECRET_NAMES)
    text = env_path.read_text(encoding="utf-8")
    assert text.startswith("# comment kept\nDEVSTACK_HTTPS_PORT=40075\n")
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600


def test_ensure_keeps_existing_values_and_is_idempotent(project: Path) -> None:
    env_path = project / ".env"
    env_path.write_text("REDIS_PASSWORD=mine\nDEVSTACK_HTTPS_PORT=1234\n", encoding="utf-8")
    generated = envfile.ensure_env_file(env_path)
    assert "REDIS_PASSWORD" not in generated
    first = env_path.read_text(encoding="utf-8")
    assert "REDIS_PASSWORD=mine\n" in first and "DEVSTACK_HTTPS_PORT=1234\n" in first
    assert envfile.ensure_env_file(env_path) == []
    assert env_path.read_text(encoding="utf-8") == first


def test_set_env_values_replaces_in_place_and_appends_new_keys(project: Path) -> None:
    env_path = project / ".env"
    env_path.write_text("# top\nPOSTGRES_IMAGE=postgres:15\nOTHER=1\n", encoding="utf-8")
    envfile.set_env_values(env_path, {"POSTGRES_IMAGE": "local/postgres:15", "REDIS_IMAGE": "local/redis:7"})
    assert env_path.read_text(encoding="utf-8") == (
        "# top\nPOSTGRES_IMAGE=local/postgres:15\nOTHER=1\nREDIS_IMAGE=local/redis:7\n"
    )


def test_set_env_values_creates_from_example(project: Path) -> None:
    env_path = project / ".env"
    envfile.set_env_values(env_path, {"DEVSTACK_HTTPS_PORT": "41000"})
    assert envfile.read_values(env_path)["DEVSTACK_HTTPS_PORT"] == "41000"
    assert env_path.read_text(encoding="utf-8").startswith("# comment kept\n")


def test_effective_values_layer_defaults_file_and_environment(project: Path) -> None:
    env_path = project / ".env"
    env_path.write_text("DEVSTACK_HTTPS_PORT=1234\nREDIS_PASSWORD=x\n", encoding="utf-8")
    values = envfile.effective_values(env_path, environ={"REDIS_PASSWORD": "from-shell", "UNRELATED": "y"})
    assert values["DEVSTACK_HTTPS_PORT"] == "1234"
    assert values["REDIS_PASSWORD"] == "from-shell"
    assert values["POSTGRES_IMAGE"] == settings.BY_NAME["POSTGRES_IMAGE"].default
    assert "UNRELATED" not in values


def test_failed_write_leaves_the_old_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_path = project / ".env"
    env_path.write_text("REDIS_PASSWORD=keep\n", encoding="utf-8")

    def broken_replace(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(envfile.os, "replace", broken_replace)
    with pytest.raises(OSError):
        envfile.set_env_values(env_path, {"REDIS_PASSWORD": "new"})
    assert env_path.read_text(encoding="utf-8") == "REDIS_PASSWORD=keep\n"
    assert [p.name for p in project.iterdir() if p.name.endswith(".tmp")] == []
