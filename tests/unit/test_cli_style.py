"""One CLI style (issue 16): `--version`, the exit statuses in `--help`, and one error line for every command."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

from devstack import cli, errors

SOURCES = Path(cli.__file__).resolve().parent


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"devstack {importlib.metadata.version(cli.DISTRIBUTION)}"


def test_help_says_what_each_exit_status_means(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for status in ("0 done", "1 failed or not healthy", "2 refused, nothing changed", "130 interrupted"):
        assert status in text


def test_an_error_has_one_form(capsys: pytest.CaptureFixture[str]) -> None:
    errors.report("render", "services/x/service.yaml: field 'port': missing")
    assert capsys.readouterr().err == "devstack render: error: services/x/service.yaml: field 'port': missing\n"


def test_no_command_prints_its_own_error_line() -> None:
    """Every `devstack <command>: ...` line on stderr goes through errors.report, or says `warning:`."""
    own = re.compile(r'print\(f?"devstack [^" :]+: (?!warning: )')
    offenders = [
        f"{path.relative_to(SOURCES)}:{number}"
        for path in SOURCES.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if own.search(line) and path.name != "errors.py"
    ]
    assert offenders == []
