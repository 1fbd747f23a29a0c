"""The README's commands and paths match the tree, so it cannot drift from the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from bench_modules import load_bench_module

from devstack import cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", README, re.S)
COMMANDS = [
    line.split("#", 1)[0].strip()
    for block in SHELL_BLOCKS
    for line in block.splitlines()
    if line.split("#", 1)[0].strip()
]
INLINE = re.findall(r"`((?:devstack|docker compose) [^`]*)`", README)
COMPOSE_SERVICES = set(yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"])


def test_readme_has_the_two_commands() -> None:
    assert "devstack up" in COMMANDS
    assert "pytest" in COMMANDS


@pytest.mark.parametrize("command", sorted({c for c in COMMANDS + INLINE if c.startswith("devstack ")}))
def test_every_devstack_command_in_the_readme_parses(command: str) -> None:
    words = shlex.split(command)[1:]
    words = [word for word in words if word not in {"...", "…"}]
    cli.build_parser().parse_args(words)


@pytest.mark.parametrize("command", sorted({c for c in COMMANDS + INLINE if c.startswith("docker compose ")}))
def test_every_compose_command_names_real_services(command: str) -> None:
    words = shlex.split(command)[2:]
    for word in words:
        if ":" in word and not word.startswith("-"):
            # `cp SERVICE:PATH ...` names a service before the colon.
            assert word.split(":", 1)[0] in COMPOSE_SERVICES, word
    if words[0] in {"logs", "port", "exec", "restart"}:
        assert first_operand(words[1:]) in COMPOSE_SERVICES, command


def first_operand(words: list[str]) -> str:
    """The first word that is neither an option nor an option's value (`-u postgres`)."""
    takes_value = {"-u", "--user", "-w", "--workdir", "-e", "--env", "--tail"}
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
        elif word in takes_value:
            skip_next = True
        elif not word.startswith("-"):
            return word
    return ""


PERFORMANCE = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
BENCH_COMMANDS = re.findall(r"`python (bench/\w+\.py)([^`]*)`", README + PERFORMANCE)


def test_the_docs_name_bench_commands() -> None:
    assert ("bench/run.py", "") in BENCH_COMMANDS
    assert any(script == "bench/teraserver_api.py" for script, _ in BENCH_COMMANDS)


@pytest.mark.parametrize(("script", "arguments"), sorted(set(BENCH_COMMANDS)))
def test_every_bench_command_in_the_readme_parses(script: str, arguments: str) -> None:
    # parse_arguments exits (SystemExit) on an option the script does not have.
    load_bench_module(script).parse_arguments(shlex.split(arguments))


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^PYTEST_ADDOPTS=.*\bpytest\b", ci, re.M), ".ci/run must run the README's `pytest`"


def test_every_path_in_the_layout_table_exists() -> None:
    table = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+)`", table, re.M)
    assert listed
    for entry in listed:
        for path in re.findall(r"[\w./-]+", entry.replace("`, `", " ")):
            assert (ROOT / path.rstrip("/")).exists(), f"docs/layout.md names {path}, which does not exist"


def test_every_test_docs_reliability_names_exists() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(named) >= 10
    for path, test in named:
        source = ROOT / path
        assert source.is_file(), f"docs/reliability.md names {path}, which does not exist"
        if test:
            assert f"def {test}(" in source.read_text(encoding="utf-8"), f"docs/reliability.md names {path}::{test}"
