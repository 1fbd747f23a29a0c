"""`devstack completion bash|zsh`: scripts generated from the parser, listing every command and option."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from devstack import cli, completion


def script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["completion", shell]) == 0
    return capsys.readouterr().out


def every_command_and_option() -> list[tuple[str, list[str]]]:
    parser = cli.build_parser()
    return [
        (command.name, [flag for o in command.options for flag in o.flags]) for command in completion.commands(parser)
    ]


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_every_subcommand_and_option_appears(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = script(shell, capsys)
    commands = every_command_and_option()
    assert {name for name, _ in commands} >= {"up", "status", "reset", "seed", "services", "completion"}
    for name, flags in commands:
        assert f"{name})" in text, name
        for flag in flags:
            assert flag in text, (name, flag)
    assert "--version" in text


def test_the_bash_script_is_valid_and_completes(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "devstack.bash"
    path.write_text(script("bash", capsys), encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True).returncode == 0

    def complete(*words: str) -> list[str]:
        line = " ".join(["devstack", *words])
        program = (
            f'source "{path}"; COMP_WORDS=({line}); COMP_CWORD={len(words)}; '
            '_devstack_completion; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
        return result.stdout.split()

    assert complete("sta") == ["status"]
    assert set(complete("status", "--")) >= {"--json", "--log-lines", "--project-name", "--help"}
    assert complete("completion", "z") == ["zsh"]
    assert complete("status", "--project-name", "") == []  # a value is expected: nothing proposed


@pytest.mark.skipif(shutil.which("zsh") is None, reason="no zsh: scripts/provision-test-tools.sh installs it")
def test_the_zsh_script_parses(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "_devstack"
    path.write_text(script("zsh", capsys), encoding="utf-8")
    assert subprocess.run(["zsh", "-n", str(path)], capture_output=True, text=True).returncode == 0


def test_every_stack_command_has_the_one_project_option() -> None:
    parser = cli.build_parser()
    by_name = {command.name: command for command in completion.commands(parser)}
    for name in cli.STACK_COMMANDS:
        (option,) = [option for option in by_name[name].options if "--project-name" in option.flags]
        assert option.flags == ("--project-name", "-p")
