"""`devstack reset` asks before deleting: without a terminal and without --yes, or with the wrong name typed,
it refuses, exits non-zero and runs no Docker command at all."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from devstack import cli, compose, confirm, envfile, host_ports, reset

ROOT = Path(__file__).resolve().parents[2]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class NoTerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture
def docker_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Every Docker action reset takes, recorded instead of run."""
    calls: list[tuple[str, ...]] = []

    def stream(self: compose.ComposeProject, arguments: list[str]) -> int:
        calls.append(("compose", self.name, *arguments))
        return 0

    monkeypatch.setattr(compose, "ensure_docker", lambda: calls.append(("ensure_docker",)))
    monkeypatch.setattr(compose.ComposeProject, "stream", stream)
    monkeypatch.setattr(compose.ComposeProject, "port", lambda self, service, target: None)
    monkeypatch.setattr(host_ports, "ensure_host_ports_free", lambda values, project: calls.append(("ports",)))
    return calls


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with a valid .env, so only the confirmation decides."""
    for name in ("compose.yaml", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    envfile.ensure_env_file(tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    for name in ("DEVSTACK_ROOT", "COMPOSE_PROJECT_NAME", "DEVSTACK_HTTPS_PORT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_without_a_terminal_and_without_yes_it_refuses_and_touches_nothing(
    checkout: Path,
    docker_calls: list[tuple[str, ...]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", NoTerminal(""))
    assert cli.main(["reset", "-p", "mystack"]) == reset.EXIT_REFUSED
    err = capsys.readouterr().err
    assert "refusing to delete project 'mystack'" in err
    assert "--yes" in err and "Nothing was removed" in err
    assert docker_calls == []


def test_a_wrong_name_typed_at_the_prompt_changes_nothing(
    checkout: Path,
    docker_calls: list[tuple[str, ...]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", FakeTerminal(""))
    monkeypatch.setattr("builtins.input", lambda prompt: "opentera")
    assert cli.main(["reset"]) == reset.EXIT_NOT_CONFIRMED
    assert "the name typed is not 'opentera-devstack'; nothing was removed" in capsys.readouterr().err
    assert docker_calls == []


def test_a_bad_configuration_stops_reset_before_it_asks_or_deletes(
    checkout: Path,
    docker_calls: list[tuple[str, ...]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEVSTACK_HTTPS_PORT", "eighty")
    assert cli.main(["reset", "--yes"]) == 2
    assert "DEVSTACK_HTTPS_PORT='eighty' is not a port number" in capsys.readouterr().err
    assert docker_calls == []


def test_the_project_name_typed_at_the_prompt_goes_ahead(
    checkout: Path, docker_calls: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", FakeTerminal(""))
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or " opentera-devstack\n")
    assert cli.main(["reset"]) == 0
    assert "opentera-devstack" in prompts[0]
    assert [call[:3] for call in docker_calls if call[0] == "compose"] == [
        ("compose", "opentera-devstack", "down"),
        ("compose", "opentera-devstack", "up"),
    ]


def test_yes_removes_volumes_checks_ports_then_starts_fresh(
    checkout: Path, docker_calls: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", NoTerminal(""))
    seen: list[str | None] = []
    monkeypatch.setattr(compose, "ensure_docker", lambda: seen.append(os.environ.get("COMPOSE_PROJECT_NAME")))
    assert cli.main(["reset", "--yes", "--project-name", "other", "--no-build"]) == 0
    # --project-name is COMPOSE_PROJECT_NAME while the command runs (for live/nginx), and only then.
    assert seen == ["other"] and "COMPOSE_PROJECT_NAME" not in os.environ
    assert docker_calls == [
        ("ports",),
        ("compose", "other", "down", "--volumes", "--remove-orphans"),
        ("compose", "other", "up", "--detach", "--wait"),
    ]


def test_a_bad_project_name_is_refused_before_anything_runs(
    checkout: Path, docker_calls: list[tuple[str, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["reset", "--yes", "--project-name", "Other Stack"]) == 2
    assert "--project-name='Other Stack' is not a Compose project name" in capsys.readouterr().err
    assert docker_calls == []


def test_a_failed_down_stops_before_up(
    checkout: Path, docker_calls: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_down(self: compose.ComposeProject, arguments: list[str]) -> int:
        docker_calls.append(("compose", self.name, *arguments))
        return 17

    monkeypatch.setattr(compose.ComposeProject, "stream", failing_down)
    assert cli.main(["reset", "--yes"]) == 17
    assert [call[2] for call in docker_calls if call[0] == "compose"] == ["down"]


def test_seed_loads_the_test_data_once_the_fresh_stack_is_healthy_without_asking_again(
    checkout: Path, docker_calls: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from devstack import seed

    def seed_running_stack(stack: compose.ComposeProject, values: dict[str, str]) -> int:
        docker_calls.append(("seed", stack.name))
        return 0

    monkeypatch.setattr(seed, "seed_running_stack", seed_running_stack)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked twice"))
    monkeypatch.setattr("sys.stdin", NoTerminal(""))
    assert cli.main(["reset", "--yes", "--seed", "-p", "other"]) == 0
    assert [call[:3] for call in docker_calls if call[0] in {"compose", "seed"}] == [
        ("compose", "other", "down"),
        ("compose", "other", "up"),
        ("seed", "other"),
    ]


def test_seed_is_not_attempted_when_the_fresh_stack_is_not_healthy(
    checkout: Path, docker_calls: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from devstack import seed

    def failing_up(self: compose.ComposeProject, arguments: list[str]) -> int:
        docker_calls.append(("compose", self.name, *arguments))
        return 0 if arguments[0] == "down" else 1

    monkeypatch.setattr(compose.ComposeProject, "stream", failing_up)
    monkeypatch.setattr(seed, "seed_running_stack", lambda *args: pytest.fail("seeded a broken stack"))
    assert cli.main(["reset", "--yes", "--seed"]) == 1
    assert [call[2] for call in docker_calls if call[0] == "compose"] == ["down", "up"]


def test_confirmed_shows_the_consequence_it_is_given() -> None:
    prompts: list[str] = []
    answer = confirm.confirmed(
        "p", False, FakeTerminal(""), ask=lambda prompt: prompts.append(prompt) or "p", consequence="Data goes."
    )
    assert answer is True
    assert prompts == ["Data goes.\nType the project name to confirm: "]
