"""The Compose gateway: project names resolved as Compose does, `ps` read once, the front door, pull failures."""
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import compose, settings


def test_project_name_is_resolved_as_compose_does(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("name: my-stack\nservices: {}\n", encoding="utf-8")
    assert compose.resolve_project(tmp_path, environ={}) == "my-stack"
    assert compose.resolve_project(tmp_path, environ={"COMPOSE_PROJECT_NAME": "from-env"}) == "from-env"
    assert compose.resolve_project(tmp_path, "explicit", environ={"COMPOSE_PROJECT_NAME": "x"}) == "explicit"
    (tmp_path / ".env").write_text("COMPOSE_PROJECT_NAME=from-dotenv\n", encoding="utf-8")
    assert compose.resolve_project(tmp_path, environ={}) == "from-dotenv"


def test_a_project_name_compose_would_refuse_is_named_with_its_source(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services: {}\n", encoding="utf-8")
    with pytest.raises(settings.ConfigError, match="--project-name='My Stack' is not a Compose project name"):
        compose.resolve_project(tmp_path, "My Stack", environ={})
    with pytest.raises(settings.ConfigError, match="COMPOSE_PROJECT_NAME='-x' is not"):
        compose.resolve_project(tmp_path, environ={"COMPOSE_PROJECT_NAME": "-x"})
    with pytest.raises(settings.ConfigError, match="--project-name='stack\\\\n' is not"):
        compose.resolve_project(tmp_path, "stack\n", environ={})


def test_every_compose_call_names_the_directory_the_env_files_and_the_project() -> None:
    project = compose.ComposeProject(Path("/repo"), "t1", (Path("/repo/.env"), Path("/tmp/ports.env")))
    assert project.command("ps", "--all") == [
        "docker", "compose", "--project-directory", "/repo", "--env-file", "/repo/.env",
        "--env-file", "/tmp/ports.env", "--project-name", "t1", "ps", "--all",
    ]  # fmt: skip
    assert compose.ComposeProject(Path("/repo"), "t1").up_arguments(["db"], build=True, no_deps=True) == [
        "up", "--detach", "--wait", "--build", "--no-deps", "db",
    ]  # fmt: skip


def test_the_front_door_is_made_in_one_place() -> None:
    values = {"DEVSTACK_HOSTNAME": "devstack.lan", "DEVSTACK_HTTPS_PORT": "40075"}
    assert compose.front_door_url(values) == "https://devstack.lan:40075"
    assert compose.front_door_url(values, 57799) == "https://devstack.lan:57799"
    assert compose.front_door_url({}) == "https://localhost:40075"


def test_images_to_pull_are_the_plain_images_and_the_bases_of_the_builds() -> None:
    services = {
        "db": {"image": "opentera-devstack/postgres:15"},
        "teraserver": {
            "image": "t1/teraserver:dev",
            "build": {"context": "services/teraserver", "args": {"PYTHON_IMAGE": "python:3.11-slim-bookworm"}},
        },
        "certs": {
            "image": "t1/certs:dev",
            "build": {"context": "x", "args": {"PYTHON_IMAGE": "python:3.11-slim-bookworm"}},
        },
        "register": {"build": {"context": "y"}},
    }
    project = compose.ComposeProject(Path("/repo"), "t1")
    assert project.images_to_pull(services) == ["opentera-devstack/postgres:15", "python:3.11-slim-bookworm"]


# What `docker pull` printed on a machine without a registry (Docker 26, no DNS server answering).
NO_REGISTRY = """\
Using default tag: latest
Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 127.0.0.11:53: server misbehaving
"""


def test_a_pull_without_registry_names_offline_images_and_the_reason() -> None:
    message = compose.pull_failure_message("postgres:15-bookworm", NO_REGISTRY)
    assert message.startswith("the image postgres:15-bookworm is not on this machine and cannot be pulled")
    assert "no registry reachable" in message
    assert "lookup registry-1.docker.io" in message
    assert "`devstack offline-images`" in message


def test_up_pulls_only_missing_images_and_stops_on_a_failed_pull(monkeypatch: pytest.MonkeyPatch) -> None:
    from devstack import progress

    present = {"opentera-devstack/postgres:15"}
    pulled: list[str] = []

    def fake_docker(*arguments: str, timeout: float = 60) -> object:
        import subprocess

        return subprocess.CompletedProcess(arguments, 0 if arguments[-1] in present else 1, "", "")

    def fake_pull(command: list[str], what: str, sink: object = None, **kwargs: object) -> progress.CommandResult:
        pulled.append(command[-1])
        return progress.CommandResult(1, NO_REGISTRY.splitlines())

    monkeypatch.setattr(compose, "run_docker", fake_docker)
    monkeypatch.setattr(progress, "run_command", fake_pull)
    project = compose.ComposeProject(Path("/repo"), "t1")
    monkeypatch.setattr(
        compose.ComposeProject,
        "services",
        lambda self: {"db": {"image": "opentera-devstack/postgres:15"}, "redis": {"image": "redis:7-bookworm"}},
    )
    with pytest.raises(compose.PullFailedError, match="redis:7-bookworm .*devstack offline-images"):
        project.ensure_images(sink=lambda line: None)
    assert pulled == ["redis:7-bookworm"]
    # A PullFailedError is a configuration error: `devstack up` reports it on one line and exits 2.
    assert issubclass(compose.PullFailedError, settings.ConfigError)


def test_extra_compose_files_are_layered_over_compose_yaml(tmp_path: Path) -> None:
    project = compose.ComposeProject(tmp_path, "demo", (), (tmp_path / "override.yaml",))
    command = project.command("config")
    assert command[command.index("--file") :][:4] == [
        "--file",
        str(tmp_path / "compose.yaml"),
        "--file",
        str(tmp_path / "override.yaml"),
    ]
    assert "--file" not in compose.ComposeProject(tmp_path, "demo").command("config")
