"""`devstack seed` without Docker: it refuses on a stopped stack or without confirmation (running nothing that
changes data), and on a running stack it runs the seed, the `register` job and the restarts, in that order."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack import cli, compose, confirm, envfile, manifest, seed

ROOT = Path(__file__).resolve().parents[2]
HEALTHY = {name: "running (healthy)" for name in ("db", "redis", "teraserver", "proxy", "sample")} | {
    "certs": "exited (0)",
    "register": "exited (0)",
}
SEED_RESULT = {
    "counts": {"t_users": 6, "t_projects": 3, "t_sessions": 28, "t_tests_invitations": 0},
    "accounts": [
        {"kind": "user", "username": "admin", "password": "admin", "superadmin": True},
        {"kind": "user", "username": "siteadmin", "password": "siteadmin", "superadmin": False},
    ],
    "services_published": ["service.BureauActif"],
    "services_removed": ["service.SampleService"],
}


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class NoTerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with a valid .env and the sample's manifest, so the stack's own service is known."""
    for name in ("compose.yaml", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "services" / "sample").mkdir(parents=True)
    shutil.copy(ROOT / "services" / "sample" / "service.yaml", tmp_path / "services" / "sample" / "service.yaml")
    envfile.ensure_env_file(tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    for name in ("DEVSTACK_ROOT", "COMPOSE_PROJECT_NAME", "DEVSTACK_HTTPS_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(compose, "ensure_docker", lambda: None)
    return tmp_path


class FakeDocker:
    """Answers `docker compose ps` with `states` and records every other compose command."""

    def __init__(self, states: dict[str, str], answers: dict[str, tuple[int, str, str]] | None = None) -> None:
        self.states = states
        self.answers = answers or {}
        self.commands: list[tuple[str, ...]] = []
        self.environments: list[dict[str, str] | None] = []

    def service_states(self, project: compose.ComposeProject, timeout: float = 60) -> dict[str, str]:
        return dict(self.states)

    def run(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        project = command[command.index("--project-name") + 1]
        arguments = tuple(command[command.index("--project-name") + 2 :])
        self.commands.append((project, *arguments))
        self.environments.append(kwargs.get("env"))
        code, out, err = self.answers.get(arguments[0], (0, "", ""))
        return subprocess.CompletedProcess(command, code, out, err)


@pytest.fixture
def docker(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeDocker]:
    def install(states: dict[str, str], answers: dict[str, tuple[int, str, str]] | None = None) -> FakeDocker:
        fake = FakeDocker(states, answers)
        monkeypatch.setattr(compose.ComposeProject, "states", lambda project, timeout=60: fake.service_states(project))
        monkeypatch.setattr(compose.ComposeProject, "port", lambda project, service, target: None)
        monkeypatch.setattr(compose.subprocess, "run", fake.run)
        return fake

    return install


def test_a_stopped_stack_is_refused_naming_the_service_and_nothing_runs(
    docker: Callable[..., FakeDocker], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = docker(HEALTHY | {"teraserver": "exited (1)"})
    monkeypatch.setattr("sys.stdin", NoTerminal(""))
    assert cli.main(["seed", "--yes", "--project-name", "mystack"]) == seed.EXIT_REFUSED
    err = capsys.readouterr().err
    assert "project 'mystack' is not running healthy (teraserver: exited (1))" in err
    assert "devstack up" in err and "Nothing was changed" in err
    assert fake.commands == []


def test_a_project_without_containers_is_refused(
    docker: Callable[..., FakeDocker], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = docker({})
    assert cli.main(["seed", "--yes", "-p", "gone"]) == seed.EXIT_REFUSED
    assert "project 'gone' has no containers" in capsys.readouterr().err
    assert fake.commands == []


def test_without_a_terminal_and_without_yes_it_refuses_and_changes_nothing(
    docker: Callable[..., FakeDocker], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = docker(HEALTHY)
    monkeypatch.setattr("sys.stdin", NoTerminal(""))
    assert cli.main(["seed", "--project", "mystack"]) == seed.EXIT_REFUSED
    err = capsys.readouterr().err
    assert "refusing to replace the data of project 'mystack'" in err and "--yes" in err
    assert fake.commands == []


def test_a_wrong_name_typed_changes_nothing_and_the_prompt_says_what_is_lost(
    docker: Callable[..., FakeDocker], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = docker(HEALTHY)
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", FakeTerminal(""))
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "nope")
    assert cli.main(["seed"]) == confirm.EXIT_NOT_CONFIRMED
    assert "replaces ALL of TeraServer's data in Compose project 'opentera-devstack'" in prompts[0]
    assert "the name typed is not 'opentera-devstack'; nothing was changed" in capsys.readouterr().err
    assert fake.commands == []


def test_yes_seeds_then_registers_then_restarts_the_stacks_services_and_prints_the_accounts(
    docker: Callable[..., FakeDocker], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = docker(HEALTHY, {"exec": (0, "some print\n" + json.dumps(SEED_RESULT) + "\n", "")})
    assert cli.main(["seed", "--yes", "--project-name", "mystack"]) == 0
    assert fake.commands == [
        ("mystack", "exec", "-T", "teraserver", "python", "-m", "teraserver.seed", "--json"),
        (
            "mystack",
            *("run", "--rm", "--no-deps", "-T"),
            *(
                "-e",
                "TERASERVER_ADMIN_USERNAME",
                "-e",
                "TERASERVER_ADMIN_PASSWORD",
                "-e",
                "TERASERVER_ADMIN_PASSWORD_FILE=",
            ),
            "register",
        ),
        ("mystack", "restart", "sample"),
    ]
    # The test set's admin password reaches the job through Compose's environment, on no command line.
    register_environment = fake.environments[1]
    assert register_environment is not None
    assert (register_environment["TERASERVER_ADMIN_USERNAME"], register_environment["TERASERVER_ADMIN_PASSWORD"]) == (
        "admin",
        "admin",
    )
    assert not any("admin" in word for word in fake.commands[1] if "PASSWORD" in word)
    out = capsys.readouterr().out
    assert "user        admin / admin  (superadmin)" in out
    assert "siteadmin / siteadmin" in out
    assert "t_sessions" in out and "28" in out
    assert "t_tests_invitations" not in out  # empty tables are not listed
    assert "rows loaded (37 in 3 tables)" in out


def test_a_failed_seed_stops_before_registering(
    docker: Callable[..., FakeDocker], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = docker(HEALTHY, {"exec": (1, "", "teraserver.seed: the test data was not loaded: IntegrityError: x")})
    assert cli.main(["seed", "--yes"]) == seed.EXIT_FAILED
    assert "loading the test data failed (exit 1): teraserver.seed: the test data was not loaded" in (
        capsys.readouterr().err
    )
    assert [command[1] for command in fake.commands] == ["exec"]


def test_a_failed_registration_says_how_to_retry(
    docker: Callable[..., FakeDocker], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = docker(HEALTHY, {"exec": (0, json.dumps(SEED_RESULT), ""), "run": (1, "", "login refused")})
    assert cli.main(["seed", "--yes"]) == seed.EXIT_FAILED
    err = capsys.readouterr().err
    assert "registering the stack's services again failed" in err and "devstack register" in err
    assert [command[1] for command in fake.commands] == ["exec", "run"]


def test_garbage_from_the_seed_is_an_error_not_a_crash() -> None:
    with pytest.raises(seed.SeedFailed, match="printed no result: Traceback"):
        seed.parse_seed_output("Traceback (most recent call last): boom")
    with pytest.raises(seed.SeedFailed, match="no output"):
        seed.parse_seed_output("")
    assert seed.parse_seed_output("noise\n" + json.dumps(SEED_RESULT))["counts"]["t_users"] == 6


def test_only_services_with_a_container_are_restarted(checkout: Path) -> None:
    manifests = manifest.load_all(checkout)
    assert seed.services_to_restart(manifests, HEALTHY) == ["sample"]
    assert seed.services_to_restart(manifests, {"teraserver": "running (healthy)"}) == []


def test_wait_healthy_returns_what_is_still_unhealthy_when_time_runs_out() -> None:
    now = [0.0]
    answers = iter([{"sample": "running (starting)"}, {"sample": "running (healthy)"}])
    assert seed.wait_healthy(lambda: next(answers), ["sample"], sleep=lambda s: None, clock=lambda: now[0]) == {}

    def tick(seconds: float) -> None:
        now[0] += seconds

    stuck = seed.wait_healthy(
        lambda: {"sample": "running (unhealthy)"}, ["sample"], timeout=3, sleep=tick, clock=lambda: now[0]
    )
    assert stuck == {"sample": "running (unhealthy)"}
