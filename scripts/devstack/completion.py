"""`devstack completion bash|zsh`: a shell completion script generated from the CLI's own argument parser, so it
always lists the commands and options this version has (issue 16).

    bash:  eval "$(devstack completion bash)"             (e.g. in ~/.bashrc)
    zsh:   eval "$(devstack completion zsh)"              (after compinit), or save it as _devstack in $fpath
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass

SHELLS = ("bash", "zsh")
HEADER = (
    "# devstack shell completion ({shell}), generated from its argument parser; "
    "regenerate with `devstack completion {shell}`."
)


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    takes_value: bool
    metavar: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Positional:
    name: str
    help: str
    repeated: bool
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    positionals: tuple[Positional, ...]

    def words(self) -> list[str]:
        """What can be typed after the command: every option flag and the positionals' fixed choices."""
        return [flag for option in self.options for flag in option.flags] + [
            choice for positional in self.positionals for choice in positional.choices
        ]


def _help_text(action: argparse.Action) -> str:
    text = " ".join((action.help or "").replace("%(default)s", str(action.default)).replace("%%", "%").split())
    return text.split("; ")[0].split(" (")[0][:80]


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))


def _options(parser: argparse.ArgumentParser) -> Iterator[Option]:
    for action in parser._actions:
        if action.option_strings and action.help != argparse.SUPPRESS:
            yield Option(
                flags=tuple(action.option_strings),
                help=_help_text(action),
                takes_value=action.nargs != 0,
                metavar=str(action.metavar or action.dest).upper(),
                choices=tuple(str(choice) for choice in action.choices or ()),
            )


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    """Every subcommand of `parser` with its options and positionals, in `--help`'s order."""
    subparsers = _subparsers(parser)
    helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}
    found = []
    for name, subparser in subparsers.choices.items():
        positionals = tuple(
            Positional(
                name=str(action.metavar or action.dest),
                help=_help_text(action),
                repeated=action.nargs in ("*", "+"),
                choices=tuple(str(choice) for choice in action.choices or ()),
            )
            for action in subparser._actions
            if not action.option_strings
        )
        found.append(Command(name, " ".join(helps.get(name, "").split()), tuple(_options(subparser)), positionals))
    return found


# --- bash -------------------------------------------------------------------------------------------------------


def bash_script(parser: argparse.ArgumentParser, program: str = "devstack") -> str:
    function = f"_{program}_completion"
    top_words = " ".join([*(command.name for command in commands(parser)), *_top_flags(parser)])
    lines = [
        HEADER.format(shell="bash"),
        f"{function}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" command="" i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        "            -*) ;;",
        '            *) command="${COMP_WORDS[i]}"; break ;;',
        "        esac",
        "    done",
        "    local words",
        '    case "$command" in',
        f'        "") words="{top_words}" ;;',
    ]
    for command in commands(parser):
        value_cases = []
        for option in command.options:
            if option.takes_value:
                pattern = "|".join(option.flags)
                value_cases.append(f'                {pattern}) words="{" ".join(option.choices)}" ;;')
        lines.append(f"        {command.name})")
        if value_cases:
            otherwise = f'                *) words="{" ".join(command.words())}" ;;'
            lines += ['            case "$prev" in', *value_cases, otherwise, "            esac ;;"]
        else:
            lines.append(f'            words="{" ".join(command.words())}" ;;')
    lines += [
        "    esac",
        '    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")',
        "}",
        f"complete -F {function} {program}",
        "",
    ]
    return "\n".join(lines)


def _top_flags(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for option in _options(parser) for flag in option.flags]


# --- zsh --------------------------------------------------------------------------------------------------------


def _zsh_quote(text: str) -> str:
    """Text inside a single-quoted _arguments spec: brackets escaped, single quotes closed and reopened."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:").replace("'", "'\\''")


def _zsh_option(option: Option) -> str:
    value = ""
    if option.takes_value:
        action = f"({' '.join(option.choices)})" if option.choices else " "
        value = f":{_zsh_quote(option.metavar.lower())}:{action}"
    description = f"[{_zsh_quote(option.help)}]"
    if len(option.flags) == 1:
        return f"'{option.flags[0]}{description}{value}'"
    exclusive = " ".join(option.flags)
    return f"'({exclusive})'{{{','.join(option.flags)}}}'{description}{value}'"


def _zsh_positional(positional: Positional) -> str:
    action = f"({' '.join(positional.choices)})" if positional.choices else " "
    return f"'{'*' if positional.repeated else ''}:{_zsh_quote(positional.name.lower())}:{action}'"


def zsh_script(parser: argparse.ArgumentParser, program: str = "devstack") -> str:
    function = f"_{program}"
    lines = [
        f"#compdef {program}",
        HEADER.format(shell="zsh"),
        f"{function}() {{",
        "    local -a commands",
        "    commands=(",
        *(f"        '{command.name}:{_zsh_quote(command.help)}'" for command in commands(parser)),
        "    )",
        "    if (( CURRENT == 2 )); then",
        "        _describe -t commands 'devstack command' commands",
        f"        compadd -- {' '.join(_top_flags(parser))}",
        "        return",
        "    fi",
        "    local command=${words[2]}",
        "    shift words",
        "    (( CURRENT-- ))",
        "    case $command in",
    ]
    for command in commands(parser):
        specs = [_zsh_option(option) for option in command.options] + [
            _zsh_positional(positional) for positional in command.positionals
        ]
        lines.append(f"        {command.name})")
        lines.append("            _arguments -s \\")
        lines += [f"                {spec} \\" for spec in specs[:-1]]
        lines.append(f"                {specs[-1]}")
        lines.append("            ;;")
    lines += [
        "    esac",
        "}",
        # Autoloaded from $fpath the file is the function's body; sourced (eval) it registers itself.
        'if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then',
        f'    {function} "$@"',
        "else",
        f"    compdef {function} {program}",
        "fi",
        "",
    ]
    return "\n".join(lines)


def cmd_completion(args: argparse.Namespace) -> int:
    script = bash_script if args.shell == "bash" else zsh_script
    print(script(args.root_parser), end="")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh) for devstack's commands and options",
        description="Print a completion script generated from devstack's own options. bash: eval \"$(devstack "
        'completion bash)" in ~/.bashrc; zsh: eval "$(devstack completion zsh)" after compinit in ~/.zshrc.',
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(func=cmd_completion)
