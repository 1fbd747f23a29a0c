"""`devstack upgrade`: a service made with the previous template, edited by its author, brought to the current
template. The author's edits stay, the template's changes arrive, a conflict changes nothing (issue 18).

Each test scaffolds WeatherService with `devstack new` from an older copy of the template (a step the current
one dropped, a file it no longer has, an older last line of the entry point), edits it as an author would, puts
the current template back (plus a file it now adds) and runs `devstack upgrade` on a copy of the checkout.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from checkout_copy import copy_repository, snapshot

from devstack import cli, live, template_state

TEMPLATE = "scripts/devstack/templates/service"
SERVICE = "services/weather"
OLD_STEP = "# previous template: a build step the current one dropped\n"
OLD_LAST_LINE = "# previous template: the entry point's old last line\n"
DROPPED_FILE = "Backend/legacy/helper.py"  # a module the previous template had, the current one has not
ADDED_FILE = "Backend/added_by_template.py"  # a module the current template adds
ADDED_TEXT = '"""Added by the current template."""\n'
KIT_PIN = "opentera-service-kit~=1.0"  # the service kit's version the current template asks for
OLD_KIT_PIN = "opentera-service-kit~=0.9"
AUTHOR_REQUIREMENT = "numpy==2.1.3\n"
AUTHOR_HEADER = '"""The Weather service, by its author."""\n'


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def run(*arguments: str) -> int:
    return cli.main([*arguments, "--skip-nginx-check"])


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout whose WeatherService was made by the previous template, which is then replaced by the current."""
    root = copy_repository(tmp_path / "repo")
    monkeypatch.setenv("DEVSTACK_ROOT", str(root))
    # A project no stack has: nothing is rebuilt, no NGINX is reloaded.
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", f"devstack-upgrade-{tmp_path.name.lower()[-20:]}")
    template = root / TEMPLATE
    changed = ("Dockerfile.j2", "Backend/main.py.j2", "requirements.txt.j2")
    current = {name: (template / name).read_text(encoding="utf-8") for name in changed}
    append(template / "Dockerfile.j2", OLD_STEP)
    requirements = template / "requirements.txt.j2"
    requirements.write_text(current["requirements.txt.j2"].replace(KIT_PIN, OLD_KIT_PIN), encoding="utf-8")
    append(template / "Backend/main.py.j2", OLD_LAST_LINE)
    (template / DROPPED_FILE).parent.mkdir(parents=True)
    (template / f"{DROPPED_FILE}.j2").write_text('"""Plumbing of the previous template."""\n', encoding="utf-8")
    assert cli.main(["new", "WeatherService", "--no-start", "--skip-nginx-check"]) == 0
    for name, text in current.items():
        (template / name).write_text(text, encoding="utf-8")
    (template / f"{DROPPED_FILE}.j2").unlink()
    (template / DROPPED_FILE).parent.rmdir()
    (template / f"{ADDED_FILE}.j2").write_text(ADDED_TEXT, encoding="utf-8")
    return root


def edit_first_line(path: Path, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(line + "".join(lines[1:]), encoding="utf-8")


def test_edits_are_kept_and_the_template_changes_arrive(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = root / SERVICE
    edit_first_line(service / "Backend/main.py", AUTHOR_HEADER)
    append(service / "README.md", "\nOur station's notes.\n")
    requirements = service / "requirements.txt"
    assert "opentera==1.3.1\n" in requirements.read_text(encoding="utf-8"), "update this test's anchor line"
    requirements.write_text(
        requirements.read_text(encoding="utf-8").replace("opentera==1.3.1\n", "opentera==1.3.1\n" + AUTHOR_REQUIREMENT)
    )
    before = template_state.load(service, "state")
    assert before is not None

    assert run("upgrade", "WeatherService", "--no-start") == 0

    output = capsys.readouterr().out
    main = (service / "Backend/main.py").read_text(encoding="utf-8")
    assert main.startswith(AUTHOR_HEADER), "the author's edit is kept"
    assert OLD_LAST_LINE not in main, "the template's change to the same file is merged in"
    assert "merge" in output and "Backend/main.py" in output
    assert OLD_STEP not in (service / "Dockerfile").read_text(encoding="utf-8"), "an unedited file is replaced"
    assert (service / "README.md").read_text(encoding="utf-8").endswith("Our station's notes.\n")
    assert (service / ADDED_FILE).read_text(encoding="utf-8") == ADDED_TEXT
    requirements = (service / "requirements.txt").read_text(encoding="utf-8")
    assert KIT_PIN in requirements and OLD_KIT_PIN not in requirements, "the template's kit version arrives"
    assert AUTHOR_REQUIREMENT in requirements, "beside the author's own requirement"
    assert not (service / DROPPED_FILE).exists() and not (service / DROPPED_FILE).parent.exists()
    after = template_state.load(service, "state")
    assert after is not None and after.digest != before.digest
    assert after.files["Dockerfile"] == (service / "Dockerfile").read_text(encoding="utf-8")
    assert DROPPED_FILE not in after.files and ADDED_FILE in after.files

    # A second run finds nothing to do, and writes nothing.
    unchanged = snapshot(root)
    assert run("upgrade", "WeatherService", "--no-start") == 0
    assert "unchanged" in capsys.readouterr().out
    assert snapshot(root) == unchanged


def test_a_conflict_writes_nothing_and_names_the_file(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = root / SERVICE
    main = service / "Backend/main.py"
    main.write_text(main.read_text(encoding="utf-8").replace(OLD_LAST_LINE, "# the author's own last line\n"))
    before = snapshot(root)

    assert run("upgrade", "WeatherService", "--no-start") == 1

    captured = capsys.readouterr()
    assert "CONFLICT" in captured.out and "Backend/main.py" in captured.out
    assert "nothing was written" in captured.err
    assert snapshot(root) == before, "no file of the upgrade is written, not even the ones without conflict"


def test_conflict_markers_write_everything_for_the_author_to_resolve(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = root / SERVICE
    main = service / "Backend/main.py"
    main.write_text(main.read_text(encoding="utf-8").replace(OLD_LAST_LINE, "# the author's own last line\n"))

    assert run("upgrade", "WeatherService", "--no-start", "--conflict-markers") == 1

    text = main.read_text(encoding="utf-8")
    assert "<<<<<<< yours\n# the author's own last line\n=======\n>>>>>>> template now\n" in text
    assert f"resolve the conflict markers in: {SERVICE}/Backend/main.py" in capsys.readouterr().err
    assert (service / ADDED_FILE).exists() and OLD_STEP not in (service / "Dockerfile").read_text(encoding="utf-8")
    # Resolved by the author, the next upgrade keeps the resolution.
    main.write_text(text.replace("<<<<<<< yours\n", "").replace("=======\n>>>>>>> template now\n", ""))
    assert run("upgrade", "WeatherService", "--no-start") == 0
    assert main.read_text(encoding="utf-8").endswith("# the author's own last line\n")


def test_dry_run_lists_and_changes_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(root)
    assert run("upgrade", "--all", "--dry-run") == 0
    output = capsys.readouterr().out
    lines = [line.split() for line in output.splitlines()]
    assert ["would", "write", ADDED_FILE] in [line[:3] for line in lines]
    assert ["would", "delete", DROPPED_FILE] in [line[:3] for line in lines]
    assert "dry run: nothing written" in output
    assert snapshot(root) == before


def test_a_manifest_change_reaches_the_template_files(root: Path) -> None:
    service = root / SERVICE
    manifest_file = service / "service.yaml"
    manifest_file.write_text(manifest_file.read_text(encoding="utf-8").replace("prefix: /weather", "prefix: /wx"))
    assert run("render") == 0
    assert run("upgrade", "weather", "--no-start") == 0
    frontend = (service / "Frontend/index.html").read_text(encoding="utf-8")
    assert "/wx/" in frontend and "/weather/" not in frontend


def test_without_a_record_upgrade_refuses_and_adopt_records_one(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = root / SERVICE
    template_state.path_of(service).unlink()
    edit_first_line(service / "Backend/main.py", AUTHOR_HEADER)
    before = snapshot(root)

    assert run("upgrade", "WeatherService", "--no-start") == 2
    assert "--adopt" in capsys.readouterr().err
    assert snapshot(root) == before
    weather_before = snapshot(service)
    assert run("upgrade", "--all", "--no-start") == 0, "--all skips a service without a record (and does the sample)"
    assert "WeatherService: no .devstack-template.json" in capsys.readouterr().err
    assert snapshot(service) == weather_before

    assert run("upgrade", "WeatherService", "--adopt", "--no-start") == 0
    output = capsys.readouterr().out
    assert "differs" in output and "Backend/main.py" in output
    recorded = json.loads(template_state.path_of(service).read_text(encoding="utf-8"))
    assert recorded["files"][ADDED_FILE] == ADDED_TEXT, "the base recorded is the current template's"
    assert (service / "Backend/main.py").read_text(encoding="utf-8").startswith(AUTHOR_HEADER)
    assert not (service / ADDED_FILE).exists(), "--adopt records; it changes no file of the service"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["upgrade"], "name one service (NAME) or pass --all"),
        (["upgrade", "NoSuchService"], "no service 'NoSuchService'"),
        (["upgrade", "--all", "--adopt"], "--adopt records one service's base"),
    ],
)
def test_bad_arguments_fail_clearly_and_change_nothing(
    root: Path, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(root)
    assert run(*arguments) == 2
    assert message in capsys.readouterr().err
    assert snapshot(root) == before


def test_a_broken_record_is_named(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template_state.path_of(root / SERVICE).write_text("{not json", encoding="utf-8")
    before = snapshot(root)
    assert run("upgrade", "weather") == 2
    assert f"{SERVICE}/.devstack-template.json: not readable as JSON" in capsys.readouterr().err
    assert snapshot(root) == before


def test_every_command_of_the_services_doc_parses() -> None:
    """docs/services.md shows `devstack new/upgrade` lines: each one is a command the CLI accepts."""
    text = (Path(__file__).resolve().parents[2] / "docs/services.md").read_text(encoding="utf-8")
    # Inline mentions with arguments (a bare "`devstack new`" names the command, it is not a command line).
    commands = [command for command in re.findall(r"`(devstack [^`]*)`", text) if len(command.split()) > 2] + [
        line.split("#", 1)[0].strip()
        for block in re.findall(r"```sh\n(.*?)```", text, re.S)
        for line in block.splitlines()
        if line.strip().startswith("devstack ")
    ]
    assert any(command.startswith("devstack upgrade") for command in commands)
    for command in commands:
        cli.build_parser().parse_args(shlex.split(command)[1:])


def test_a_failed_rebuild_says_the_files_are_upgraded_and_how_to_finish(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_build(_root: Path, service: str) -> None:
        raise live.LiveStackError(f"`docker compose up --build {service}` failed: a build step failed")

    monkeypatch.setattr(live, "docker_available", lambda: True)
    monkeypatch.setattr(live, "is_running", lambda _root, _service: True)
    monkeypatch.setattr(live, "build_and_start", failing_build)

    assert run("upgrade", "WeatherService") == 2

    error = capsys.readouterr().err
    assert "the files of WeatherService are upgraded but its container is not rebuilt" in error
    assert "docker compose up -d --build weather" in error and "a build step failed" in error
    assert (root / SERVICE / ADDED_FILE).exists(), "the merged files stay: they are consistent"
